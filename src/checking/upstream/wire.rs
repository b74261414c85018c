//! The upstream's wire protocol, in one place: the answer envelope and its records
//! ([`Envelope`], [`Record`]), the codes and what each means ([`code`], [`class_of`]), the HTTP
//! status each code travels with ([`http_status`]), and the reading of an answer.
//!
//! Three sides speak it: the outbound client reads it ([`parse_answer`]), the simulator and the
//! inbound ALAPI door write it. Reading trusts nothing: `code` may be a number or a string,
//! `data` may be null or absent, records may be missing, malformed or out of order. Answers are
//! matched to numbers by their `mobile` field, never by position.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ErrorClass, UpstreamError};
use crate::checking::checked_line::{CheckedLine, LineStatus, intern};
use crate::checking::number::{Mobile, MobileMap, normalize_mobile};

/// The upstream's `code` values this service reads or writes (its document's error table).
pub mod code {
    /// Success: `data` holds the records.
    pub const SUCCESS: i64 = 200;
    /// The token is wrong.
    pub const TOKEN_INVALID: i64 = 100;
    /// The account has expired.
    pub const ACCOUNT_EXPIRED: i64 = 101;
    /// The account's quota is used up.
    pub const QUOTA_EXHAUSTED: i64 = 102;
    /// The caller's IP is not on the account's whitelist.
    pub const IP_NOT_ALLOWED: i64 = 104;
    /// A parameter is missing or wrong (`mobiles` empty or too long).
    pub const BAD_REQUEST: i64 = 400;
    /// No such endpoint.
    pub const NOT_FOUND: i64 = 404;
    /// The endpoint does not take this method.
    pub const METHOD_NOT_ALLOWED: i64 = 405;
    /// No more data.
    pub const NO_MORE_DATA: i64 = 406;
    /// A number in `mobiles` is malformed.
    pub const BAD_MOBILE: i64 = 422;
    /// Over the QPS limit.
    pub const RATE_LIMITED: i64 = 429;
    /// The service cannot answer now.
    pub const UNAVAILABLE: i64 = 503;
}

/// What an upstream code means to us.
pub fn class_of(code: i64) -> ErrorClass {
    match code {
        code::TOKEN_INVALID => ErrorClass::TokenInvalid,
        code::ACCOUNT_EXPIRED => ErrorClass::AccountExpired,
        code::QUOTA_EXHAUSTED => ErrorClass::QuotaExhausted,
        code::IP_NOT_ALLOWED => ErrorClass::IpNotAllowed,
        code::RATE_LIMITED => ErrorClass::RateLimited,
        code::BAD_REQUEST | code::BAD_MOBILE => ErrorClass::Rejected,
        code::NOT_FOUND | code::METHOD_NOT_ALLOWED => ErrorClass::Misconfigured,
        code::NO_MORE_DATA => ErrorClass::NoMoreData,
        500..=599 => ErrorClass::Unavailable,
        _ => ErrorClass::UnknownCode,
    }
}

/// The HTTP status an answer with `code` travels with: 404, 405, 429 and 503 their own, every
/// other code (errors included) HTTP 200, as the upstream does.
pub fn http_status(code: i64) -> u16 {
    match code {
        code::NOT_FOUND | code::METHOD_NOT_ALLOWED | code::RATE_LIMITED | code::UNAVAILABLE => {
            // The match arms are all below 600.
            u16::try_from(code).unwrap_or(200)
        }
        _ => 200,
    }
}

/// An answer body, as the upstream documents it: written by the simulator and the ALAPI door,
/// read by the client (which falls back to a lenient reading when it does not fit).
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<'a> {
    /// 200, or an error code from [`code`].
    pub code: i64,
    /// "success", or what went wrong.
    #[serde(borrow, default)]
    pub msg: Cow<'a, str>,
    /// The records of a success; null for an error.
    #[serde(borrow)]
    pub data: Option<Vec<Record<'a>>>,
    /// When the answer was made, in Unix seconds.
    #[serde(default)]
    pub time: u64,
    /// Numbers billed by this call.
    pub usage: Option<u64>,
    /// A request id for support tickets.
    #[serde(borrow)]
    pub log_id: Option<Cow<'a, str>>,
}

impl<'a> Envelope<'a> {
    /// A success holding `data`, `usage` numbers billed, with a new request id made from
    /// `log_prefix`.
    pub fn success(data: Vec<Record<'a>>, usage: u64, log_prefix: &str) -> Self {
        Envelope {
            code: code::SUCCESS,
            msg: Cow::Borrowed("success"),
            data: Some(data),
            time: unix_now(),
            usage: Some(usage),
            log_id: Some(Cow::Owned(new_log_id(log_prefix))),
        }
    }

