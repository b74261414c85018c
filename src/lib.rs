//! # phonecheck
//!
//! A gRPC service in front of the ALAPI phone-number status API (空号检测): is a mainland China
//! mobile number empty, real, suspended, silent, risky? Callers send numbers in any common
//! spelling; the service normalizes and de-duplicates them, sends only distinct valid numbers
//! upstream in batches of at most 2000, and answers every input, in order, with a typed result
//! or a precise gRPC status. Lists of any length stream through `CheckBulk` in bounded memory;
//! `phonecheck check` is the command-line client that feeds it files.
//!
//! ## Layout
//!
//! Data flows left to right; results flow back the same way, matched by number:
//!
//! ```text
//! client ─gRPC─▶ service ─▶ pipeline ─▶ number ─▶ cache ─▶ batch ─▶ upstream ─HTTP─▶ ALAPI
//! ```
//!
//! - [`config`]: flags and environment, validated once at start-up.
//! - [`server`]: assembling the tonic server: the service, health, reflection.
//! - [`service`]: the tonic service; translates protobuf to calls of the pipeline and back.
//! - [`alapi`]: the ALAPI-compatible HTTP door (`--http-listen`): the upstream's own request
//!   and answer shape, backed by the same pipeline; translation only, like [`service`].
//! - [`auth`]: API keys (`--api-keys-file`), checked before a PhoneCheck call reaches the
//!   service; reloaded on SIGHUP.
//! - [`jobs`]: durable jobs (`CreateJob` …): lists stored in SQLite under `--data-dir`,
//!   checked in the background behind live calls, resumed after a restart.
//! - [`calls`]: what happens around every gRPC call: a request id, the call's metrics, and
//!   refusal of new calls while the server drains for shutdown.
//! - [`metrics`]: the Prometheus metrics' names and the `/metrics` endpoint
//!   (`--metrics-listen`).
//! - [`status`]: the only place where errors become gRPC statuses (with `google.rpc` details).
//! - [`pipeline`]: one check from request to summary; failure rules of unary and streamed calls;
//!   `CheckBulk`'s intake loop with its bounded window (`pipeline/bulk.rs`).
//! - [`number`]: parsing, normalizing and de-duplicating numbers; pure functions.
//! - [`cache`]: the result cache between the parser and the batcher: answers kept for their
//!   time to live, so nothing fresh is billed twice (in process; shared through Redis with the
//!   `redis` feature).
//! - `shared` (feature `redis`): the result cache and the upstream rate limit shared by
//!   replicas through Redis, with a local fallback while Redis is down.
//! - [`batch`]: the one queue in front of the upstream: coalescing across calls, in-flight
//!   de-duplication, cancellation of numbers nobody waits for.
//! - [`upstream`]: the ALAPI wire format, HTTP client, error codes, and the simulator.
//! - [`client`]: `phonecheck check`, the command-line client for lists: input files, CSV,
//!   output formats, progress, resume. It talks to a server through [`pb`] like any client.
//! - [`pb`]: the generated `phonecheck.v1` protobuf types, server and client.

#![warn(missing_docs)]

pub mod alapi;
pub mod auth;
pub mod batch;
pub mod cache;
pub mod calls;
pub mod client;
pub mod config;
pub mod jobs;
pub mod metrics;
pub mod number;
pub mod pipeline;
pub mod server;
pub mod service;
#[cfg(feature = "redis")]
pub mod shared;
pub mod status;
pub mod upstream;

/// The generated `phonecheck.v1` API: messages, the server trait and a client.
#[allow(missing_docs)]
pub mod pb {
    tonic::include_proto!("phonecheck.v1");

    /// The encoded descriptors of `phonecheck.v1` and its imports, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("phonecheck_descriptor");
}
