//! Compiles `proto/` into Rust and a file descriptor set for gRPC reflection, in two passes:
//!
//! 1. the messages and the client (`crate::pb`), which every caller uses;
//! 2. the server trait alone (`OUT_DIR/server/`, included by `serving::grpc`), with every
//!    message taken from `crate::pb` except `CheckRequest` and `CheckStreamRequest`, which the
//!    server decodes as `serving::parsed_requests::ParsedCheckRequest` (their numbers are
//!    parsed straight from the message's bytes, never held as a `String` each), and
//!    `CheckStreamResponse` and `CheckBulkResponse`, which it encodes as
//!    `serving::encoded_replies::ResultsReply` (results written straight into the bytes).
//!
//! protoc comes from the `protoc-bin-vendored` crate, so a fresh machine needs no system protoc.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    let well_known = protoc_bin_vendored::include_path()?;
    let protos = [PathBuf::from("proto/phonecheck/v1/phonecheck.proto")];
    let includes = [PathBuf::from("proto"), well_known];
    tonic_prost_build::configure()
        .build_server(false)
        .file_descriptor_set_path(out_dir.join("phonecheck_descriptor.bin"))
        // google.rpc.Status is tonic-types' own type, so details decode with its helpers.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_with_config(config, &protos, &includes)?;

    let server_dir = out_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .build_client(false)
        .out_dir(&server_dir)
        .extern_path(".google.rpc", "::tonic_types::pb")
        .extern_path(".phonecheck.v1", "crate::pb")
        .extern_path(
            ".phonecheck.v1.CheckRequest",
            "crate::serving::parsed_requests::ParsedCheckRequest",
        )
        .extern_path(
            ".phonecheck.v1.CheckStreamRequest",
            "crate::serving::parsed_requests::ParsedCheckRequest",
        )
        .extern_path(
            ".phonecheck.v1.CheckStreamResponse",
            "crate::serving::encoded_replies::ResultsReply",
        )
        .extern_path(
            ".phonecheck.v1.CheckBulkResponse",
            "crate::serving::encoded_replies::ResultsReply",
        )
        .compile_with_config(config, &protos, &includes)?;
    Ok(())
}
