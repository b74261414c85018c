//! Compiles `proto/` into Rust (messages, server and client) and a file descriptor set for
//! gRPC reflection. protoc comes from the `protoc-bin-vendored` crate, so a fresh machine needs
//! no system protoc.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    let well_known = protoc_bin_vendored::include_path()?;
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("phonecheck_descriptor.bin"))
        // google.rpc.Status is tonic-types' own type, so details decode with its helpers.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_with_config(
            config,
            &[PathBuf::from("proto/phonecheck/v1/phonecheck.proto")],
            &[PathBuf::from("proto"), well_known],
        )?;
    Ok(())
}
