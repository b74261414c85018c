//! `--metrics-listen` and request ids, on the real binary: a mock upstream and a server as
//! child processes, some calls, then a scrape of `/metrics` whose counts must match what the
//! calls answered and what the mock upstream billed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CheckRequest, CheckStreamRequest, NumberStatus, PhoneResult};
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use common::process::{phonecheck, start_and_read, start_logged};

const UPSTREAM_TOKEN: &str = "metrics-test-token";
const API_KEY: &str = "metrics-test-key-1234567890";

/// One sample of the Prometheus text format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (k, v) = l.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("a number"),
            }
        })
        .collect()
}

/// The sum of every sample of `name` carrying all of `labels`.
fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// A simulated upstream (a child process, with `mock_flags`) and a server on it with
/// metrics and one key, `crm` with `budget`, and a database of its own in `dir` (so the
/// budget's use starts at zero). Both stop when it is dropped.
struct Metered {
    url: String,
    metrics_addr: String,
    grpc_addr: String,
    /// The HTTP listener: the JSON API.
    http_addr: String,
    _mock: common::process::Running,
    _server: common::process::Running,
}

fn metered(dir: &std::path::Path, budget: &str, mock_flags: &[&str]) -> Metered {
    let keys = dir.join("keys");
    std::fs::write(&keys, format!("crm:{API_KEY}::{budget}\n")).unwrap();
    let mut mock = phonecheck();
    mock.args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .args(mock_flags)
        .args(["--token", UPSTREAM_TOKEN]);
    let (url, mock) = start_and_read(mock, "mock upstream listening", "url=");
    let mut serve = phonecheck();
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url", &url])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .args(["--http-listen", "127.0.0.1:0"])
        .args(["--api-keys-file", keys.to_str().unwrap()])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("ALAPI_TOKEN", UPSTREAM_TOKEN);
    // The gRPC line is logged first, the metrics line after it.
    let (metrics_addr, server, logs) = start_logged(serve, "metrics listening", "addr=");
    let grpc_addr = grpc_addr(&logs.lock());
    // The HTTP line comes once the jobs have started, after the metrics one.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let http_addr = loop {
        if let Some(addr) = logged_addr(&logs.lock(), "HTTP listening") {
            break addr;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the HTTP address is logged"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Metered {
        url,
        metrics_addr,
        grpc_addr,
        http_addr,
        _mock: mock,
        _server: server,
    }
}

/// The gRPC address from the server's logs (logged before the metrics one).
fn grpc_addr(logs: &[String]) -> String {
    logged_addr(logs, "phonecheck listening").expect("the gRPC address is logged")
}

/// The `addr=` of the first log line containing `marker`.
fn logged_addr(logs: &[String], marker: &str) -> Option<String> {
    logs.iter().filter(|l| l.contains(marker)).find_map(|l| {
        l.split_whitespace()
            .find_map(|w| w.strip_prefix("addr="))
            .map(str::to_owned)
    })
}

fn with_key<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {API_KEY}")).unwrap(),
    );
    request
}

async fn check(client: &mut PhoneCheckClient<Channel>, mobiles: &[&str]) -> Vec<PhoneResult> {
    client
        .check(with_key(CheckRequest {
            mobiles: mobiles.iter().map(|m| (*m).to_owned()).collect(),
            ..Default::default()
        }))
        .await
        .expect("check")
        .into_inner()
        .results
}

