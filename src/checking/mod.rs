//! The checking core: from a list of inputs to an answer for each, billing every number once.
//! It knows nothing of gRPC, HTTP doors or jobs; the serving side and the job runner call it.
//!
//! A number travels left to right and its answer comes back the same way:
//!
//! ```text
//! pipeline ─▶ number ─▶ cache ─▶ submitter ─▶ batcher ─▶ upstream ─HTTP─▶ ALAPI
//! ```
//!
//! - `number`: parsing, normalizing and de-duplicating numbers; pure functions of the input and
//!   the [`segments`] table (the number blocks allocated to mobile carriers).
//! - [`request_inputs`]: a request's inputs parsed as they are decoded, 8 bytes each, with
//!   their repeats linked.
//! - [`pipeline`]: one check (unary, streamed, bulk) from inputs to results and a summary, with
//!   the failure rules of each kind of call.
//! - `submitter`: the one "keep a window of numbers in flight, refill as answers come" loop,
//!   used by streams, bulk streams and the job runner.
//! - [`cache`]: answers kept for their time to live, so nothing fresh is billed twice.
//! - [`spend`]: who pays: an opaque payer per call and job, and the port through which the
//!   core says what each spent (the usage ledger, outside the core, keeps it).
//! - `shared_redis` (feature `redis`): cache and rate limit shared by replicas through Redis.
//! - `batcher`: the one queue in front of the upstream: coalescing across calls, live calls
//!   before jobs, in-flight de-duplication, cancellation of numbers nobody waits for.
//! - [`upstream`]: the outbound ALAPI client: wire format, HTTP client, error codes, and the
//!   simulator that stands in for ALAPI in demos and tests.

pub(crate) mod batcher;
pub mod cache;
pub mod checked_line;
pub(crate) mod number;
pub mod pipeline;
pub mod request_inputs;
pub mod segments;
#[cfg(feature = "redis")]
pub(crate) mod shared_redis;
pub mod spend;
pub(crate) mod submitter;
pub mod upstream;
