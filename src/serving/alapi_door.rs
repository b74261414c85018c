//! The ALAPI-compatible HTTP door (`serve --http-listen ADDR`): `POST /api/phonecheck` with the
//! form fields `token` and `mobiles`, answered in exactly the upstream's JSON shape and codes, so
//! code written for ALAPI (the curl, PHP, Java, Python and Go of its own document) only changes
//! its URL and gains the cache, de-duplication, coalescing and rate limiting of the service.
//!
//! Like the gRPC service layer it only translates: the check is [`Pipeline::check`]. The upstream
//! token stays on the server; the caller's `token` is not the upstream's: with `--api-keys-file`
//! it must be one of the service's API keys (else code 100, as upstream), without it it is not
//! checked. `usage` is what this call made the upstream bill: 0 for cached numbers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use crate::checking::cache::Freshness;
use crate::checking::number::{normalize_mobile, split_element};
use crate::checking::pipeline::{CheckError, NumberResult, Outcome, Pipeline};
use crate::checking::request_inputs::RequestParser;
use crate::serving::auth::{ApiKeys, AuthError};

/// The router serving `/api/phonecheck` (POST with a form body, or GET with a query string).
/// With `keys`, the `token` field must be one of them (the caller's key, never the upstream's).
/// Any other path or method is answered as the upstream answers it: JSON in its shape, code
/// 404 or 405, so an ALAPI client's error handling works unchanged.
pub(crate) fn router(pipeline: Arc<Pipeline>, keys: Option<Arc<ApiKeys>>) -> Router {
    Router::new()
        .route(
            "/api/phonecheck",
            post(check).get(check).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .with_state(Door { pipeline, keys })
}

async fn not_found() -> Response {
    error(404, "接口地址不存在".to_owned())
}

async fn method_not_allowed() -> Response {
    error(405, "请求方法不被允许".to_owned())
}

/// What the door's handler needs.
#[derive(Clone)]
struct Door {
    pipeline: Arc<Pipeline>,
    keys: Option<Arc<ApiKeys>>,
}

/// The upstream's answer shape.
#[derive(Debug, Serialize)]
struct DoorReply {
    code: u16,
    msg: String,
    data: Option<Vec<Record>>,
    time: u64,
    usage: u64,
    log_id: String,
}

/// One number, as the upstream describes it.
#[derive(Debug, Serialize)]
struct Record {
    area: String,
    mobile: String,
    number_type: String,
    status: i64,
    status_name: String,
}

async fn check(
    State(Door { pipeline, keys }): State<Door>,
    Query(query): Query<HashMap<String, String>>,
    RawForm(body): RawForm,
) -> Response {
    // Form fields win over the query string, as they would upstream.
    let mut fields = query;
    fields.extend(form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    if let Some(keys) = &keys {
        let token = fields.get("token").map(String::as_str).unwrap_or("");
        match keys.check_token(token) {
            Ok(name) => tracing::debug!(caller = %name, "authenticated"),
            Err(AuthError::Unauthenticated) => return error(100, "token 错误".to_owned()),
            Err(e @ AuthError::RateLimited { .. }) => return error(429, e.to_string()),
        }
    }
    let mobiles = fields.get("mobiles").map(String::as_str).unwrap_or("");
    if mobiles.trim().is_empty() {
        return error(400, "mobiles 不能为空".to_owned());
    }
    // The upstream refuses a call holding any malformed number, and so does this door: before
    // anything is checked, so nothing is billed.
    if let Some(bad) = split_element(mobiles)
        .into_iter()
        .find(|m| normalize_mobile(m).is_err())
    {
        return error(422, format!("手机号格式错误: {bad}"));
    }
    let mut inputs = RequestParser::default();
    inputs.push_element(mobiles);
    match pipeline.check(inputs, Freshness::default(), None).await {
        Ok((results, summary)) => success(results, summary.billed),
        Err(e) => failure(&e),
    }
}

fn success(results: Vec<NumberResult>, billed: u64) -> Response {
    let data = results
        .into_iter()
        .filter(|r| !r.duplicate)
        .filter_map(|r| match (r.mobile, r.outcome) {
            (Some(mobile), Outcome::Checked(report)) => Some(Record {
                area: report.area.to_string(),
                mobile: mobile.digits(),
                number_type: report.carrier.to_string(),
                status: report.status.code(),
                status_name: report.status_name.to_string(),
            }),
            _ => None,
        })
        .collect();
    respond(
        StatusCode::OK,
        DoorReply {
            code: 200,
            msg: "success".to_owned(),
            data: Some(data),
            time: unix_now(),
            usage: billed,
            log_id: log_id(),
        },
    )
}

/// A failed check in the upstream's words: its own code when it gave one, else 503 for an
/// upstream that could not be reached in time.
fn failure(e: &CheckError) -> Response {
    match e {
        CheckError::Upstream(u) => match u.upstream_code() {
            Some(code) => error(u16::try_from(code).unwrap_or(500), u.to_string()),
            None => error(503, format!("上游服务暂不可用: {u}")),
        },
        CheckError::TooManyNumbers { limit, .. } => error(400, format!("mobiles 最多{limit}个")),
        // The queue is full for now: 429 is the code ALAPI callers already retry on.
        CheckError::Busy(full) => {
            let mut response = error(429, format!("服务繁忙,请稍后重试: {full}"));
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
            response
        }
        other => error(400, other.to_string()),
    }
}

fn error(code: u16, msg: String) -> Response {
    let http = match code {
        404 => StatusCode::NOT_FOUND,
        405 => StatusCode::METHOD_NOT_ALLOWED,
        429 => StatusCode::TOO_MANY_REQUESTS,
        503 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    respond(
        http,
        DoorReply {
            code,
            msg,
            data: None,
            time: unix_now(),
            usage: 0,
            log_id: log_id(),
        },
    )
}

fn respond(status: StatusCode, answer: DoorReply) -> Response {
    (status, Json(answer)).into_response()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A request id for support, like the upstream's `log_id`.
fn log_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("pc-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