#[tokio::test]
async fn metrics_count_what_the_calls_answered_and_request_ids_come_back() {
    let dir = tempfile::tempdir().unwrap();
    // Kept whole: dropping it stops the processes.
    let metered = metered(dir.path(), "1000/day", &[]);
    let (url, metrics_addr, grpc_addr) = (&metered.url, &metered.metrics_addr, &metered.grpc_addr);
    let stats_url = url.replace("/api/phonecheck", "/stats");
    let http = reqwest::Client::new();
    let scrape = || async {
        let text = http
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body");
        (parse(&text), text)
    };
    let mut client = PhoneCheckClient::connect(format!("http://{grpc_addr}"))
        .await
        .expect("connect");

    let first = check(&mut client, &["13111111111", "13922222222", "abc"]).await;
    let second = check(&mut client, &["13111111111", "13922222222"]).await;
    let empty = client
        .check(with_key(CheckRequest::default()))
        .await
        .expect_err("empty request");
    assert_eq!(empty.code(), Code::InvalidArgument);
    let anonymous = client
        .check(CheckRequest {
            mobiles: vec!["13111111111".to_owned()],
            ..Default::default()
        })
        .await
        .expect_err("no key");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let mut stream_request = with_key(CheckStreamRequest {
        mobiles: vec!["13111111111".into(), "13533333333".into()],
        ..Default::default()
    });
    stream_request
        .metadata_mut()
        .insert("x-request-id", MetadataValue::from_static("order-42"));
    let response = client.check_stream(stream_request).await.expect("stream");
    assert_eq!(
        response
            .metadata()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap()),
        Some("order-42"),
        "the caller's request id comes back"
    );
    let mut stream = response.into_inner();
    let mut streamed = Vec::new();
    while let Some(message) = stream.message().await.expect("stream ok") {
        streamed.extend(message.results);
    }
    let generated = client
        .check(with_key(CheckRequest {
            mobiles: vec!["13111111111".into()],
            ..Default::default()
        }))
        .await
        .expect("check");
    let id = generated.metadata().get("x-request-id").expect("a new id");
    assert_eq!(id.len(), 16, "a generated id: {id:?}");

    let (samples, text) = scrape().await;
    let rpcs = "phonecheck_rpc_requests_total";
    let calls = |method: &str, code: &str, caller: &str| {
        sum(
            &samples,
            rpcs,
            &[("method", method), ("code", code), ("caller", caller)],
        )
    };
    assert_eq!(calls("PhoneCheck/Check", "OK", "crm"), 3.0, "{text}");
    assert_eq!(calls("PhoneCheck/Check", "INVALID_ARGUMENT", "crm"), 1.0);
    assert_eq!(
        calls("PhoneCheck/Check", "UNAUTHENTICATED", "anonymous"),
        1.0
    );
    assert_eq!(calls("PhoneCheck/CheckStream", "OK", "crm"), 1.0, "{text}");
    assert!(text.contains("# TYPE phonecheck_rpc_duration_seconds histogram"));
    assert_eq!(
        sum(
            &samples,
            "phonecheck_rpc_duration_seconds_count",
            &[("method", "PhoneCheck/Check")]
        ),
        5.0
    );

    // Results by status: exactly what the calls answered.
    let answered: Vec<&PhoneResult> = first
        .iter()
        .chain(&second)
        .chain(&streamed)
        .chain(std::iter::once(&generated.get_ref().results[0]))
        .collect();
    for (status, name) in [
        (NumberStatus::Empty, "empty"),
        (NumberStatus::Real, "real"),
        (NumberStatus::Suspended, "suspended"),
        (NumberStatus::NotInDatabase, "not_in_database"),
        (NumberStatus::Silent, "silent"),
        (NumberStatus::Risk, "risk"),
        (NumberStatus::Invalid, "invalid"),
    ] {
        let expected = answered.iter().filter(|r| r.status() == status).count();
        let got = sum(&samples, "phonecheck_results_total", &[("status", name)]);
        assert_eq!(got, expected as f64, "status {name}\n{text}");
    }

    // Billing: what the mock upstream billed, three distinct numbers in two batches.
    let stats: serde_json::Value = http
        .get(&stats_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["billed"], 3);
    assert_eq!(sum(&samples, "phonecheck_numbers_billed_total", &[]), 3.0);
    // By the caller that made them leave, and what is left of its budget.
    assert_eq!(
        sum(
            &samples,
            "phonecheck_numbers_billed_total",
            &[("caller", "crm")]
        ),
        3.0
    );
    assert_eq!(
        sum(&samples, "phonecheck_budget_left", &[("caller", "crm")]),
        997.0,
        "{text}"
    );
    assert_eq!(
        sum(
            &samples,
            "phonecheck_upstream_calls_total",
            &[("outcome", "ok"), ("code", "200")]
        ),
        stats["calls"].as_f64().unwrap()
    );
    assert_eq!(sum(&samples, "phonecheck_batch_size_count", &[]), 2.0);
    assert_eq!(sum(&samples, "phonecheck_batch_size_sum", &[]), 3.0);
    assert_eq!(sum(&samples, "phonecheck_cache_hits_total", &[]), 4.0);
    assert_eq!(sum(&samples, "phonecheck_cache_misses_total", &[]), 3.0);
    assert_eq!(sum(&samples, "phonecheck_queued_numbers", &[]), 0.0);
    assert_eq!(
        sum(&samples, "phonecheck_rate_limit_wait_seconds_count", &[]),
        2.0
    );

    // Jobs by state: one job, once it has succeeded.
    let job = client
        .create_job(with_key(futures::stream::iter(vec![
            phonecheck::pb::CreateJobRequest {
                mobiles: vec!["13111111111".into()],
                ..Default::default()
            },
        ])))
        .await
        .expect("job")
        .into_inner();
    let mut succeeded = 0.0;
    for _ in 0..100 {
        let (samples, _) = scrape().await;
        succeeded = sum(&samples, "phonecheck_jobs", &[("state", "succeeded")]);
        if succeeded == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(succeeded, 1.0, "job {} counted as succeeded", job.id);
}

