//! # phonecheck
//!
//! A gRPC service in front of the ALAPI phone-number status API (空号检测): is a mainland China
//! mobile number empty, real, suspended, silent, risky? Callers send numbers in any common
//! spelling; the service normalizes and de-duplicates them, sends only distinct valid numbers
//! upstream in batches of at most 2000, and answers every input, in order, with a typed result
//! or a precise gRPC status.
//!
//! The crate has six parts, one folder each; ARCHITECTURE.md at the repository's root is the
//! map (what each part owns and what it must never import):
//!
//! - [`serving`]: what faces callers: the gRPC service, the ALAPI-compatible HTTP door,
//!   middleware, API keys, and the [`serving::Server`] that runs them.
//! - [`checking`]: the checking core: numbers, the pipeline, the cache, the batcher and the
//!   outbound upstream client.
//! - [`jobs`]: durable jobs: the API the service calls, the runner, and the store behind a
//!   trait.
//! - [`lists`]: lists as files: reading text, CSV and workbooks in any common encoding, and
//!   writing rows back whole with their results (CSV, XLSX, per-status files). Used by the CLI
//!   and by the server.
//! - [`usage`]: the usage ledger: what each caller spent each day, gathered from the checking
//!   core's spend port and kept in the job store's database.
//! - [`cli`] (feature `cli`, on by default): the command-line client, which talks to a server
//!   through [`pb`] like any other client.
//!
//! Beside them: [`metrics`] (the Prometheus names and endpoint), [`traces`] (spans exported
//! over OTLP, trace context in and out), [`pb`] (the generated API) and [`causes`] (an error
//! and its causes as one line).

pub mod causes;
pub mod checking;
#[cfg(feature = "cli")]
pub mod cli;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod jobs;
pub mod lists;
pub mod metrics;
pub mod pb;
pub mod serving;
pub mod traces;
pub mod usage;
