//! The HTTP client for the upstream: one form-encoded POST per batch, at most `--qps` calls a
//! second (GCRA, `governor`) and `--concurrency` in flight, a timeout per call, and retries with
//! exponential backoff and full jitter, within a retry budget and never past the caller's
//! deadline.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::retry::budget::{Budget, TpsBudget};
use tracing::Instrument;

use super::Token;
use super::error::UpstreamError;
use super::shared_pacing::SharedPacing;
use super::wire::{UpstreamAnswer, mobiles_field, parse_answer};
use crate::checking::number::Mobile;

/// The most numbers the upstream takes in one call.
pub const UPSTREAM_MAX_BATCH: usize = 2000;

/// Calls are spaced this much wider than `1/qps`, so that network jitter can never put
/// `qps + 1` calls into one second of the upstream's own window.
const QPS_SAFETY_MARGIN: f64 = 1.03;

/// The longest answer body read: a full batch's answer takes about 0.5 MB.
pub const MAX_ANSWER_BYTES: usize = 8 << 20;

/// How failed calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: usize,
    /// Delay before the first retry; it doubles each time, and full jitter picks a random
    /// delay between zero and that.
    pub min_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
    /// Retries allowed on top of first attempts, as a fraction of them (over 10 s), so that a
    /// failing upstream is not hammered: 0.2 = one retry per five calls.
    pub budget_ratio: f32,
    /// Retries per second always allowed, however few calls there are.
    pub budget_min_per_sec: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            budget_ratio: 0.2,
            budget_min_per_sec: 5,
        }
    }
}

/// A rate limit shared with other replicas (GCRA in Redis, with the `redis` feature): each
/// call reserves the next free start time of the one upstream account.
pub trait SharedRateLimit: Send + Sync + std::fmt::Debug {
    /// Reserves the next start, calls being at least `interval` apart across every replica,
    /// and says how long to wait for it; `None` when the shared limit cannot be reached.
    fn reserve(&self, interval: Duration) -> BoxFuture<'_, Option<Duration>>;
}

/// Everything the client needs to reach the upstream.
#[derive(Debug, Clone)]
pub struct UpstreamClientConfig {
    /// The endpoint, e.g. `https://v2.alapi.cn/api/phonecheck`.
    pub url: String,
    /// The account's token.
    pub token: Token,
    /// The longest one call may take.
    pub timeout: Duration,
    /// The most calls in flight at once, across all callers.
    pub concurrency: usize,
    /// The most calls started per second; `None` = no limit.
    pub qps: Option<NonZeroU32>,
    /// How failures are retried.
    pub retry: RetryPolicy,
    /// A limit shared with other replicas, used instead of the local one while reachable.
    pub shared_limit: Option<Arc<dyn SharedRateLimit>>,
    /// How many replicas share the account: while the shared limit is unreachable, this one
    /// keeps to `qps / replicas_hint`.
    pub replicas_hint: u32,
}

/// The result of one batch, with the number of HTTP calls it took (retries included).
#[derive(Debug)]
pub struct Attempted {
    /// HTTP calls made, including the failed ones.
    pub calls: u32,
    /// The answer, or the error of the last attempt.
    pub result: Result<UpstreamAnswer, UpstreamError>,
}

/// A place among the calls in flight, held by one batch from its first attempt until it is
/// delivered, with the rate-limiter token of its first attempt already spent (each retry waits
/// for a token of its own). Get one with [`UpstreamClient::reserve`].
#[derive(Debug)]
pub struct CallSlot {
    _permit: Option<OwnedSemaphorePermit>,
    /// How long getting it took: the wait for a place and for the rate limit.
    waited: Duration,
}

impl CallSlot {
    /// Records the wait for this slot on the span of the batch that holds it.
    pub fn record_wait(&self, span: &tracing::Span) {
        span.record("rate_limit_wait_ms", self.waited.as_millis() as u64);
    }
}

