//! A simulated ALAPI phonecheck upstream: the project's sandbox. It speaks the real wire format
//! (form-encoded POST of `token` and `mobiles`, the documented JSON answer), so the real client
//! is tested over real HTTP, and users can try their integrations without spending money.
//!
//! Answers are deterministic per number: the status comes from a hash of the number, the carrier
//! from its first three digits, the area from its next four. `13111111111` answers exactly as in
//! the upstream's own document (实号, 山西-临汾, 中国联通).
//!
//! It checks the token, bills every answered number (`usage`), refuses more than 2000 numbers or
//! malformed ones, and has knobs for latency, a QPS limit (answering 429 beyond it) and a random
//! failure rate. **Trigger numbers** make any documented failure happen on demand:
//!
//! | number        | every call holding it answers…                                      |
//! |---------------|---------------------------------------------------------------------|
//! | `1990000CCCC` | code `CCCC` in the JSON body, e.g. `19900000102` → 102 quota used up |
//! | `19900000001` | an HTML page with HTTP 200                                            |
//! | `19900000002` | `"data": null`                                                        |
//! | `19900000003` | an answer that leaves this number out                                 |
//! | `19900000004` | nothing until the `slow` delay (default 60 s) has passed              |
//! | `19900000005` | a connection dropped half way through the answer                      |
//! | `199000005xx` | HTTP 5xx with an HTML body                                            |
//! | `1990001CCCC` | as `1990000CCCC`, but only the first time; later calls succeed       |
//!
//! Each code travels with the HTTP status [`super::wire::http_status`] gives it (429, 404, 405
//! and 503 their own, the others HTTP 200).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use std::borrow::Cow;
use std::time::Duration;

use tokio::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;

use super::Token;
use super::client::UPSTREAM_MAX_BATCH;
use super::wire::{Envelope, Record, code};
use crate::checking::checked_line::LineStatus;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The token it accepts; `None` accepts any non-empty token.
    pub token: Option<Token>,
    /// Calls per second it allows before answering 429; `None` = unlimited.
    pub qps: Option<u32>,
    /// Delay before every answer.
    pub latency: Duration,
    /// Fraction of calls (0.0..=1.0) answered with HTTP 502 at random, never billed.
    pub fail_rate: f64,
    /// How long the slow trigger number `19900000004` makes a call wait.
    pub slow: Duration,
    /// Every n-th call fails, alternately with 429 and HTTP 500, never billed: a flaky
    /// upstream that is deterministic, unlike `fail_rate`.
    pub fail_every: Option<u32>,
    /// Faults of a misbehaving upstream, each at its own rate, for the fault matrix.
    pub faults: Faults,
}

/// Faults injected into calls that would otherwise succeed, each with the fraction of calls
/// (0.0..=1.0) it hits. Which calls are hit follows from the call's sequence number and
/// `seed`, so a run is repeatable given the same order of calls.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Seed of the choice of calls.
    pub seed: u64,
    /// Calls answered only after an extra `spike` delay.
    pub latency_spike: f64,
    /// The extra delay of a latency spike.
    pub spike: Duration,
    /// Connections reset half way through the body (nothing billed).
    pub reset_mid_body: f64,
    /// Answers cut off half way: HTTP 200 with truncated JSON (nothing billed).
    pub truncated_json: f64,
    /// Answers whose `data` leaves out a third of the numbers (billed only those answered).
    pub short_data: f64,
    /// Answers repeating some entries of `data` (each number billed once).
    pub duplicated_entries: f64,
    /// Answers whose `usage` is not the number of entries.
    pub wrong_usage: f64,
    /// HTTP 502 with an HTML page, as a failing gateway in front of the API sends.
    pub bad_gateway_html: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 0,
            latency_spike: 0.0,
            spike: Duration::from_secs(2),
            reset_mid_body: 0.0,
            truncated_json: 0.0,
            short_data: 0.0,
            duplicated_entries: 0.0,
            wrong_usage: 0.0,
            bad_gateway_html: 0.0,
        }
    }
}