#[tokio::test]
async fn an_upstream_usage_that_differs_from_the_numbers_answered_is_counted_and_logged_once() {
    let mut mock = phonecheck();
    mock.args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .args(["--token", UPSTREAM_TOKEN, "--wrong-usage", "1"]);
    let (url, _mock) = start_and_read(mock, "mock upstream listening", "url=");
    let mut serve = phonecheck();
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url", &url])
        .args(["--metrics-listen", "127.0.0.1:0", "--cache-entries", "0"])
        .env("ALAPI_TOKEN", UPSTREAM_TOKEN);
    let (metrics_addr, _server, logs) = start_logged(serve, "metrics listening", "addr=");
    let grpc_addr = grpc_addr(&logs.lock());
    let mut client = PhoneCheckClient::connect(format!("http://{grpc_addr}"))
        .await
        .expect("connect");
    // Two calls of two numbers each; the mock claims usage 2 × 2 + 7 = 11 for each.
    for pair in [
        ["13111111111", "13922222222"],
        ["13533333333", "13644444444"],
    ] {
        let results = check(&mut client, &pair).await;
        assert_eq!(results.len(), 2);
    }
    let text = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    let samples = parse(&text);
    assert_eq!(
        sum(&samples, "phonecheck_numbers_billed_total", &[]),
        4.0,
        "billed counts the numbers answered"
    );
    assert_eq!(
        sum(&samples, "phonecheck_upstream_usage_total", &[]),
        22.0,
        "{text}"
    );
    assert_eq!(
        sum(&samples, "phonecheck_upstream_usage_mismatches_total", &[]),
        2.0,
        "{text}"
    );
    let warned = logs
        .lock()
        .iter()
        .filter(|l| l.contains("usage differs"))
        .count();
    assert_eq!(warned, 1, "logged once, counted every time");
}

/// `promtool` (Debian's `prometheus` package), or `None` with a SKIPPED line, unless
/// `PHONECHECK_REQUIRE_PROMTOOL=1` (CI) makes its absence a failure.
fn promtool(test: &str) -> Option<String> {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("promtool".to_owned());
    }
    if std::env::var("PHONECHECK_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1") {
        panic!("{test}: promtool is not installed (PHONECHECK_REQUIRE_PROMTOOL=1)");
    }
    eprintln!("SKIPPED {test}: promtool is not installed (Debian's prometheus package)");
    None
}

