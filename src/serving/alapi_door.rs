//! The ALAPI-compatible HTTP door (`serve --http-listen ADDR`): `POST /api/phonecheck` with the
//! form fields `token` and `mobiles`, answered in exactly the upstream's JSON shape and codes, so
//! code written for ALAPI (the curl, PHP, Java, Python and Go of its own document) only changes
//! its URL and gains the cache, de-duplication, coalescing and rate limiting of the service.
//!
//! Like the gRPC service layer it only translates: the check is [`Pipeline::check`]. The upstream
//! token stays on the server; the caller's `token` is not the upstream's: with `--api-keys-file`
//! it must be one of the service's API keys (else code 100, as upstream), without it it is not
//! checked. `usage` is what this call made the upstream bill: 0 for cached numbers.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, RawForm, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::checking::cache::Freshness;
use crate::checking::number::{normalize_mobile, split_element};
use crate::checking::pipeline::{CheckError, NumberResult, Outcome, Pipeline};
use crate::checking::request_inputs::RequestParser;
use crate::checking::spend::Payer;
use crate::checking::upstream::UpstreamError;
use crate::checking::upstream::wire::{Envelope, Record, code};
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
    error(code::NOT_FOUND, "接口地址不存在")
}

async fn method_not_allowed() -> Response {
    error(code::METHOD_NOT_ALLOWED, "请求方法不被允许")
}

/// What the door's handler needs.
#[derive(Clone)]
struct Door {
    pipeline: Arc<Pipeline>,
    keys: Option<Arc<ApiKeys>>,
}

/// How the door's `log_id`s begin.
const LOG_PREFIX: &str = "pc-";

async fn check(
    State(Door { pipeline, keys }): State<Door>,
    Query(query): Query<HashMap<String, String>>,
    RawForm(body): RawForm,
) -> Response {
    let fields = door_fields(query, &body);
    let mut payer = Payer::new("");
    if let Some(keys) = &keys {
        let token = fields.get("token").map(String::as_str).unwrap_or("");
        match keys.check_token(token) {
            Ok(name) => {
                tracing::debug!(caller = %name, "authenticated");
                payer = Payer::new(&name);
            }
            Err(AuthError::Unauthenticated) => return error(code::TOKEN_INVALID, "token 错误"),
            Err(e @ AuthError::RateLimited { .. }) => {
                return error(code::RATE_LIMITED, e.to_string());
            }
        }
    }
    let inputs = match door_inputs(&fields) {
        Ok(inputs) => inputs,
        Err((code, msg)) => return error(code, msg),
    };
    match pipeline
        .check(payer, inputs, Freshness::default(), None)
        .await
    {
        Ok((results, summary)) => success(results, summary.billed),
        Err(e) => failure(&e),
    }
}

/// A call's fields: the query string's, then the form body's, which win over them as they
/// would upstream.
pub(crate) fn door_fields(
    mut query: HashMap<String, String>,
    body: &[u8],
) -> HashMap<String, String> {
    query.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    query
}

/// The inputs of a call's `mobiles` field, or the upstream's code and message refusing it:
/// empty, or holding a malformed number (the upstream refuses the whole call then, and so does
/// this door, before anything is checked, so nothing is billed).
pub(crate) fn door_inputs(
    fields: &HashMap<String, String>,
) -> Result<RequestParser, (i64, String)> {
    let mobiles = fields.get("mobiles").map(String::as_str).unwrap_or("");
    if mobiles.trim().is_empty() {
        return Err((code::BAD_REQUEST, "mobiles 不能为空".to_owned()));
    }
    if let Some(bad) = split_element(mobiles)
        .into_iter()
        .find(|m| normalize_mobile(m).is_err())
    {
        return Err((code::BAD_MOBILE, format!("手机号格式错误: {bad}")));
    }
    let mut inputs = RequestParser::default();
    inputs.push_element(mobiles);
    Ok(inputs)
}

fn success(results: Vec<NumberResult>, billed: u64) -> Response {
    let answered: Vec<_> = results
        .into_iter()
        .filter(|r| !r.duplicate)
        .filter_map(|r| match (r.mobile, r.outcome) {
            (Some(mobile), Outcome::Checked(line)) => Some((mobile.digits(), line)),
            _ => None,
        })
        .collect();
    let data = answered
        .iter()
        .map(|(mobile, line)| Record::of(mobile.as_str(), line))
        .collect();
    Envelope::success(data, billed, LOG_PREFIX).into_response()
}

/// A failed check in the upstream's words: its own code when it gave one, else 503 for an
/// upstream that could not be reached in time.
fn failure(e: &CheckError) -> Response {
    match e {
        // A caller out of budget hears what ALAPI says when its own account is: code 102.
        CheckError::Upstream(u) if matches!(**u, UpstreamError::BudgetExhausted(_)) => {
            error(code::QUOTA_EXHAUSTED, format!("接口请求次数超过限制: {u}"))
        }
        CheckError::Upstream(u) => match u.upstream_code() {
            Some(code) => error(code, u.to_string()),
            None => error(code::UNAVAILABLE, format!("上游服务暂不可用: {u}")),
        },
        CheckError::TooManyNumbers { limit, .. } => {
            error(code::BAD_REQUEST, format!("mobiles 最多{limit}个"))
        }
        // The queue is full for now: 429 is the code ALAPI callers already retry on.
        CheckError::Busy(full) => {
            let mut response = error(code::RATE_LIMITED, format!("服务繁忙,请稍后重试: {full}"));
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
            response
        }
        other => error(code::BAD_REQUEST, other.to_string()),
    }
}

fn error(code: i64, msg: impl Into<Cow<'static, str>>) -> Response {
    Envelope::error(code, msg, LOG_PREFIX).into_response()
}
