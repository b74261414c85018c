//! What can go wrong talking to the upstream, and what each failure means for us: whether to
//! retry it, and whether it dooms every later batch too.

use crate::checking::spend::BudgetState;
use std::time::Duration;

/// A failed upstream call (or, for [`UpstreamError::MissingResult`], one number the call did not
/// answer). Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum UpstreamError {
    /// The body parsed and its `code` is not 200.
    #[error("upstream answered code {code}{}", if msg.is_empty() { String::new() } else { format!(" ({msg})") })]
    Api {
        /// The upstream's `code`.
        code: i64,
        /// The upstream's `msg`.
        msg: String,
        /// The upstream's request id.
        log_id: Option<String>,
    },
    /// A non-2xx HTTP status with a body that is not the API's JSON.
    #[error("upstream answered HTTP {status} without the API's JSON body")]
    Http {
        /// The HTTP status code.
        status: u16,
    },
    /// The connection could not be made, or broke before the answer was complete.
    #[error("could not reach the upstream: {0}")]
    Connect(String),
    /// No answer within the upstream timeout.
    #[error("the upstream did not answer within {0:?}")]
    Timeout(Duration),
    /// A 2xx answer that is not what the API documents (HTML, `data` null, …).
    #[error("the upstream's answer is not what its API documents: {reason}")]
    BadResponse {
        /// What was wrong with it.
        reason: String,
        /// The upstream's request id, when it could be read.
        log_id: Option<String>,
    },
    /// The call succeeded but its `data` holds no usable record for this number.
    #[error("the upstream's answer holds no result for this number")]
    MissingResult {
        /// The upstream's request id of the call that left it out.
        log_id: Option<String>,
    },
    /// Never sent: the caller that would have made it leave is out of budget (or its budget
    /// could not be read). Not the upstream's failure, but it stops the number the same way.
    #[error("{}", budget_message(.0))]
    BudgetExhausted(BudgetState),
    /// Never sent: the job holding it has billed the most its creator allowed
    /// (`CreateJobRequest.max_billed`).
    #[error(
        "the job has billed its cap of {cap} numbers; resume it with a higher --max-billed to go on"
    )]
    JobCapReached {
        /// The cap.
        cap: u64,
    },
}

/// What a caller out of budget is told.
fn budget_message(b: &BudgetState) -> String {
    match b.left {
        Some(left) => format!(
            "caller {:?} has used its budget of {} numbers a {} ({left} left, fewer than this needs); nothing more is sent until the {} turns",
            b.payer, b.limit, b.period, b.period
        ),
        None => format!(
            "caller {:?} has a budget of {} numbers a {}, which could not be read (the job database is unreachable); nothing is sent until it can be",
            b.payer, b.limit, b.period
        ),
    }
}

/// The meaning of an upstream failure, after the error table of docs/errors.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// 100: the service's own token is wrong.
    TokenInvalid,
    /// 101: the service's upstream account has expired.
    AccountExpired,
    /// 104: this host's IP (or source) is not on the account's whitelist.
    IpNotAllowed,
    /// 102: the account's call quota is used up.
    QuotaExhausted,
    /// 429: over the upstream's QPS limit.
    RateLimited,
    /// 400, 422: the upstream rejected the request.
    Rejected,
    /// 404, 405: the configured URL or method is wrong.
    Misconfigured,
    /// 406: no more data.
    NoMoreData,
    /// HTTP 5xx, connection refused or reset.
    Unavailable,
    /// No answer in time.
    Timeout,
    /// An answer that is not the documented JSON.
    BadResponse,
    /// A number the answer left out.
    MissingResult,
    /// A code the upstream's document does not list.
    UnknownCode,
    /// Not sent: the caller's budget refused it.
    BudgetExhausted,
    /// Not sent: its job reached the cap its creator set.
    JobCapReached,
}

impl UpstreamError {
    /// What the failure means.
    pub fn class(&self) -> ErrorClass {
        match self {
            UpstreamError::Api { code, .. } => super::wire::class_of(*code),
            UpstreamError::Http { status } => match super::wire::class_of(i64::from(*status)) {
                ErrorClass::UnknownCode if (200..300).contains(status) => ErrorClass::BadResponse,
                class => class,
            },
            UpstreamError::Connect(_) => ErrorClass::Unavailable,
            UpstreamError::Timeout(_) => ErrorClass::Timeout,
            UpstreamError::BadResponse { .. } => ErrorClass::BadResponse,
            UpstreamError::MissingResult { .. } => ErrorClass::MissingResult,
            UpstreamError::BudgetExhausted(_) => ErrorClass::BudgetExhausted,
            UpstreamError::JobCapReached { .. } => ErrorClass::JobCapReached,
        }
    }

    /// True for failures that may pass: 429, 5xx, connection errors and timeouts. Nothing that
    /// may have been billed, and nothing about the account, is retried.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class(),
            ErrorClass::RateLimited | ErrorClass::Unavailable | ErrorClass::Timeout
        )
    }

    /// True for failures that stop the caller that met them: those that doom every later
    /// batch, and its own budget running out (which stops it, not the others).
    pub fn stops_the_caller(&self) -> bool {
        self.dooms_later_batches() || matches!(self, UpstreamError::BudgetExhausted(_))
    }

    /// True for failures that every later call would meet too (bad token, expired account, IP
    /// not allowed, quota used up): a stream stops sending batches after one.
    pub fn dooms_later_batches(&self) -> bool {
        matches!(
            self.class(),
            ErrorClass::TokenInvalid
                | ErrorClass::AccountExpired
                | ErrorClass::IpNotAllowed
                | ErrorClass::QuotaExhausted
        )
    }

    /// The upstream's code: the body's `code`, or the HTTP status when the body was unreadable.
    pub fn upstream_code(&self) -> Option<i64> {
        match self {
            UpstreamError::Api { code, .. } => Some(*code),
            UpstreamError::Http { status } => Some(i64::from(*status)),
            _ => None,
        }
    }

    /// The upstream's request id, when its answer carried one.
    pub fn log_id(&self) -> Option<&str> {
        match self {
            UpstreamError::Api { log_id, .. }
            | UpstreamError::BadResponse { log_id, .. }
            | UpstreamError::MissingResult { log_id } => log_id.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64) -> UpstreamError {
        UpstreamError::Api {
            code,
            msg: String::new(),
            log_id: None,
        }
    }

    #[test]
    fn only_passing_failures_are_retried() {
        for code in [429, 500, 502, 503] {
            assert!(api(code).is_retryable(), "{code}");
        }
        for code in [100, 101, 102, 104, 400, 404, 405, 406, 422, 999] {
            assert!(!api(code).is_retryable(), "{code}");
        }
        assert!(UpstreamError::Connect("reset".into()).is_retryable());
        assert!(UpstreamError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(UpstreamError::Http { status: 503 }.is_retryable());
        assert!(!UpstreamError::Http { status: 200 }.is_retryable());
        assert!(!UpstreamError::MissingResult { log_id: None }.is_retryable());
    }

    #[test]
    fn account_failures_doom_later_batches() {
        for code in [100, 101, 102, 104] {
            assert!(api(code).dooms_later_batches(), "{code}");
        }
        for code in [400, 429, 500] {
            assert!(!api(code).dooms_later_batches(), "{code}");
        }
    }
}
