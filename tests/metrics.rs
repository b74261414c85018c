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

/// The gRPC address from the server's logs (logged before the metrics one).
fn grpc_addr(logs: &[String]) -> String {
    logs.iter()
        .filter(|l| l.contains("phonecheck listening"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .map(str::to_owned)
        })
        .expect("the gRPC address is logged")
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
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("crm:{API_KEY}::1000/day\n")).unwrap();
    let mut mock = phonecheck();
    mock.args(["mock-upstream", "--listen", "127.0.0.1:0"])
        .args(["--token", UPSTREAM_TOKEN]);
    let (url, _mock) = start_and_read(mock, "mock upstream listening", "url=");
    let stats_url = url.replace("/api/phonecheck", "/stats");

    let mut serve = phonecheck();
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url", &url])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .args(["--api-keys-file", keys.to_str().unwrap()])
        // A database of its own: the budget's use starts at zero.
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("ALAPI_TOKEN", UPSTREAM_TOKEN);
    // The gRPC line is logged first, the metrics line after it.
    let (metrics_addr, _server, logs) = start_logged(serve, "metrics listening", "addr=");
    let grpc_addr = grpc_addr(&logs.lock());
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