    /// An error answer: `code` and `msg`, no data, nothing billed.
    pub fn error(code: i64, msg: impl Into<Cow<'a, str>>, log_prefix: &str) -> Self {
        Envelope {
            code,
            msg: msg.into(),
            data: None,
            time: unix_now(),
            usage: Some(0),
            log_id: Some(Cow::Owned(new_log_id(log_prefix))),
        }
    }

    /// The HTTP status this answer travels with ([`http_status`] of its code).
    pub fn http_status(&self) -> u16 {
        http_status(self.code)
    }
}

/// The answer as an HTTP response: the JSON body with its code's [`http_status`].
impl axum::response::IntoResponse for Envelope<'_> {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.http_status())
            .unwrap_or(axum::http::StatusCode::OK);
        (status, axum::Json(self)).into_response()
    }
}

/// One record of `data`: one number's answer.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record<'a> {
    /// Where the number is registered, e.g. "山西-临汾".
    #[serde(borrow, default)]
    pub area: Cow<'a, str>,
    /// The number, 11 digits.
    #[serde(borrow)]
    pub mobile: Cow<'a, str>,
    /// The carrier, e.g. "中国联通".
    #[serde(borrow, default)]
    pub number_type: Cow<'a, str>,
    /// The line status code, 0..=5 ([`LineStatus::code`]).
    pub status: i64,
    /// The status label, e.g. "实号".
    #[serde(borrow, default)]
    pub status_name: Cow<'a, str>,
}

impl<'a> Record<'a> {
    /// The record of `mobile`'s answer `line`.
    pub fn of(mobile: impl Into<Cow<'a, str>>, line: &'a CheckedLine) -> Self {
        Record {
            area: Cow::Borrowed(&line.area),
            mobile: mobile.into(),
            number_type: Cow::Borrowed(&line.carrier),
            status: line.status.code(),
            status_name: Cow::Borrowed(&line.status_name),
        }
    }
}

/// The current time in Unix seconds, as `time` carries it.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A new request id like the upstream's `log_id`: `prefix` and a number counting up.
pub fn new_log_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A successful answer: the reports it holds by number, and what it billed.
#[derive(Debug, Clone, Default)]
pub struct UpstreamAnswer {
    /// Reports by number; a number sent but absent here was not answered.
    pub reports: MobileMap<CheckedLine>,
    /// Numbers billed (upstream `usage`).
    pub usage: u64,
    /// The upstream's request id, for support tickets.
    pub log_id: Option<String>,
}

/// The `mobiles` form field: the numbers comma-separated, written into one string (no
/// string per number on this per-batch path).
pub fn mobiles_field(mobiles: &[Mobile]) -> String {
    use std::fmt::Write;
    let mut field = String::with_capacity(mobiles.len() * 12);
    for (i, m) in mobiles.iter().enumerate() {
        if i > 0 {
            field.push(',');
        }
        // Writing into a String cannot fail.
        let _ = write!(field, "{m}");
    }
    field
}