impl Faults {
    /// Whether call number `call` is hit by the fault with this `rate`; `salt` tells the
    /// faults apart, so each picks its own calls.
    fn hits(&self, call: u64, salt: &str, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        let h = fnv1a(&format!("{}:{call}:{salt}", self.seed));
        (h % 1_000_000) as f64 / 1_000_000.0 < rate
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            token: None,
            qps: None,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            slow: Duration::from_secs(60),
            fail_every: None,
            faults: Faults::default(),
        }
    }
}

/// What the simulator has seen and billed, for tests and benches.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SimulatorStats {
    /// HTTP calls received, whatever their answer.
    pub calls: u64,
    /// Numbers billed (the sum of the `usage` it answered).
    pub billed: u64,
    /// Calls refused with 429 for exceeding the QPS limit.
    pub rate_limited: u64,
    /// The largest number of mobiles seen in one call.
    pub max_batch: u64,
    /// Milliseconds from the simulator's start to the first call with a valid token.
    pub first_call_ms: Option<u64>,
    /// Milliseconds from the simulator's start to the latest call with a valid token.
    pub last_call_ms: Option<u64>,
}

/// The simulated upstream's state. Share it as `Arc<Simulator>`.
#[derive(Debug)]
pub struct Simulator {
    config: SimulatorConfig,
    calls: AtomicU64,
    billed: AtomicU64,
    rate_limited: AtomicU64,
    max_batch: AtomicU64,
    /// Keyed by the digits as an integer: a string per number would cost the load bench more
    /// than the service it measures.
    billed_per_number: Mutex<HashMap<u64, u32>>,
    seen: Mutex<HashSet<u64>>,
    seen_malformed: Mutex<HashSet<String>>,
    fired_once: Mutex<HashSet<String>>,
    recent_calls: Mutex<VecDeque<Instant>>,
    started: Instant,
    call_span: Mutex<Option<(Instant, Instant)>>,
    /// The `traceparent` header of every call that carried one, in order.
    traceparents: Mutex<Vec<String>>,
}

impl Simulator {
    /// A simulator with the given behaviour.
    pub fn new(config: SimulatorConfig) -> Arc<Self> {
        Arc::new(Simulator {
            config,
            calls: AtomicU64::new(0),
            billed: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            max_batch: AtomicU64::new(0),
            billed_per_number: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashSet::new()),
            seen_malformed: Mutex::new(HashSet::new()),
            fired_once: Mutex::new(HashSet::new()),
            recent_calls: Mutex::new(VecDeque::new()),
            started: Instant::now(),
            call_span: Mutex::new(None),
            traceparents: Mutex::new(Vec::new()),
        })
    }

    /// The HTTP routes: `POST /api/phonecheck` (also `POST /`) and `GET /stats`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/phonecheck", post(handle_check))
            .route("/", post(handle_check))
            .route("/stats", get(handle_stats))
            .with_state(self)
    }

    /// Counters so far.
    pub fn stats(&self) -> SimulatorStats {
        let span = *self.call_span.lock();
        let millis = |t: Instant| t.duration_since(self.started).as_millis() as u64;
        SimulatorStats {
            calls: self.calls.load(Ordering::Relaxed),
            billed: self.billed.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            max_batch: self.max_batch.load(Ordering::Relaxed),
            first_call_ms: span.map(|(first, _)| millis(first)),
            last_call_ms: span.map(|(_, last)| millis(last)),
        }
    }

    /// The largest number of times any one number was billed.
    pub fn most_times_billed(&self) -> u32 {
        self.billed_per_number
            .lock()
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The W3C `traceparent` of every call that carried one, in the order they came: the
    /// trace and span a caller's tracing gave each upstream call.
    pub fn traceparents(&self) -> Vec<String> {
        self.traceparents.lock().clone()
    }

    /// Every `mobiles` entry received, as sent.
    pub fn numbers_seen(&self) -> HashSet<String> {
        let mut seen: HashSet<String> = self.seen.lock().iter().map(u64::to_string).collect();
        seen.extend(self.seen_malformed.lock().iter().cloned());
        seen
    }

    fn record_seen(&self, mobiles: &[&str]) {
        let mut seen = self.seen.lock();
        for m in mobiles {
            match digits_key(m) {
                Some(key) => {
                    seen.insert(key);
                }
                None => {
                    self.seen_malformed.lock().insert((*m).to_owned());
                }
            }
        }
    }

    fn over_qps(&self) -> bool {
        let Some(qps) = self.config.qps else {
            return false;
        };
        let now = Instant::now();
        let mut recent = self.recent_calls.lock();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            recent.pop_front();
        }
        if recent.len() >= qps as usize {
            return true;
        }
        recent.push_back(now);
        false
    }

    /// The trigger code a number carries, if it is a trigger number and still armed.
    fn trigger(&self, mobile: &str) -> Option<u16> {
        let code: u16 = mobile.get(7..)?.parse().ok()?;
        match mobile.get(..7)? {
            "1990000" => Some(code),
            "1990001" => self
                .fired_once
                .lock()
                .insert(mobile.to_owned())
                .then_some(code),
            _ => None,
        }
    }

    fn bill(&self, mobiles: &[&str]) {
        self.billed
            .fetch_add(mobiles.len() as u64, Ordering::Relaxed);
        let mut per_number = self.billed_per_number.lock();
        for key in mobiles.iter().filter_map(|m| digits_key(m)) {
            *per_number.entry(key).or_default() += 1;
        }
    }
}