/// The upstream client. Cheap to share: clone the `Arc` it lives in.
pub struct UpstreamClient {
    http: reqwest::Client,
    config: UpstreamClientConfig,
    in_flight: Arc<Semaphore>,
    limiter: Option<DefaultDirectRateLimiter>,
    /// The limit shared with other replicas, with this replica's share used while it is down.
    shared: Option<SharedPacing>,
    budget: TpsBudget,
}

impl std::fmt::Debug for UpstreamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl UpstreamClient {
    /// Builds the client; fails only if the TLS backend cannot start.
    pub fn new(config: UpstreamClientConfig) -> Result<Arc<Self>, UpstreamError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("phonecheck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UpstreamError::Connect(error_chain(&e)))?;
        let in_flight = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let limiter = config.qps.and_then(|qps| local_limiter(qps.get(), 1));
        let shared = match (&config.shared_limit, config.qps) {
            (Some(shared), Some(qps)) => {
                let hint = config.replicas_hint.max(1);
                let in_flight = u32::try_from(config.concurrency.max(1))
                    .unwrap_or(u32::MAX)
                    .saturating_mul(hint);
                Some(SharedPacing::new(
                    shared.clone(),
                    spacing(qps.get()),
                    local_limiter(qps.get(), hint),
                    in_flight,
                ))
            }
            _ => None,
        };
        let budget = TpsBudget::new(
            Duration::from_secs(10),
            config.retry.budget_min_per_sec,
            config.retry.budget_ratio,
        );
        Ok(Arc::new(UpstreamClient {
            http,
            config,
            in_flight,
            limiter,
            shared,
            budget,
        }))
    }

    /// Waits until one more call may start: first a place among the calls in flight, then a
    /// token of the rate limiter (so tokens are not spent while waiting for a place).
    pub async fn reserve(&self) -> CallSlot {
        let started = Instant::now();
        // The semaphore is never closed, so acquiring can only wait, not fail (`None` would
        // mean closed, and then the call goes ahead rather than losing its batch).
        let permit = self.in_flight.clone().acquire_owned().await.ok();
        self.rate_token().await;
        let waited = started.elapsed();
        metrics::histogram!(crate::metrics::LIMITER_WAIT).record(waited.as_secs_f64());
        CallSlot {
            _permit: permit,
            waited,
        }
    }

    /// Waits for the rate limiter to allow one more call, and spends that allowance: the
    /// shared limit while it is reachable, else this replica's share of the limit.
    async fn rate_token(&self) {
        if let Some(shared) = &self.shared {
            shared.until_ready().await;
            return;
        }
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
    }