/// The shipped rules without their annotations: `promtool test rules` compares annotations
/// too, and theirs are for people (with the alert's value in them); the test checks when each
/// alert fires and with which labels. `promtool check rules` checks the file as shipped.
fn rules_without_annotations(rules: &str) -> String {
    let mut out = Vec::new();
    let mut skipping: Option<usize> = None;
    for line in rules.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(depth) = skipping {
            if line.trim().is_empty() || indent > depth {
                continue;
            }
            skipping = None;
        }
        if line.trim_start().starts_with("annotations:") {
            skipping = Some(indent);
            continue;
        }
        out.push(line);
    }
    out.join("\n") + "\n"
}

/// Every `phonecheck_…` metric name `text` mentions.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for (at, _) in text.match_indices("phonecheck_") {
        let name: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        names.insert(name);
    }
    names
}

/// The `input_series` of a promtool test: each scraped sample as a series of a replica
/// (`job="phonecheck"`), counters growing by their scraped value each minute, gauges held at
/// it; `overrides` replaces a gauge's value.
fn input_series(samples: &[Sample], up: u8, overrides: &[(&str, f64)]) -> String {
    let mut out = format!(
        "      - series: 'up{{job=\"phonecheck\",instance=\"replica-1\"}}'\n        values: '{up}x40'\n"
    );
    for sample in samples {
        let mut labels: Vec<String> = sample
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        labels.push("job=\"phonecheck\"".to_owned());
        labels.push("instance=\"replica-1\"".to_owned());
        let counter = ["_total", "_bucket", "_count", "_sum"]
            .iter()
            .any(|suffix| sample.name.ends_with(suffix));
        let value = overrides
            .iter()
            .find(|(name, _)| *name == sample.name)
            .map_or(sample.value, |(_, v)| *v);
        let values = if counter {
            format!("0+{value}x40")
        } else {
            format!("{value}x40")
        };
        out.push_str(&format!(
            "      - series: '{}{{{}}}'\n        values: '{values}'\n",
            sample.name,
            labels.join(",")
        ));
    }
    out
}