/// A simulator serving on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct RunningSimulator {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state, for counters.
    pub simulator: Arc<Simulator>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSimulator {
    /// The endpoint URL to give the client.
    pub fn url(&self) -> String {
        format!("http://{}/api/phonecheck", self.addr)
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a simulator on `127.0.0.1` at a free port.
pub async fn spawn(config: SimulatorConfig) -> std::io::Result<RunningSimulator> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let simulator = Simulator::new(config);
    let router = simulator.clone().router();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "mock upstream stopped");
        }
    });
    Ok(RunningSimulator {
        addr,
        simulator,
        task,
    })
}

/// Serves the simulator on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    simulator: Arc<Simulator>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, simulator.router())
        .with_graceful_shutdown(shutdown)
        .await
}

async fn handle_stats(State(sim): State<Arc<Simulator>>) -> Json<SimulatorStats> {
    Json(sim.stats())
}

async fn handle_check(
    State(sim): State<Arc<Simulator>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let call = sim.calls.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(parent) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        sim.traceparents.lock().push(parent.to_owned());
    }
    if !sim.config.latency.is_zero() {
        tokio::time::sleep(sim.config.latency).await;
    }
    let token_ok = match (&sim.config.token, form.get("token")) {
        (_, None) => false,
        (None, Some(t)) => !t.trim().is_empty(),
        (Some(expected), Some(t)) => expected.expose() == t,
    };
    if !token_ok {
        return api_error(code::TOKEN_INVALID, "token 错误");
    }
    {
        let now = Instant::now();
        let mut span = sim.call_span.lock();
        *span = Some(span.map_or((now, now), |(first, _)| (first, now)));
    }
    if sim.over_qps() {
        sim.rate_limited.fetch_add(1, Ordering::Relaxed);
        return api_error(code::RATE_LIMITED, "请求 QPS 超过限制");
    }
    let mobiles: Vec<&str> = form
        .get("mobiles")
        .map(|m| m.split(',').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    sim.max_batch
        .fetch_max(mobiles.len() as u64, Ordering::Relaxed);
    sim.record_seen(&mobiles);
    if mobiles.is_empty() {
        return api_error(code::BAD_REQUEST, "mobiles 不能为空");
    }
    if mobiles.len() > UPSTREAM_MAX_BATCH {
        return api_error(code::BAD_REQUEST, "mobiles 最多2000个");
    }
    if let Some(bad) = mobiles.iter().find(|m| !is_eleven_digits(m)) {
        return api_error(code::BAD_MOBILE, format!("手机号格式错误: {bad}"));
    }
    if sim.config.fail_rate > 0.0 && rand::random::<f64>() < sim.config.fail_rate {
        return html(StatusCode::BAD_GATEWAY);
    }
    if let Some(n) = sim.config.fail_every.filter(|n| *n > 0)
        && call % u64::from(n) == 0
    {
        return if (call / u64::from(n)) % 2 == 1 {
            api_error(code::RATE_LIMITED, "请求 QPS 超过限制")
        } else {
            html(StatusCode::INTERNAL_SERVER_ERROR)
        };
    }

    let mut leave_out = HashSet::new();
    for m in &mobiles {
        match sim.trigger(m) {
            None => {}
            Some(1) => return html(StatusCode::OK),
            Some(2) => {
                let mut no_data = Envelope::success(Vec::new(), 0, LOG_PREFIX);
                no_data.data = None;
                return no_data.into_response();
            }
            Some(3) => {
                leave_out.insert(*m);
            }
            Some(4) => tokio::time::sleep(sim.config.slow).await,
            Some(5) => return dropped_connection(),
            Some(code @ 500..=599) => {
                return html(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY));
            }
            Some(code) => return api_error(i64::from(code), "simulated failure"),
        }
    }

    let faults = sim.config.faults;
    if faults.hits(call, "spike", faults.latency_spike) {
        tokio::time::sleep(faults.spike).await;
    }
    if faults.hits(call, "reset", faults.reset_mid_body) {
        return dropped_connection();
    }
    if faults.hits(call, "502", faults.bad_gateway_html) {
        return html(StatusCode::BAD_GATEWAY);
    }
    if faults.hits(call, "short", faults.short_data) {
        // A third of the numbers left out, as an upstream losing records would.
        leave_out.extend(mobiles.iter().copied().step_by(3));
    }

    let mut answered: Vec<&str> = mobiles
        .iter()
        .copied()
        .filter(|m| !leave_out.contains(m))
        .collect();
    // The real upstream promises no order; answer in another one so callers must match by
    // the `mobile` field.
    answered.sort_unstable_by(|a, b| b.cmp(a));
    let truncated = faults.hits(call, "truncated", faults.truncated_json);
    if !truncated {
        sim.bill(&answered);
    }
    let mut data: Vec<_> = answered.iter().map(|m| record(m)).collect();
    let usage = if faults.hits(call, "usage", faults.wrong_usage) {
        data.len() * 2 + 7
    } else {
        data.len()
    };
    if faults.hits(call, "duplicated", faults.duplicated_entries) {
        let repeats: Vec<_> = answered.iter().step_by(2).map(|m| record(m)).collect();
        data.extend(repeats);
    }
    let envelope = Envelope::success(data, usage as u64, LOG_PREFIX);
    if truncated {
        let mut body = serde_json::to_vec(&envelope).unwrap_or_default();
        body.truncate(body.len() / 2);
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    envelope.into_response()
}

