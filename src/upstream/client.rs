//! The HTTP client for the upstream: one form-encoded POST per batch, a cap on calls in flight,
//! a timeout per call, and retries with exponential backoff and jitter for failures that pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tokio::sync::Semaphore;

use super::Token;
use super::error::UpstreamError;
use super::wire::{Answer, parse_answer};
use crate::number::Mobile;

/// The most numbers the upstream takes in one call.
pub const UPSTREAM_MAX_BATCH: usize = 2000;

/// How failed calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: usize,
    /// Delay before the first retry; it doubles each time, with random jitter.
    pub min_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
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
    /// How failures are retried.
    pub retry: RetryPolicy,
}

/// The result of one batch, with the number of HTTP calls it took (retries included).
#[derive(Debug)]
pub struct Attempted {
    /// HTTP calls made, including the failed ones.
    pub calls: u32,
    /// The answer, or the error of the last attempt.
    pub result: Result<Answer, UpstreamError>,
}

/// The upstream client. Cheap to share: clone the `Arc` it lives in.
#[derive(Debug)]
pub struct UpstreamClient {
    http: reqwest::Client,
    config: UpstreamClientConfig,
    in_flight: Semaphore,
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
        let in_flight = Semaphore::new(config.concurrency.max(1));
        Ok(Arc::new(UpstreamClient {
            http,
            config,
            in_flight,
        }))
    }

    /// Checks one batch of at most 2000 distinct numbers, retrying failures that may pass.
    pub async fn check(&self, mobiles: &[Mobile]) -> Attempted {
        let calls = AtomicU32::new(0);
        let policy = self.config.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries)
            .with_jitter();
        let joined = mobiles
            .iter()
            .map(Mobile::digits)
            .collect::<Vec<_>>()
            .join(",");
        let result = (|| async {
            calls.fetch_add(1, Ordering::Relaxed);
            self.call_once(&joined).await
        })
        .retry(backoff)
        .when(UpstreamError::is_retryable)
        .notify(|err, delay| {
            tracing::warn!(error = %err, ?delay, batch = mobiles.len(), "upstream call failed; retrying");
        })
        .await;
        Attempted {
            calls: calls.into_inner(),
            result,
        }
    }

    async fn call_once(&self, mobiles: &str) -> Result<Answer, UpstreamError> {
        // The semaphore is never closed, so acquiring can only wait, not fail.
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| UpstreamError::Connect("client shut down".into()))?;
        let response = self
            .http
            .post(&self.config.url)
            .form(&[("token", self.config.token.expose()), ("mobiles", mobiles)])
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        parse_answer(status, &body)
    }

    fn transport_error(&self, e: reqwest::Error) -> UpstreamError {
        if e.is_timeout() {
            UpstreamError::Timeout(self.config.timeout)
        } else {
            UpstreamError::Connect(error_chain(&e.without_url()))
        }
    }
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
