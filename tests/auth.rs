//! API keys through the real server: refused without a key (whatever was wrong), served with
//! either header, health and reflection open, per-key limits, and the HTTP door's token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::CheckRequest;
use tonic::metadata::MetadataValue;
use tonic::{Code, Request};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

use common::{connect, start_server_with_http, test_config};

const KEYS: &str =
    "# callers of the test\nbilling:billing-key-0123456789\nslow:slow-key-0123456789:1\n";

fn call(mobile: &str, header: Option<(&'static str, &str)>) -> Request<CheckRequest> {
    let mut request = Request::new(CheckRequest {
        mobiles: vec![mobile.to_owned()],
        ..Default::default()
    });
    if let Some((name, value)) = header {
        request
            .metadata_mut()
            .insert(name, MetadataValue::try_from(value).unwrap());
    }
    request
}

#[tokio::test]
async fn calls_need_a_valid_key_while_health_and_reflection_stay_open() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, KEYS).unwrap();
    let mut config = test_config(sim.url());
    config.api_keys_file = Some(keys);
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    let (addr, http, _stop) = start_server_with_http(config).await;
    let mut client = connect(addr).await;

    // Refused alike: no key, a wrong key, a malformed header.
    for header in [
        None,
        Some(("authorization", "Bearer billing-key-0123456780")),
        Some(("authorization", "billing-key-0123456789")),
        Some(("x-api-key", "nope")),
    ] {
        let status = client.check(call("13111111111", header)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{header:?}");
        assert_eq!(
            status.get_details_error_info().map(|i| i.reason).as_deref(),
            Some("API_KEY_INVALID")
        );
        assert!(
            !status.message().contains("billing"),
            "never says which part: {status:?}"
        );
    }
    assert_eq!(
        sim.simulator.stats().calls,
        0,
        "nothing refused reached the upstream"
    );

    let bearer = client
        .check(call(
            "13111111111",
            Some(("authorization", "Bearer billing-key-0123456789")),
        ))
        .await
        .expect("a valid key");
    assert_eq!(bearer.get_ref().results[0].mobile, "13111111111");
    client
        .check(call(
            "13111111111",
            Some(("x-api-key", "billing-key-0123456789")),
        ))
        .await
        .expect("x-api-key works too");

    // Health needs no key (load balancers), nor does reflection (grpcurl list).
    let mut health = HealthClient::new(common::channel(addr).await);
    health
        .check(HealthCheckRequest::default())
        .await
        .expect("health is open");

    // A key with a limit of 1 call a second: a burst is refused with RetryInfo.
    let mut limited = None;
    for _ in 0..5 {
        if let Err(status) = client
            .check(call(
                "13111111111",
                Some(("x-api-key", "slow-key-0123456789")),
            ))
            .await
        {
            limited = Some(status);
            break;
        }
    }
    let status = limited.expect("the burst is limited");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let info = status.get_details_error_info().unwrap();
    assert_eq!(info.reason, "API_KEY_RATE_LIMITED");
    assert_eq!(
        info.metadata.get("keyName").map(String::as_str),
        Some("slow")
    );
    assert!(status.get_details_retry_info().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .check(call(
            "13111111111",
            Some(("x-api-key", "slow-key-0123456789")),
        ))
        .await
        .expect("allowed again a second later");

    // The HTTP door: the token field is the caller's API key.
    let post = |token: &'static str| {
        let url = format!("http://{}/api/phonecheck", http.unwrap());
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("token={token}&mobiles=13111111111"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(post("wrong").await["code"], 100);
    assert_eq!(post("billing-key-0123456789").await["code"], 200);
}