/// The status the simulator answers for `mobile` (an 11-digit number), as the upstream's
/// `status` code: what a test compares results against.
pub fn expected_status(mobile: &str) -> i64 {
    record(mobile).status
}

fn is_eleven_digits(m: &str) -> bool {
    m.len() == 11 && m.bytes().all(|b| b.is_ascii_digit())
}

/// An 11-digit number starting with 1 as an integer (its string form is the same digits).
fn digits_key(m: &str) -> Option<u64> {
    (is_eleven_digits(m) && m.starts_with('1'))
        .then(|| m.parse().ok())
        .flatten()
}

/// How the simulator's `log_id`s begin.
const LOG_PREFIX: &str = "sim-";

fn api_error(code: i64, msg: impl Into<Cow<'static, str>>) -> Response {
    Envelope::error(code, msg, LOG_PREFIX).into_response()
}

fn html(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html")],
        format!("<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"),
    )
        .into_response()
}

fn dropped_connection() -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"code\":200,\"data\":[")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection drop",
        )),
    ];
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap_or_else(|_| html(StatusCode::BAD_GATEWAY))
}

/// FNV-1a: a stable hash, so the same number always gets the same answer.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The simulated record for one number.
fn record(mobile: &str) -> Record<'_> {
    if mobile == "13111111111" {
        return Record {
            area: Cow::Borrowed("山西-临汾"),
            mobile: Cow::Borrowed(mobile),
            number_type: Cow::Borrowed("中国联通"),
            status: LineStatus::Real.code(),
            status_name: Cow::Borrowed(LineStatus::Real.label()),
        };
    }
    let h = fnv1a(mobile);
    let status = match h % 100 {
        0..70 => LineStatus::Real,
        70..82 => LineStatus::Empty,
        82..88 => LineStatus::Suspended,
        88..92 => LineStatus::NotInDatabase,
        92..97 => LineStatus::Silent,
        _ => LineStatus::Risk,
    };
    let area = AREAS[(fnv1a(mobile.get(3..7).unwrap_or("")) % AREAS.len() as u64) as usize];
    Record {
        area: Cow::Borrowed(area),
        mobile: Cow::Borrowed(mobile),
        number_type: Cow::Borrowed(carrier(mobile)),
        status: status.code(),
        status_name: Cow::Borrowed(status.label()),
    }
}

