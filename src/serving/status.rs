//! The one place where errors become gRPC statuses, after the table in docs/errors.md.
//!
//! Every status carries exactly one `google.rpc.ErrorInfo` (AIP-193): domain [`ERROR_DOMAIN`],
//! an UPPER_SNAKE reason, lowerCamelCase metadata (`upstreamCode`, `upstreamLogId`), plus
//! `RetryInfo`, `QuotaFailure` or `BadRequest` where they apply. The same status, as a
//! `google.rpc.Status`, is what a streamed result carries when its batch failed.

use std::collections::HashMap;
use std::time::Duration;

use prost::Message;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::checking::pipeline::CheckError;
use crate::checking::spend::BudgetState;
use crate::checking::upstream::{ErrorClass, UpstreamError};
use crate::jobs::JobError;
use crate::jobs::uploads::UploadError;
use crate::jobs::webhooks::CallbackError;
use crate::pb::{JOB_CAP_REACHED_REASON, NOT_CHECKED_REASON};
use crate::serving::auth::AuthError;
use crate::serving::builds::BuildNotFound;
use crate::serving::json_api::TranscodeError;
use crate::usage::UsageError;

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "phonecheck";

/// How long a caller should wait before retrying after the upstream's rate limit or an outage.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Says plainly that the upstream refused the service's own account, not the caller.
fn own_account(what: &str) -> String {
    format!(
        "the upstream (ALAPI) refused this service's own account: {what}; \
         the operator should check ALAPI_TOKEN / --token-file and the account's IP whitelist"
    )
}

/// RESOURCE_EXHAUSTED for a caller over its budget (QuotaFailure naming it, RetryInfo until
/// the period turns); UNAVAILABLE when its budget could not be read.
fn budget_status(e: &UpstreamError, budget: &BudgetState) -> Status {
    let metadata = HashMap::from([
        ("caller".to_owned(), budget.payer.clone()),
        ("limit".to_owned(), budget.limit.to_string()),
        ("period".to_owned(), budget.period.clone()),
    ]);
    let Some(left) = budget.left else {
        let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(5)));
        details.set_error_info("BUDGET_UNCHECKED", ERROR_DOMAIN, metadata);
        return Status::with_error_details(Code::Unavailable, e.to_string(), details);
    };
    let mut details =
        ErrorDetails::with_retry_info(Some(Duration::from_secs(budget.resets_in_secs.max(1))));
    details.add_quota_failure_violation(
        format!("caller:{}", budget.payer),
        format!(
            "budget of {} numbers a {}; {left} left",
            budget.limit, budget.period
        ),
    );
    details.set_error_info("BUDGET_EXHAUSTED", ERROR_DOMAIN, metadata);
    Status::with_error_details(Code::ResourceExhausted, e.to_string(), details)
}