#[derive(Deserialize)]
struct RawBody {
    code: Value,
    #[serde(default)]
    msg: Value,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    usage: Value,
    #[serde(default)]
    log_id: Value,
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads one HTTP answer. The body's `code` decides when the body parses; the HTTP status
/// decides otherwise.
pub fn parse_answer(http_status: u16, body: &[u8]) -> Result<UpstreamAnswer, UpstreamError> {
    // Fast path: a successful answer exactly as documented, read without building a tree of
    // values. Anything else takes the lenient path below.
    if let Ok(doc) = serde_json::from_slice::<Envelope<'_>>(body)
        && doc.code == code::SUCCESS
        && let Some(data) = doc.data
    {
        let checked_at = SystemTime::now();
        let reports: MobileMap<_> = data
            .iter()
            .filter_map(|r| {
                report(
                    &r.mobile,
                    Some(r.status),
                    &r.area,
                    &r.number_type,
                    &r.status_name,
                    checked_at,
                )
            })
            .collect();
        warn_unreadable(data.len() - reports.len(), doc.log_id.as_deref());
        return Ok(UpstreamAnswer {
            usage: doc.usage.unwrap_or(data.len() as u64),
            reports,
            log_id: doc.log_id.map(Cow::into_owned),
        });
    }
    let raw: RawBody = match serde_json::from_slice(body) {
        Ok(raw) => raw,
        Err(e) => {
            return Err(if (200..300).contains(&http_status) {
                UpstreamError::BadResponse {
                    reason: format!("body is not the API's JSON ({e}): {}", snippet(body)),
                    log_id: None,
                }
            } else {
                UpstreamError::Http {
                    status: http_status,
                }
            });
        }
    };
    let log_id = as_text(&raw.log_id);
    let Some(code) = as_int(&raw.code) else {
        return Err(UpstreamError::BadResponse {
            reason: format!("`code` is not a number: {}", raw.code),
            log_id,
        });
    };
    if code != code::SUCCESS {
        return Err(UpstreamError::Api {
            code,
            msg: as_text(&raw.msg).unwrap_or_default(),
            log_id,
        });
    }
    let Value::Array(records) = raw.data else {
        return Err(UpstreamError::BadResponse {
            reason: format!("`data` is {} instead of a list", kind_of(&raw.data)),
            log_id,
        });
    };
    let checked_at = SystemTime::now();
    let reports: MobileMap<_> = records
        .iter()
        .filter_map(|record| {
            let field = |name: &str| record.get(name).and_then(as_text).unwrap_or_default();
            report(
                &field("mobile"),
                record.get("status").and_then(as_int),
                &field("area"),
                &field("number_type"),
                &field("status_name"),
                checked_at,
            )
        })
        .collect();
    warn_unreadable(records.len() - reports.len(), log_id.as_deref());
    let usage = as_int(&raw.usage)
        .and_then(|u| u64::try_from(u).ok())
        .unwrap_or(records.len() as u64);
    Ok(UpstreamAnswer {
        reports,
        usage,
        log_id,
    })
}

/// One record as a report, or `None` when its number or status is unusable.
fn report(
    mobile: &str,
    status: Option<i64>,
    area: &str,
    carrier: &str,
    status_name: &str,
    checked_at: SystemTime,
) -> Option<(Mobile, CheckedLine)> {
    let mobile = normalize_mobile(mobile).ok()?;
    let status = LineStatus::from_code(status?)?;
    let status_name = if status_name.is_empty() {
        status.label()
    } else {
        status_name
    };
    Some((
        mobile,
        CheckedLine {
            status,
            status_name: intern(status_name),
            area: intern(area),
            carrier: intern(carrier),
            checked_at,
        },
    ))
}

fn warn_unreadable(count: usize, log_id: Option<&str>) {
    if count > 0 {
        // The records themselves are not logged: they may hold full phone numbers.
        tracing::warn!(
            count,
            log_id = log_id.unwrap_or(""),
            "upstream records unreadable; their numbers count as unanswered"
        );
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The start of a body, for error messages: enough to recognise an HTML error page.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::number::normalize_mobile;
    use crate::checking::upstream::ErrorClass;
    use proptest::prelude::*;

    fn m(s: &str) -> Mobile {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_documented_example() {
        let body = r#"{"code":200,"msg":"success","data":[{"area":"山西-临汾","mobile":"13111111111","number_type":"中国联通","status":1,"status_name":"实号"}],"time":1720243235,"usage":1,"log_id":"0"}"#;
        let a = parse_answer(200, body.as_bytes()).unwrap();
        assert_eq!(a.usage, 1);
        assert_eq!(a.log_id.as_deref(), Some("0"));
        let r = &a.reports[&m("13111111111")];
        assert_eq!(r.status, LineStatus::Real);
        assert_eq!(&*r.status_name, "实号");
        assert_eq!(&*r.area, "山西-临汾");
        assert_eq!(&*r.carrier, "中国联通");
    }

    #[test]
    fn tolerates_strings_for_numbers_and_matches_by_mobile() {
        let body = r#"{"code":"200","data":[{"mobile":"13222222222","status":"0"},{"mobile":"13111111111","status":5,"status_name":""},{"mobile":"bad","status":1},{"mobile":"13333333333","status":9}],"usage":"4","log_id":77}"#;
        let a = parse_answer(200, body.as_bytes()).unwrap();
        assert_eq!(a.usage, 4);
        assert_eq!(a.log_id.as_deref(), Some("77"));
        assert_eq!(a.reports.len(), 2);
        assert_eq!(a.reports[&m("13222222222")].status, LineStatus::Empty);
        assert_eq!(&*a.reports[&m("13111111111")].status_name, "风险");
    }

    #[test]
    fn error_codes_come_from_the_body_first() {
        let e = parse_answer(
            200,
            br#"{"code":102,"msg":"quota","data":null,"log_id":"x1"}"#,
        )
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::QuotaExhausted);
        assert_eq!(e.upstream_code(), Some(102));
        assert_eq!(e.log_id(), Some("x1"));
        let e = parse_answer(429, br#"{"code":429,"msg":"qps"}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::RateLimited);
    }

    #[test]
    fn unreadable_bodies_fall_back_to_the_http_status() {
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            parse_answer(502, html).unwrap_err().class(),
            ErrorClass::Unavailable
        );
        assert_eq!(
            parse_answer(429, b"").unwrap_err().class(),
            ErrorClass::RateLimited
        );
        let e = parse_answer(200, html).unwrap_err();
        assert_eq!(e.class(), ErrorClass::BadResponse);
        assert!(e.to_string().contains("<html>"), "{e}");
    }

    #[test]
    fn null_data_is_a_bad_response() {
        let e = parse_answer(200, br#"{"code":200,"data":null}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::BadResponse);
        assert!(e.to_string().contains("null"), "{e}");
    }

    #[test]
    fn mobiles_field_is_comma_separated_digits() {
        assert_eq!(
            mobiles_field(&[m("13111111111"), m("19912345678")]),
            "13111111111,19912345678"
        );
        assert_eq!(mobiles_field(&[]), "");
    }

    proptest::proptest! {
        #[test]
        fn any_body_reads_without_panicking(
            status in 100u16..600,
            body in proptest::prop_oneof![
                proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                "\\{\"code\":(200|\"200\"|429|null),\"data\":(null|\\[\\]|\\[\\{\"mobile\":\"1[0-9]{10}\",\"status\":[0-9]\\}\\]|\"x\"),\"usage\":(-1|1|\"2\")\\}"
                    .prop_map(String::into_bytes),
            ],
        ) {
            let _ = parse_answer(status, &body);
        }

        #[test]
        fn any_json_reads_to_an_answer_or_a_typed_error(
            status in prop::sample::select(vec![200u16, 400, 429, 500, 502]),
            body in arbitrary_body(),
        ) {
            let text = body.to_string();
            // The documented contract, stated independently of the decoder: integers may come
            // as numbers or as numeric strings, a number as a string or as a JSON number.
            let int = |v: &serde_json::Value| match v {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let number_text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let records = body["data"]
                .as_array()
                .filter(|_| int(&body["code"]) == Some(200));
            match parse_answer(status, text.as_bytes()) {
                Ok(answer) => {
                    // Only a success code with a list of records reads as an answer.
                    let records = records.ok_or_else(|| {
                        TestCaseError::fail(format!("{text} read as an answer"))
                    })?;
                    prop_assert!(answer.reports.len() <= records.len());
                    // Every report comes from a record of the body: the same number, and the
                    // same status where the record gives it as a plain integer.
                    for (mobile, report) in &answer.reports {
                        let from = records.iter().find(|r| {
                            number_text(&r["mobile"]).map(|m| normalize_mobile(&m))
                                == Some(Ok(*mobile))
                                && int(&r["status"]) == Some(report.status.code())
                        });
                        prop_assert!(from.is_some(), "{} is in no record of {}", mobile, text);
                    }
                    // `usage` is the body's when it is a whole number ≥ 0, else one per record.
                    let expected = int(&body["usage"])
                        .and_then(|u| u64::try_from(u).ok())
                        .unwrap_or(records.len() as u64);
                    prop_assert_eq!(answer.usage, expected);
                }
                // A success code with a list of records is always read.
                Err(e) => prop_assert!(records.is_none(), "{} refused: {:?}", text, e),
            }
        }
    }

    /// Any JSON value, and JSON shaped like the API's answer with arbitrary values in its
    /// fields (so the decoder's deeper paths are reached, not only "not an object").
    fn arbitrary_body() -> impl Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::{Value, json};
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "\\PC{0,16}".prop_map(Value::String),
            "1[0-9]{10}".prop_map(Value::String),
            (0i64..8).prop_map(|n| json!(n)),
        ];
        let any_json = leaf.clone().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        let record = (leaf.clone(), leaf.clone(), leaf.clone(), leaf.clone()).prop_map(
            |(mobile, status, area, carrier)| {
                json!({"mobile": mobile, "status": status, "area": area, "carrier": carrier})
            },
        );
        let shaped = (
            prop_oneof![Just(json!(200)), Just(json!("200")), leaf.clone()],
            prop_oneof![
                prop::collection::vec(record, 0..5).prop_map(Value::Array),
                any_json.clone(),
            ],
            leaf.clone(),
            leaf,
        )
            .prop_map(|(code, data, usage, log_id)| {
                json!({"code": code, "msg": "x", "data": data, "usage": usage, "log_id": log_id})
            });
        prop_oneof![any_json, shaped]
    }
}
