//! The ALAPI-compatible HTTP door and gRPC-Web, over real HTTP against a real server and the
//! simulator: the upstream's request and answer shape, its codes, and billing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use phonecheck::checking::upstream::simulator::{RunningSimulator, SimulatorConfig};
use phonecheck::pb::{CheckRequest, CheckResponse};
use prost::Message;
use serde_json::Value;

use common::{start_server_with_http, test_config};

async fn door() -> (
    RunningSimulator,
    SocketAddr,
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
) {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    let (grpc, http, stop) = start_server_with_http(config).await;
    (sim, grpc, http.expect("http door"), stop)
}

/// POSTs a form exactly as ALAPI's own examples do.
async fn post(http: SocketAddr, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{http}/api/phonecheck"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn answers_in_the_upstreams_shape_with_usage_billed_by_this_call() {
    let (sim, _, http, _stop) = door().await;
    let (status, answer) = post(
        http,
        "token=anything&mobiles=13111111111,13222222222,13111111111",
    )
    .await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["code", "data", "log_id", "msg", "time", "usage"]);
    assert_eq!(answer["code"], 200);
    assert_eq!(answer["msg"], "success");
    assert_eq!(answer["usage"], 2, "the repeat is not billed");
    assert!(answer["time"].as_u64().unwrap() > 1_700_000_000);
    assert!(answer["log_id"].as_str().is_some_and(|s| !s.is_empty()));
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    // The record of ALAPI's own document, field for field.
    assert_eq!(
        data[0],
        serde_json::json!({"area":"山西-临汾","mobile":"13111111111","number_type":"中国联通","status":1,"status_name":"实号"})
    );
    assert_eq!(sim.simulator.stats().billed, 2);

    // Asked again: answered from the cache, nothing billed.
    let (_, again) = post(http, "token=anything&mobiles=13111111111").await;
    assert_eq!(
        (again["code"].as_u64(), again["usage"].as_u64()),
        (Some(200), Some(0))
    );
    assert_eq!(sim.simulator.stats().billed, 2);
}

#[tokio::test]
async fn refuses_as_the_upstream_does_and_bills_nothing() {
    let (sim, _, http, _stop) = door().await;
    let (status, empty) = post(http, "token=x&mobiles=").await;
    assert_eq!((status, empty["code"].as_u64()), (200, Some(400)));
    assert_eq!(empty["data"], Value::Null);
    let (_, malformed) = post(http, "token=x&mobiles=13111111111,12345").await;
    assert_eq!(malformed["code"], 422);
    assert!(malformed["msg"].as_str().unwrap().contains("12345"));
    assert_eq!(
        sim.simulator.stats().calls,
        0,
        "nothing reached the upstream"
    );

    // The upstream's own refusal comes through with its code.
    let (_, quota) = post(http, "token=x&mobiles=19900000102").await;
    assert_eq!(
        (quota["code"].as_u64(), quota["usage"].as_u64()),
        (Some(102), Some(0))
    );
}

/// A caller over its budget hears what ALAPI says when an account is spent: code 102, with
/// nothing sent; its cached numbers are still answered.
#[tokio::test]
async fn a_caller_over_its_budget_gets_the_upstreams_code_102() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, "crm:crm-key-0123456789::2/day\n").unwrap();
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    config.api_keys_file = Some(keys);
    config.data_dir = dir.path().join("data");
    let (_grpc, http, _stop) = start_server_with_http(config).await;
    let http = http.expect("http door");
    let (_, first) = post(
        http,
        "token=crm-key-0123456789&mobiles=13111111111,13222222222",
    )
    .await;
    assert_eq!(first["code"], 200, "{first}");
    let (_, over) = post(
        http,
        "token=crm-key-0123456789&mobiles=13111111111,13333333333",
    )
    .await;
    assert_eq!(over["code"], 102, "{over}");
    assert!(
        over["msg"]
            .as_str()
            .unwrap()
            .contains("接口请求次数超过限制"),
        "{over}"
    );
    assert_eq!(sim.simulator.stats().billed, 2, "nothing past the budget");
    let (_, cached) = post(
        http,
        "token=crm-key-0123456789&mobiles=13111111111,13222222222",
    )
    .await;
    assert_eq!(cached["code"], 200, "cached answers stay free: {cached}");
}

#[tokio::test]
async fn grpc_web_calls_work_over_http1_with_cors() {
    let (_sim, grpc, _, _stop) = door().await;
    let request = CheckRequest {
        mobiles: vec!["13111111111".to_owned()],
        ..Default::default()
    };
    let message = request.encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    let http1 = reqwest::Client::builder().http1_only().build().unwrap();
    let response = http1
        .post(format!("http://{grpc}/phonecheck.v1.PhoneCheck/Check"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", "https://example.com")
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("https://example.com")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes[0], 0, "a data frame first");
    let len = u32::from_be_bytes(bytes[1..5].try_into().unwrap()) as usize;
    let answer = CheckResponse::decode(&bytes[5..5 + len]).expect("a CheckResponse");
    assert_eq!(answer.results[0].mobile, "13111111111");
    let trailers = String::from_utf8_lossy(&bytes[5 + len + 5..]);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // The browser's preflight.
    let preflight = http1
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{grpc}/phonecheck.v1.PhoneCheck/Check"),
        )
        .header("origin", "https://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_in_the_upstreams_shape() {
    let (_sim, _, http, _stop) = door().await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("http://{http}/api/nothing-here"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 404);
    let answer: Value = response
        .json()
        .await
        .expect("a JSON body, not an empty one");
    assert_eq!(answer["code"], 404);
    assert_eq!(answer["msg"], "接口地址不存在");
    assert!(answer["log_id"].as_str().is_some_and(|id| !id.is_empty()));

    let response = client
        .delete(format!("http://{http}/api/phonecheck"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 405);
    let answer: Value = response
        .json()
        .await
        .expect("a JSON body, not an empty one");
    assert_eq!(answer["code"], 405);
    assert_eq!(answer["msg"], "请求方法不被允许");
}

#[tokio::test]
async fn a_full_queue_answers_429_so_alapi_callers_retry() {
    let sim = common::simulator(SimulatorConfig {
        latency: std::time::Duration::from_millis(400),
        ..SimulatorConfig::default()
    })
    .await;
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    config.concurrency = 1;
    config.max_queued_numbers = 3000;
    let (grpc, http, _stop) = start_server_with_http(config).await;
    let http = http.expect("http door");
    // A stream fills the queue past its cap of 3,000.
    let stream = common::connect(grpc)
        .await
        .check_stream(phonecheck::pb::CheckStreamRequest {
            mobiles: common::numbers(6000),
            ..Default::default()
        })
        .await
        .expect("stream accepted");
    // Each try asks for a number of its own, so none is a cache hit that never queues.
    let tries = std::sync::atomic::AtomicU32::new(0);
    let (status, answer) = common::eventually(
        "the door to answer a full queue",
        std::time::Duration::from_secs(10),
        || async {
            let n = tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (status, answer) = post(http, &format!("token=x&mobiles=1360000{n:04}")).await;
            (answer["code"] != 200).then_some((status, answer))
        },
    )
    .await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["code"], 429, "{answer}");
    assert!(answer["msg"].as_str().unwrap().contains("3000"), "{answer}");
    assert_eq!(answer["usage"], 0);
    drop(stream);
}
