//! Prometheus metrics (`--metrics-listen ADDR`, text format at `/metrics`).
//!
//! The modules that see an event record it through the `metrics` facade with a name from
//! here; with no recorder installed (no `--metrics-listen`, and in tests that run the server
//! in process) recording costs next to nothing. `metrics-exporter-prometheus` renders the text
//! format; the scrape endpoint itself is a small axum router, so no second HTTP server stack is
//! pulled in.
//!
//! Labels are few and bounded: gRPC method names come from a fixed list, codes from the gRPC
//! and upstream code tables, callers from the API keys file.

use std::future::Future;
use std::time::Duration;

use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// gRPC calls finished, by `method`, `code` (e.g. `OK`, `INVALID_ARGUMENT`) and `caller` (the
/// API key's name, `anonymous` without keys).
pub const RPCS: &str = "phonecheck_rpc_requests_total";
/// How long gRPC calls took, by `method`, to the end of the response stream.
pub const RPC_SECONDS: &str = "phonecheck_rpc_duration_seconds";
/// Inputs answered, by `status` (the upstream's statuses, `invalid`, `failed`).
pub const RESULTS: &str = "phonecheck_results_total";
/// HTTP calls to the upstream, by `outcome` (`ok`, `api_error`, `http_error`, `transport`,
/// `timeout`, `bad_response`) and `code` (the upstream's code, the HTTP status, or `none`).
pub const UPSTREAM_CALLS: &str = "phonecheck_upstream_calls_total";
/// How long upstream HTTP calls took, each attempt on its own.
pub const UPSTREAM_SECONDS: &str = "phonecheck_upstream_duration_seconds";
/// Numbers the upstream billed (answered in a successful batch), by `caller`: the payer of
/// whoever made each number leave.
pub const BILLED: &str = "phonecheck_numbers_billed_total";
/// What is left of a caller's budget in its period now (gauge, by `caller`), as this replica
/// last read it.
pub const BUDGET_LEFT: &str = "phonecheck_budget_left";
/// A caller's budget for its period (gauge, by `caller`): with [`BUDGET_LEFT`], how much of it
/// is used.
pub const BUDGET_LIMIT: &str = "phonecheck_budget_limit";
/// Distinct numbers found fresh in the result cache.
pub const CACHE_HITS: &str = "phonecheck_cache_hits_total";
/// Distinct numbers looked up in the result cache and not found fresh.
pub const CACHE_MISSES: &str = "phonecheck_cache_misses_total";
/// Values in the shared Redis cache this replica could not read, by `reason` (`unknown_format`:
/// written by a release with a newer format; `malformed`; `unknown_status`). Each is a miss.
pub const SHARED_CACHE_REFUSED: &str = "phonecheck_shared_cache_refused_total";
/// Numbers per upstream batch.
pub const BATCH_SIZE: &str = "phonecheck_batch_size";
/// Distinct numbers queued for the upstream or in flight.
pub const QUEUE_DEPTH: &str = "phonecheck_queued_numbers";
/// The most distinct numbers the queue takes (`--max-queued-numbers`): with
/// [`QUEUE_DEPTH`], how full it is.
pub const QUEUE_CAPACITY: &str = "phonecheck_queue_capacity";
/// How long a batch waited for a call slot and a rate-limiter token.
pub const LIMITER_WAIT: &str = "phonecheck_rate_limit_wait_seconds";
/// The upstream's own `usage`, summed: what the account is charged.
pub const UPSTREAM_USAGE: &str = "phonecheck_upstream_usage_total";
/// Upstream answers whose `usage` differed from the numbers they answered.
pub const USAGE_MISMATCHES: &str = "phonecheck_upstream_usage_mismatches_total";
/// Jobs on disk, by `state` (`queued`, `running`, `succeeded`, `failed`, `cancelled`).
pub const JOBS: &str = "phonecheck_jobs";

/// Why the metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The recorder could not be installed (another one is installed already).
    #[error("installing the metrics recorder: {0}")]
    Install(#[from] metrics_exporter_prometheus::BuildError),
}

/// Installs the process-wide Prometheus recorder, with histogram buckets fitting each metric,
/// and describes every metric. Call once, before the server starts.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    const SECONDS: &[f64] = &[
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
    ];
    const SIZES: &[f64] = &[1.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 1500.0, 2000.0];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS)?
        .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.to_owned()), SIZES)?
        .install_recorder()?;
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(RPCS, "gRPC calls finished, by method, code and caller");
    describe_histogram!(RPC_SECONDS, Unit::Seconds, "gRPC call duration, by method");
    describe_counter!(RESULTS, "Inputs answered, by status");
    describe_counter!(UPSTREAM_CALLS, "Upstream HTTP calls, by outcome and code");
    describe_histogram!(
        UPSTREAM_SECONDS,
        Unit::Seconds,
        "Upstream HTTP call duration"
    );
    describe_counter!(
        BILLED,
        "Numbers billed by the upstream, by the caller that made them leave"
    );
    describe_gauge!(
        BUDGET_LEFT,
        "Numbers left in a caller's budget for its period now, by caller"
    );
    describe_gauge!(
        BUDGET_LIMIT,
        "Numbers a caller's budget allows in its period, by caller"
    );
    describe_gauge!(
        QUEUE_CAPACITY,
        "The most distinct numbers the queue takes (--max-queued-numbers)"
    );
    describe_counter!(
        UPSTREAM_USAGE,
        "The upstream's own usage figures, summed (what the account is charged)"
    );
    describe_counter!(
        USAGE_MISMATCHES,
        "Upstream answers whose usage differed from the numbers they answered"
    );
    describe_counter!(CACHE_HITS, "Numbers answered from the result cache");
    describe_counter!(CACHE_MISSES, "Numbers not found fresh in the result cache");
    describe_counter!(
        SHARED_CACHE_REFUSED,
        "Shared cache values this replica could not read (counted as misses), by reason"
    );
    describe_histogram!(BATCH_SIZE, "Numbers per upstream batch");
    describe_gauge!(QUEUE_DEPTH, "Distinct numbers queued or in flight upstream");
    describe_gauge!(JOBS, "Jobs on disk, by state");
    describe_histogram!(
        LIMITER_WAIT,
        Unit::Seconds,
        "Time a batch waited for a call slot and the rate limiter"
    );
}

/// Serves `GET /metrics` on `listener` until `shutdown` completes, keeping the histograms'
/// bookkeeping up to date meanwhile.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = handle.clone();
    let upkeeping = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeeping.abort();
    served
}

/// The canonical name of a gRPC status code, as `grpc-status` numbers it.
pub fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_follow_the_grpc_numbering() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(
            code_name(tonic::Code::InvalidArgument as i32),
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code_name(tonic::Code::Unauthenticated as i32),
            "UNAUTHENTICATED"
        );
        assert_eq!(code_name(tonic::Code::Unavailable as i32), "UNAVAILABLE");
        assert_eq!(code_name(99), "UNKNOWN");
        assert_eq!(code_name(-1), "UNKNOWN");
    }
}