fn upstream_status(e: &UpstreamError) -> Status {
    if let UpstreamError::BudgetExhausted(budget) = e {
        return budget_status(e, budget);
    }
    let mut metadata = HashMap::new();
    if let Some(code) = e.upstream_code() {
        metadata.insert("upstreamCode".to_owned(), code.to_string());
    }
    if let Some(log_id) = e.log_id() {
        metadata.insert("upstreamLogId".to_owned(), log_id.to_owned());
    }
    let mut details = ErrorDetails::new();
    let (code, reason, message) = match e.class() {
        ErrorClass::TokenInvalid => (
            Code::Unauthenticated,
            "UPSTREAM_TOKEN_INVALID",
            own_account("its token is wrong (code 100)"),
        ),
        ErrorClass::AccountExpired => (
            Code::PermissionDenied,
            "UPSTREAM_ACCOUNT_EXPIRED",
            own_account("the account has expired (code 101)"),
        ),
        ErrorClass::IpNotAllowed => (
            Code::PermissionDenied,
            "UPSTREAM_IP_NOT_ALLOWED",
            own_account("this server's IP or source is not on the whitelist (code 104)"),
        ),
        ErrorClass::QuotaExhausted => {
            details.add_quota_failure_violation(
                "upstream-account",
                "the upstream account's call quota is used up (code 102)",
            );
            (
                Code::ResourceExhausted,
                "UPSTREAM_QUOTA_EXHAUSTED",
                "the upstream account's call quota is used up (code 102); numbers already \
                 answered were billed, the rest were not sent"
                    .to_owned(),
            )
        }
        ErrorClass::RateLimited => {
            details.set_retry_info(Some(RETRY_AFTER));
            (
                Code::ResourceExhausted,
                "UPSTREAM_RATE_LIMITED",
                "the upstream's QPS limit was exceeded and retries ran out (code 429)".to_owned(),
            )
        }
        ErrorClass::Rejected => {
            details.add_bad_request_violation("mobiles", e.to_string());
            (
                Code::InvalidArgument,
                "UPSTREAM_REJECTED_REQUEST",
                format!("the upstream rejected the request: {e}"),
            )
        }
        ErrorClass::Misconfigured => (
            Code::Internal,
            "UPSTREAM_MISCONFIGURED",
            format!(
                "the upstream does not know this endpoint or method ({e}); the operator should check ALAPI_URL / --upstream-url"
            ),
        ),
        ErrorClass::NoMoreData => (
            Code::NotFound,
            "UPSTREAM_NO_DATA",
            format!("the upstream has no data: {e}"),
        ),
        ErrorClass::Unavailable => {
            details.set_retry_info(Some(RETRY_AFTER));
            (
                Code::Unavailable,
                "UPSTREAM_UNAVAILABLE",
                format!("the upstream is unavailable after retries: {e}"),
            )
        }
        ErrorClass::Timeout => {
            details.set_retry_info(Some(RETRY_AFTER));
            (
                Code::Unavailable,
                "UPSTREAM_TIMEOUT",
                format!("the upstream is too slow: {e}"),
            )
        }
        ErrorClass::BadResponse => (Code::Internal, "UPSTREAM_BAD_RESPONSE", e.to_string()),
        ErrorClass::MissingResult => (Code::Internal, "UPSTREAM_RESULT_MISSING", e.to_string()),
        ErrorClass::UnknownCode => (
            Code::Internal,
            "UPSTREAM_UNKNOWN_CODE",
            format!("the upstream answered a code its API does not document: {e}"),
        ),
        // Answered above; kept for the match to be whole.
        ErrorClass::BudgetExhausted => (Code::ResourceExhausted, "BUDGET_EXHAUSTED", e.to_string()),
        ErrorClass::JobCapReached => {
            if let UpstreamError::JobCapReached { cap } = e {
                metadata.insert("maxBilled".to_owned(), cap.to_string());
            }
            (
                Code::ResourceExhausted,
                JOB_CAP_REACHED_REASON,
                e.to_string(),
            )
        }
    };
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

impl From<&CheckError> for Status {
    fn from(e: &CheckError) -> Self {
        match e {
            CheckError::Upstream(u) => upstream_status(u),
            CheckError::NoNumbers { field } => invalid_argument(
                e,
                field,
                "give at least one phone number".to_owned(),
                "NO_NUMBERS",
                None,
            ),
            CheckError::TooManyNumbers { field, limit } => invalid_argument(
                e,
                field,
                format!("at most {limit} numbers per call; send longer lists with CheckBulk"),
                "TOO_MANY_NUMBERS",
                Some(*limit),
            ),
            CheckError::ChunkTooLong { limit } => invalid_argument(
                e,
                "mobiles",
                format!("at most {limit} numbers per CheckBulk message; send more messages"),
                "TOO_MANY_NUMBERS",
                Some(*limit),
            ),
            CheckError::BadOption { field, reason } => {
                invalid_argument(e, field, (*reason).to_owned(), "BAD_OPTION", None)
            }
            CheckError::ListUnreadable(_) => Status::with_error_details(
                Code::InvalidArgument,
                e.to_string(),
                ErrorDetails::with_error_info("LIST_UNREADABLE", ERROR_DOMAIN, HashMap::new()),
            ),
            CheckError::InputBroken(_) => Status::with_error_details(
                Code::Cancelled,
                e.to_string(),
                ErrorDetails::with_error_info("INPUT_BROKEN", ERROR_DOMAIN, HashMap::new()),
            ),
            CheckError::Busy(full) => {
                let mut details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
                details.set_error_info(
                    "SERVER_BUSY",
                    ERROR_DOMAIN,
                    HashMap::from([("maxQueuedNumbers".to_owned(), full.max_queued.to_string())]),
                );
                Status::with_error_details(
                    Code::ResourceExhausted,
                    format!(
                        "{e}; retry shortly, or send long lists with CheckBulk, which waits for room"
                    ),
                    details,
                )
            }
            CheckError::DeadlineExceeded => Status::with_error_details(
                Code::DeadlineExceeded,
                e.to_string(),
                ErrorDetails::with_error_info("DEADLINE_EXCEEDED", ERROR_DOMAIN, HashMap::new()),
            ),
        }
    }
}

/// UNAVAILABLE for a call arriving while the server drains for shutdown: another replica (or
/// this one, restarted) will take it.
pub fn shutting_down() -> Status {
    let mut details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
    details.set_error_info("SHUTTING_DOWN", ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(
        Code::Unavailable,
        "the server is shutting down; retry and the call goes to another server",
        details,
    )
}

impl From<JobError> for Status {
    fn from(e: JobError) -> Self {
        match &e {
            JobError::Check(check) => Status::from(check),
            JobError::NotFound(id) => Status::with_error_details(
                Code::NotFound,
                e.to_string(),
                ErrorDetails::with_error_info(
                    "JOB_NOT_FOUND",
                    ERROR_DOMAIN,
                    HashMap::from([("jobId".to_owned(), id.clone())]),
                ),
            ),
            JobError::BadPageToken(_) => {
                let mut details = ErrorDetails::with_bad_request_violation(
                    "page_token",
                    "pass a next_page_token from a ListJobs response, or nothing",
                );
                details.set_error_info("BAD_PAGE_TOKEN", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            JobError::Callback(CallbackError::Disabled) => Status::with_error_details(
                Code::FailedPrecondition,
                e.to_string(),
                ErrorDetails::with_error_info("WEBHOOKS_DISABLED", ERROR_DOMAIN, HashMap::new()),
            ),
            JobError::Callback(_) => {
                let mut details = ErrorDetails::with_bad_request_violation(
                    "callback_url",
                    "an http or https URL whose host resolves to public addresses",
                );
                details.set_error_info("CALLBACK_URL_REFUSED", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            JobError::RequestIdReused(request_id) => {
                let mut details = ErrorDetails::with_precondition_failure_violation(
                    "REQUEST_ID",
                    request_id.clone(),
                    "a request_id names one list; a new list takes a new id",
                );
                details.set_error_info("REQUEST_ID_REUSED", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::FailedPrecondition, e.to_string(), details)
            }
            JobError::RequestAbandoned(_) => Status::with_error_details(
                Code::Aborted,
                e.to_string(),
                ErrorDetails::with_error_info("REQUEST_ID_ABANDONED", ERROR_DOMAIN, HashMap::new()),
            ),
            JobError::UploadWithMobiles => {
                let mut details = ErrorDetails::with_bad_request_violation(
                    "upload_id",
                    "a job of an upload is one message without mobiles, header or rows",
                );
                details.set_error_info("UPLOAD_WITH_MOBILES", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            JobError::RowsMismatch { .. } => {
                let mut details = ErrorDetails::with_bad_request_violation(
                    "rows",
                    "send one row per element of mobiles, or no rows",
                );
                details.set_error_info("ROWS_MISMATCH", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            JobError::Store(store) if store.is_full() => {
                tracing::error!(error = %e, "the job store's disk is full");
                let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(60)));
                details.set_error_info("JOB_STORE_FULL", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(
                    Code::ResourceExhausted,
                    "the server's disk for jobs is full: nothing of this request was kept; retry once the operator has made room (--data-dir or the database's disk; live checks still work)",
                    details,
                )
            }
            JobError::Store(store) if store.is_unavailable() => {
                tracing::warn!(error = %e, "job store unreachable");
                let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(5)));
                details.set_error_info("JOB_STORE_UNAVAILABLE", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(
                    Code::Unavailable,
                    "the server's job database is unreachable; retry later (live checks still work)",
                    details,
                )
            }
            JobError::Store(_) => {
                tracing::error!(error = %e, "job store failed");
                Status::with_error_details(
                    Code::Internal,
                    "the server's job store failed; the operator should check its --data-dir or --database-url",
                    ErrorDetails::with_error_info("JOB_STORE_FAILED", ERROR_DOMAIN, HashMap::new()),
                )
            }
        }
    }
}

impl From<UsageError> for Status {
    fn from(e: UsageError) -> Self {
        let message = e.to_string();
        let bad_date = |field: &str, description: &str| {
            let mut details = ErrorDetails::with_bad_request_violation(field, description);
            details.set_error_info("BAD_DATE", ERROR_DOMAIN, HashMap::new());
            Status::with_error_details(Code::InvalidArgument, message.clone(), details)
        };
        match e {
            UsageError::BadDate { field, .. } => bad_date(field, "a date as YYYY-MM-DD"),
            UsageError::BadRange { .. } => bad_date("from", "a day on or before `to`"),
            UsageError::NotYours { caller } => Status::with_error_details(
                Code::PermissionDenied,
                message,
                ErrorDetails::with_error_info(
                    "USAGE_NOT_YOURS",
                    ERROR_DOMAIN,
                    HashMap::from([("caller".to_owned(), caller)]),
                ),
            ),
            UsageError::Store(store) => Status::from(JobError::Store(store)),
        }
    }
}

impl From<AuthError> for Status {
    fn from(e: AuthError) -> Self {
        match &e {
            AuthError::Unauthenticated => Status::with_error_details(
                Code::Unauthenticated,
                e.to_string(),
                ErrorDetails::with_error_info("API_KEY_INVALID", ERROR_DOMAIN, HashMap::new()),
            ),
            AuthError::RateLimited { name, qps } => {
                let mut details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
                details.set_error_info(
                    "API_KEY_RATE_LIMITED",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("keyName".to_owned(), name.clone()),
                        ("qps".to_owned(), qps.to_string()),
                    ]),
                );
                Status::with_error_details(Code::ResourceExhausted, e.to_string(), details)
            }
        }
    }
}

impl From<BuildNotFound> for Status {
    fn from(e: BuildNotFound) -> Self {
        Status::with_error_details(
            Code::NotFound,
            e.to_string(),
            ErrorDetails::with_error_info("BUILD_NOT_FOUND", ERROR_DOMAIN, HashMap::new()),
        )
    }
}

impl From<UploadError> for Status {
    fn from(e: UploadError) -> Self {
        let info =
            |reason: &str| ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new());
        let (code, details) = match &e {
            UploadError::NotFound(id) => (
                Code::NotFound,
                ErrorDetails::with_error_info(
                    "UPLOAD_NOT_FOUND",
                    ERROR_DOMAIN,
                    HashMap::from([("uploadId".to_owned(), id.clone())]),
                ),
            ),
            UploadError::TooLarge { limit } => (
                Code::InvalidArgument,
                ErrorDetails::with_error_info(
                    "UPLOAD_TOO_LARGE",
                    ERROR_DOMAIN,
                    HashMap::from([("limit".to_owned(), limit.to_string())]),
                ),
            ),
            UploadError::Unreadable(_) => (Code::InvalidArgument, info("LIST_UNREADABLE")),
            UploadError::NoNumbers { .. } => {
                let mut details = ErrorDetails::with_bad_request_violation(
                    "data",
                    "upload a file with phone numbers in it",
                );
                details.set_error_info("NO_NUMBERS", ERROR_DOMAIN, HashMap::new());
                (Code::InvalidArgument, details)
            }
            UploadError::Broken(_) => (Code::Cancelled, info("INPUT_BROKEN")),
            UploadError::Storage(_) => {
                tracing::error!(error = %e, "an upload could not be stored");
                let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(5)));
                details.set_error_info("UPLOAD_NOT_STORED", ERROR_DOMAIN, HashMap::new());
                (Code::Unavailable, details)
            }
        };
        Status::with_error_details(code, e.to_string(), details)
    }
}

impl From<&TranscodeError> for Status {
    fn from(e: &TranscodeError) -> Self {
        let info = |reason: &str, metadata: HashMap<String, String>| {
            ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata)
        };
        let (code, details) = match e {
            TranscodeError::NoSuchPath(_) => (Code::NotFound, info("NO_SUCH_PATH", HashMap::new())),
            TranscodeError::WrongMethod { allowed, .. } => (
                Code::Unimplemented,
                info(
                    "METHOD_NOT_ALLOWED",
                    HashMap::from([("allowed".to_owned(), allowed.clone())]),
                ),
            ),
            TranscodeError::BadJson { why, .. } => {
                let mut details = ErrorDetails::with_bad_request_violation("body", why.clone());
                details.set_error_info("BAD_JSON", ERROR_DOMAIN, HashMap::new());
                (Code::InvalidArgument, details)
            }
            TranscodeError::BadQuery { name, why } => {
                let mut details =
                    ErrorDetails::with_bad_request_violation(name.clone(), why.clone());
                details.set_error_info("BAD_QUERY", ERROR_DOMAIN, HashMap::new());
                (Code::InvalidArgument, details)
            }
            TranscodeError::TooLarge { limit } => (
                Code::InvalidArgument,
                info(
                    "BODY_TOO_LARGE",
                    HashMap::from([("limit".to_owned(), limit.to_string())]),
                ),
            ),
            TranscodeError::MediaType { .. } => (
                Code::InvalidArgument,
                info("UNSUPPORTED_MEDIA_TYPE", HashMap::new()),
            ),
            TranscodeError::Body(_) => (
                Code::InvalidArgument,
                info("BODY_UNREADABLE", HashMap::new()),
            ),
            TranscodeError::FileTooLarge(file) => (
                Code::InvalidArgument,
                info(
                    "UPLOAD_TOO_LARGE",
                    match file {
                        UploadError::TooLarge { limit } => {
                            HashMap::from([("limit".to_owned(), limit.to_string())])
                        }
                        _ => HashMap::new(),
                    },
                ),
            ),
            TranscodeError::BadUpload(_) => {
                (Code::InvalidArgument, info("BAD_UPLOAD", HashMap::new()))
            }
        };
        Status::with_error_details(code, e.to_string(), details)
    }
}

/// INVALID_ARGUMENT naming the request `field` and what to do (BadRequest), with `reason` as
/// the ErrorInfo reason and the limit, when there is one, in its metadata.
fn invalid_argument(
    e: &CheckError,
    field: &str,
    description: String,
    reason: &str,
    limit: Option<usize>,
) -> Status {
    let mut details = ErrorDetails::with_bad_request_violation(field, description);
    let metadata = limit
        .map(|l| HashMap::from([("limit".to_owned(), l.to_string())]))
        .unwrap_or_default();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
}

impl From<CheckError> for Status {
    fn from(e: CheckError) -> Self {
        Status::from(&e)
    }
}

/// The `google.rpc.Status` a streamed result carries when its number could not be checked:
/// the same code, message and details a failed call would have.
pub fn rpc_status(e: &UpstreamError) -> tonic_types::Status {
    as_rpc_status(&upstream_status(e))
}

/// The `google.rpc.Status` of a number a stopped job never sent: ABORTED naming the job's
/// error (`cause`), or CANCELLED when the job was cancelled; ErrorInfo reason `NOT_CHECKED`,
/// with the job's own reason as `jobErrorReason`.
pub fn not_checked_status(cause: Option<&UpstreamError>) -> tonic_types::Status {
    const RESUME: &str = "resuming the job checks it without billing anything twice";
    let (code, message, metadata) = match cause {
        None => (
            Code::Cancelled,
            format!("not checked: the job was cancelled first; {RESUME}"),
            HashMap::new(),
        ),
        Some(e) => {
            let cause = upstream_status(e);
            let reason = tonic_types::StatusExt::get_details_error_info(&cause)
                .map(|info| info.reason)
                .unwrap_or_default();
            (
                Code::Aborted,
                format!(
                    "not checked: the job failed first ({}); {RESUME}",
                    cause.message()
                ),
                HashMap::from([("jobErrorReason".to_owned(), reason)]),
            )
        }
    };
    let details = ErrorDetails::with_error_info(NOT_CHECKED_REASON, ERROR_DOMAIN, metadata);
    as_rpc_status(&Status::with_error_details(code, message, details))
}

/// A status as the `google.rpc.Status` message a result carries.
fn as_rpc_status(status: &Status) -> tonic_types::Status {
    // `with_error_details` always encodes a google.rpc.Status into the details; decoding our
    // own bytes cannot fail, and the fallback keeps code and message if it ever did.
    tonic_types::Status::decode(status.details()).unwrap_or_else(|_| tonic_types::Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64) -> UpstreamError {
        UpstreamError::Api {
            code,
            msg: "m".into(),
            log_id: Some("L1".into()),
        }
    }

    #[test]
    fn own_account_errors_say_whose_account() {
        let s = upstream_status(&api(100));
        assert!(
            s.message().contains("this service's own account"),
            "{}",
            s.message()
        );
        assert!(s.message().contains("ALAPI_TOKEN"));
    }

    #[test]
    fn a_number_a_stopped_job_never_sent_says_so_and_why() {
        let failed = Status::with_details(
            Code::Ok,
            "",
            not_checked_status(Some(&api(102))).encode_to_vec().into(),
        );
        let info = failed.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "NOT_CHECKED");
        assert_eq!(info.metadata["jobErrorReason"], "UPSTREAM_QUOTA_EXHAUSTED");
        let s = not_checked_status(Some(&api(102)));
        assert_eq!(s.code, Code::Aborted as i32);
        assert!(s.message.contains("quota is used up"), "{}", s.message);
        let cancelled = not_checked_status(None);
        assert_eq!(cancelled.code, Code::Cancelled as i32);
        assert!(
            cancelled.message.contains("cancelled"),
            "{}",
            cancelled.message
        );
    }

    #[test]
    fn rpc_status_keeps_code_and_details() {
        let s = rpc_status(&api(429));
        assert_eq!(s.code, Code::ResourceExhausted as i32);
        assert_eq!(s.details.len(), 2, "RetryInfo and ErrorInfo");
    }
}