fn carrier(mobile: &str) -> &'static str {
    match mobile.get(..3).unwrap_or("") {
        "134" | "135" | "136" | "137" | "138" | "139" | "147" | "150" | "151" | "152" | "157"
        | "158" | "159" | "172" | "178" | "182" | "183" | "184" | "187" | "188" | "195" | "197"
        | "198" => "中国移动",
        "130" | "131" | "132" | "145" | "155" | "156" | "166" | "175" | "176" | "185" | "186"
        | "196" => "中国联通",
        "133" | "149" | "153" | "173" | "174" | "177" | "180" | "181" | "189" | "190" | "191"
        | "193" | "199" => "中国电信",
        "192" => "中国广电",
        "162" | "165" | "167" | "170" | "171" => "虚拟运营商",
        _ => "未知",
    }
}

const AREAS: &[&str] = &[
    "北京",
    "上海",
    "天津",
    "重庆",
    "广东-广州",
    "广东-深圳",
    "广东-东莞",
    "浙江-杭州",
    "浙江-宁波",
    "江苏-南京",
    "江苏-苏州",
    "山东-济南",
    "山东-青岛",
    "四川-成都",
    "湖北-武汉",
    "湖南-长沙",
    "河南-郑州",
    "河北-石家庄",
    "山西-临汾",
    "山西-太原",
    "陕西-西安",
    "福建-厦门",
    "安徽-合肥",
    "辽宁-沈阳",
    "黑龙江-哈尔滨",
    "云南-昆明",
    "广西-南宁",
    "新疆-乌鲁木齐",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_deterministic_and_documented_example_holds() {
        assert_eq!(record("13800138000"), record("13800138000"));
        let doc = record("13111111111");
        assert_eq!(
            (&*doc.area, doc.status, &*doc.number_type),
            ("山西-临汾", 1, "中国联通")
        );
        assert_eq!(carrier("13912345678"), "中国移动");
        assert_eq!(carrier("18912345678"), "中国电信");
    }

    #[test]
    fn statuses_spread_over_all_six() {
        let mut seen = HashSet::new();
        for i in 0..2000u64 {
            let m = format!("139{:08}", i * 7919);
            seen.insert(record(&m).status);
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
    }

    #[test]
    fn trigger_numbers_fire_as_documented() {
        let sim = Simulator::new(SimulatorConfig::default());
        assert_eq!(sim.trigger("19900000102"), Some(102));
        assert_eq!(sim.trigger("19900000102"), Some(102));
        assert_eq!(sim.trigger("19900010429"), Some(429));
        assert_eq!(sim.trigger("19900010429"), None);
        assert_eq!(sim.trigger("13111111111"), None);
    }
}