#[tokio::test]
async fn the_shipped_alerts_fire_on_what_a_real_server_exports_and_the_dashboard_reads_it() {
    let test = "the_shipped_alerts_fire_on_what_a_real_server_exports";
    let Some(promtool) = promtool(test) else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules_file = root.join("deploy/prometheus/alerts.yml");
    let checked = std::process::Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules_file)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "promtool check rules: {}",
        String::from_utf8_lossy(&checked.stdout)
    );

    // A server whose upstream fails every second call, and whose one caller spends 91 of its
    // 100-number budget.
    let dir = tempfile::tempdir().unwrap();
    // Kept whole: dropping it stops the processes.
    let metered = metered(dir.path(), "100/day", &["--fail-every", "2"]);
    let (metrics_addr, grpc_addr) = (&metered.metrics_addr, &metered.grpc_addr);
    let mut client = PhoneCheckClient::connect(format!("http://{grpc_addr}"))
        .await
        .expect("connect");
    for call in 0..4 {
        let mobiles: Vec<String> = (0..22)
            .map(|i| format!("1390000{:04}", call * 100 + i))
            .collect();
        let refs: Vec<&str> = mobiles.iter().map(String::as_str).collect();
        assert_eq!(check(&mut client, &refs).await.len(), 22);
    }
    let job = client
        .create_job(with_key(futures::stream::iter([
            phonecheck::pb::CreateJobRequest {
                mobiles: vec![
                    "13900009001".into(),
                    "13900009002".into(),
                    "13900009003".into(),
                ],
                ..Default::default()
            },
        ])))
        .await
        .expect("job")
        .into_inner();
    let http = reqwest::Client::new();
    let (samples, text) = common::eventually(
        "the job counted as succeeded",
        std::time::Duration::from_secs(20),
        || async {
            let text = http
                .get(format!("http://{metrics_addr}/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let samples = parse(&text);
            (sum(&samples, "phonecheck_jobs", &[("state", "succeeded")]) == 1.0)
                .then_some((samples, text))
        },
    )
    .await;
    assert!(!job.id.is_empty());

    // Every metric the rules and the dashboard read is one the server exports.
    let exported = metric_names(&text);
    let rules = std::fs::read_to_string(&rules_file).unwrap();
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana/phonecheck.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    for (file, text) in [("alerts.yml", &rules), ("phonecheck.json", &dashboard)] {
        let unknown: Vec<String> = metric_names(text)
            .into_iter()
            .filter(|name| !exported.contains(name))
            .collect();
        assert!(
            unknown.is_empty(),
            "{file} reads metrics the server does not export: {unknown:?}"
        );
    }

    // The rules on those series: as scraped, then with the replica down and its queue full.
    let capacity = sum(&samples, "phonecheck_queue_capacity", &[]);
    assert!(capacity > 0.0, "the queue's capacity is exported");
    std::fs::write(
        dir.path().join("rules.yml"),
        rules_without_annotations(&rules),
    )
    .unwrap();
    let expect = |alert: &str, alerts: &str| {
        format!(
            "      - eval_time: 10m\n        alertname: {alert}\n        exp_alerts: {alerts}\n"
        )
    };
    let page = "[{exp_labels: {severity: page}}]";
    let scraped = [
        expect("PhonecheckUpstreamFailing", page),
        expect(
            "PhonecheckCallerBudgetNearlyUsed",
            "[{exp_labels: {severity: ticket, caller: crm, job: phonecheck, instance: replica-1}}]",
        ),
        expect("PhonecheckQueueSaturated", "[]"),
        expect("PhonecheckNoReplicaServing", "[]"),
        expect("PhonecheckUpstreamQuotaUsedUp", "[]"),
        expect("PhonecheckJobStuck", "[]"),
    ]
    .concat();
    let failing = [
        expect("PhonecheckNoReplicaServing", page),
        expect(
            "PhonecheckQueueSaturated",
            "[{exp_labels: {severity: page, instance: replica-1}}]",
        ),
    ]
    .concat();
    let unit = format!(
        "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{}    alert_rule_test:\n{scraped}  - interval: 1m\n    input_series:\n{}    alert_rule_test:\n{failing}",
        input_series(&samples, 1, &[]),
        input_series(&samples, 0, &[("phonecheck_queued_numbers", capacity)]),
    );
    std::fs::write(dir.path().join("alerts_test.yml"), &unit).unwrap();
    let tested = std::process::Command::new(&promtool)
        .args(["test", "rules", "alerts_test.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        tested.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );
}

#[tokio::test]
async fn json_api_calls_are_counted_as_the_grpc_calls_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let metered = metered(dir.path(), "1000/day", &[]);
    let http = reqwest::Client::new();
    let base = format!("http://{}", metered.http_addr);
    let keyed = |request: reqwest::RequestBuilder| {
        request
            .header("authorization", format!("Bearer {API_KEY}"))
            .send()
    };
    for _ in 0..2 {
        let response = keyed(
            http.post(format!("{base}/v1/check"))
                .body(r#"{"mobiles":["13111111111"]}"#),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
    }
    let response = http
        .post(format!("{base}/v1/check"))
        .body(r#"{"mobiles":["13111111111"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = keyed(http.get(format!("{base}/v1/jobs/j_none")))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    let text = http
        .get(format!("http://{}/metrics", metered.metrics_addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples = parse(&text);
    let calls = |method: &str, code: &str, caller: &str| {
        sum(
            &samples,
            "phonecheck_rpc_requests_total",
            &[("method", method), ("code", code), ("caller", caller)],
        )
    };
    assert_eq!(calls("PhoneCheck/Check", "OK", "crm"), 2.0, "{text}");
    assert_eq!(
        calls("PhoneCheck/Check", "UNAUTHENTICATED", "anonymous"),
        1.0
    );
    assert_eq!(
        calls("PhoneCheck/GetJob", "NOT_FOUND", "crm"),
        1.0,
        "{text}"
    );
}
