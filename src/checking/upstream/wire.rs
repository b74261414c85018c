//! The upstream's JSON, read without trusting it: `code` may be a number or a string, `data` may
//! be null or absent, records may be missing, malformed or out of order. Answers are matched to
//! numbers by their `mobile` field, never by position.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value;

use super::error::UpstreamError;
use crate::checking::number::{Mobile, MobileMap, normalize_mobile};

/// A number's line status, as the upstream's `status` 0..=5 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// 0 空号: not assigned to anyone.
    Empty,
    /// 1 实号: in normal use.
    Real,
    /// 2 停机: service suspended.
    Suspended,
    /// 3 库无: unknown to the upstream's database.
    NotInDatabase,
    /// 4 沉默号: assigned but long unused.
    Silent,
    /// 5 风险: flagged as risky.
    Risk,
}

impl LineStatus {
    /// Every status, in upstream code order.
    pub const ALL: [LineStatus; 6] = [
        LineStatus::Empty,
        LineStatus::Real,
        LineStatus::Suspended,
        LineStatus::NotInDatabase,
        LineStatus::Silent,
        LineStatus::Risk,
    ];

    /// The status for an upstream `status` code, if it is one the API documents.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// The upstream `status` code of this status.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// A stable lower-case name (as in metrics labels and the command-line client's output).
    pub fn name(self) -> &'static str {
        match self {
            LineStatus::Empty => "empty",
            LineStatus::Real => "real",
            LineStatus::Suspended => "suspended",
            LineStatus::NotInDatabase => "not_in_database",
            LineStatus::Silent => "silent",
            LineStatus::Risk => "risk",
        }
    }

    /// The upstream's own label, used when its answer carries none.
    pub fn label(self) -> &'static str {
        match self {
            LineStatus::Empty => "空号",
            LineStatus::Real => "实号",
            LineStatus::Suspended => "停机",
            LineStatus::NotInDatabase => "库无",
            LineStatus::Silent => "沉默号",
            LineStatus::Risk => "风险",
        }
    }
}

/// What the upstream said about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberReport {
    /// The line status.
    pub status: LineStatus,
    /// The upstream's label for the status, e.g. "实号".
    pub status_name: Arc<str>,
    /// Where the number is registered, e.g. "山西-临汾".
    pub area: Arc<str>,
    /// The carrier (upstream `number_type`), e.g. "中国联通".
    pub carrier: Arc<str>,
    /// When the answer arrived.
    pub checked_at: SystemTime,
}

impl NumberReport {
    /// `area` split into province and city: "山西-临汾" → ("山西", "临汾"); "北京" → ("北京", "").
    pub fn province_and_city(&self) -> (&str, &str) {
        match self.area.split_once(['-', '－', '—', ' ']) {
            Some((province, city)) => (province.trim(), city.trim()),
            None => (self.area.trim(), ""),
        }
    }
}

/// A successful answer: the reports it holds by number, and what it billed.
#[derive(Debug, Clone, Default)]
pub struct UpstreamAnswer {
    /// Reports by number; a number sent but absent here was not answered.
    pub reports: MobileMap<NumberReport>,
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

/// A successful answer exactly as the upstream documents it.
#[derive(Deserialize)]
struct DocumentedBody<'a> {
    code: i64,
    #[serde(borrow)]
    data: Vec<DocumentedRecord<'a>>,
    usage: Option<u64>,
    #[serde(borrow)]
    log_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct DocumentedRecord<'a> {
    #[serde(borrow, default)]
    area: Cow<'a, str>,
    #[serde(borrow)]
    mobile: Cow<'a, str>,
    #[serde(borrow, default)]
    number_type: Cow<'a, str>,
    status: i64,
    #[serde(borrow, default)]
    status_name: Cow<'a, str>,
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
    if let Ok(doc) = serde_json::from_slice::<DocumentedBody<'_>>(body)
        && doc.code == 200
    {
        let checked_at = SystemTime::now();
        let reports: MobileMap<_> = doc
            .data
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
        warn_unreadable(doc.data.len() - reports.len(), doc.log_id.as_deref());
        return Ok(UpstreamAnswer {
            usage: doc.usage.unwrap_or(doc.data.len() as u64),
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
    if code != 200 {
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

/// Text that many reports share (areas, carriers, labels) as one allocation, however many
/// answers carry it: a cache of a million answers holds a few hundred strings, not three
/// million, and reading an answer touches one allocation instead of four.
pub fn intern(text: &str) -> Arc<str> {
    /// Beyond this many distinct texts (an upstream gone strange), new ones are not kept.
    const MOST: usize = 65_536;
    // foldhash, not SipHash: three texts are looked up for every answer (C1's profile).
    type Texts = HashSet<Arc<str>, foldhash::fast::RandomState>;
    static TEXTS: LazyLock<Mutex<Texts>> = LazyLock::new(Mutex::default);
    // Every update is one insert: a poisoned set is still a consistent set.
    let mut texts = TEXTS.lock();
    if let Some(known) = texts.get(text) {
        return known.clone();
    }
    let new: Arc<str> = Arc::from(text);
    if texts.len() < MOST {
        texts.insert(new.clone());
    }
    new
}

/// One record as a report, or `None` when its number or status is unusable.
fn report(
    mobile: &str,
    status: Option<i64>,
    area: &str,
    carrier: &str,
    status_name: &str,
    checked_at: SystemTime,
) -> Option<(Mobile, NumberReport)> {
    let mobile = normalize_mobile(mobile).ok()?;
    let status = LineStatus::from_code(status?)?;
    let status_name = if status_name.is_empty() {
        status.label()
    } else {
        status_name
    };
    Some((
        mobile,
        NumberReport {
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
    fn splits_area_into_province_and_city() {
        let report = |area: &str| NumberReport {
            status: LineStatus::Real,
            status_name: "".into(),
            area: area.into(),
            carrier: "".into(),
            checked_at: SystemTime::UNIX_EPOCH,
        };
        assert_eq!(report("山西-临汾").province_and_city(), ("山西", "临汾"));
        assert_eq!(report("北京").province_and_city(), ("北京", ""));
        assert_eq!(report("").province_and_city(), ("", ""));
        assert_eq!(report("广东 深圳").province_and_city(), ("广东", "深圳"));
    }

    #[test]
    fn mobiles_field_is_comma_separated_digits() {
        assert_eq!(
            mobiles_field(&[m("13111111111"), m("19912345678")]),
            "13111111111,19912345678"
        );
        assert_eq!(mobiles_field(&[]), "");
    }

    #[test]
    fn status_codes_round_trip() {
        for s in LineStatus::ALL {
            assert_eq!(LineStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(LineStatus::from_code(6), None);
        assert_eq!(LineStatus::from_code(-1), None);
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