    /// Checks one batch in a slot already reserved. Failures that may pass are retried (each
    /// retry waiting for its own rate-limiter token) while the retry budget allows, and only if
    /// the retry can start before `deadline`.
    pub async fn check_in(
        &self,
        _slot: &CallSlot,
        mobiles: &[Mobile],
        deadline: Option<Instant>,
    ) -> Attempted {
        let calls = AtomicU32::new(0);
        let first = AtomicBool::new(true);
        let policy = self.config.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries);
        let joined = mobiles_field(mobiles);
        self.budget.deposit();
        let result = (|| async {
            let retry = calls.fetch_add(1, Ordering::Relaxed);
            let span = crate::traces::attempt_span(retry, mobiles.len());
            if !first.swap(false, Ordering::Relaxed) {
                let waiting = Instant::now();
                self.rate_token().await;
                span.record("rate_limit_wait_ms", waiting.elapsed().as_millis() as u64);
            }
            let started = Instant::now();
            let result = self.call_once(&joined, &span).instrument(span.clone()).await;
            record_call(&result, started.elapsed());
            if let Err(e) = &result {
                record_failure(&span, e);
            }
            result
        })
        .retry(backoff)
        .when(UpstreamError::is_retryable)
        .adjust(|err, delay| {
            // Full jitter: anywhere between zero and the exponential delay.
            let delay = delay?.mul_f64(rand::random::<f64>());
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                tracing::debug!(error = %err, "not retrying: the callers' deadline comes first");
                return None;
            }
            if !self.budget.withdraw() {
                tracing::warn!(error = %err, "not retrying: the retry budget is spent");
                return None;
            }
            Some(delay)
        })
        .notify(|err, delay| {
            tracing::warn!(error = %err, ?delay, batch = mobiles.len(), "upstream call failed; retrying");
        })
        .await;
        Attempted {
            calls: calls.into_inner(),
            result,
        }
    }

    /// One HTTP call, made as `span` (whose `traceparent` it carries).
    async fn call_once(
        &self,
        mobiles: &str,
        span: &tracing::Span,
    ) -> Result<UpstreamAnswer, UpstreamError> {
        let response = self
            .http
            .post(&self.config.url)
            .headers(crate::traces::headers_for(span))
            .form(&[("token", self.config.token.expose()), ("mobiles", mobiles)])
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        span.record("http.response.status_code", status);
        let body = self.read_answer(response).await?;
        parse_answer(status, &body)
    }

    /// An answer's body, read up to [`MAX_ANSWER_BYTES`]: a longer one (a broken or hostile
    /// upstream, a body that never ends) is refused as soon as it passes the limit, so
    /// memory stays bounded whatever comes; the call's timeout bounds the time.
    async fn read_answer(&self, mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
        let too_long = || UpstreamError::BadResponse {
            reason: format!(
                "the answer is longer than {} MiB, far more than {UPSTREAM_MAX_BATCH} results take",
                MAX_ANSWER_BYTES >> 20
            ),
            log_id: None,
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
        {
            return Err(too_long());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_long());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, e: reqwest::Error) -> UpstreamError {
        if e.is_timeout() {
            UpstreamError::Timeout(self.config.timeout)
        } else {
            UpstreamError::Connect(error_chain(&e.without_url()))
        }
    }
}

/// Adds one upstream HTTP call to the metrics: its outcome, code and duration.
fn record_call(result: &Result<UpstreamAnswer, UpstreamError>, took: Duration) {
    let (outcome, code) = match result {
        Ok(_) => ("ok", "200".to_owned()),
        // Bounded, so a strange upstream cannot grow the label set without end.
        Err(UpstreamError::Api { code, .. }) if (0..1000).contains(code) => {
            ("api_error", code.to_string())
        }
        Err(UpstreamError::Api { .. }) => ("api_error", "other".to_owned()),
        Err(UpstreamError::Http { status }) => ("http_error", status.to_string()),
        Err(UpstreamError::Connect(_)) => ("transport", "none".to_owned()),
        Err(UpstreamError::Timeout(_)) => ("timeout", "none".to_owned()),
        Err(UpstreamError::BadResponse { .. } | UpstreamError::MissingResult { .. }) => {
            ("bad_response", "none".to_owned())
        }
        // Never the answer of a call: refused before one is made.
        Err(UpstreamError::BudgetExhausted(_) | UpstreamError::JobCapReached { .. }) => return,
    };
    metrics::counter!(crate::metrics::UPSTREAM_CALLS, "outcome" => outcome, "code" => code)
        .increment(1);
    metrics::histogram!(crate::metrics::UPSTREAM_SECONDS).record(took.as_secs_f64());
}

/// Marks an attempt's span failed, with the upstream's own code when it gave one.
fn record_failure(span: &tracing::Span, error: &UpstreamError) {
    if span.is_none() {
        return;
    }
    span.record("otel.status_code", "ERROR");
    span.record("error", tracing::field::display(error));
    if let UpstreamError::Api { code, .. } = error {
        span.record("upstream.code", code);
    }
}

/// The spacing of calls that keeps under `qps`, with the safety margin.
fn spacing(qps: u32) -> Duration {
    Duration::from_secs(1)
        .div_f64(f64::from(qps.max(1)))
        .mul_f64(QPS_SAFETY_MARGIN)
}

/// A limiter spacing calls for `qps / share` calls a second, with a burst of one: calls are
/// evenly spaced, never bunched into one second.
fn local_limiter(qps: u32, share: u32) -> Option<DefaultDirectRateLimiter> {
    Quota::with_period(spacing(qps).saturating_mul(share.max(1))).map(RateLimiter::direct)
}

/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
