//! Graceful shutdown, in process: once the server is told to stop, health turns NOT_SERVING
//! and new calls get UNAVAILABLE, while a long stream already open runs to its last number,
//! and every number the upstream billed reaches the caller.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::CheckRequest;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use common::{channel, connect, numbers, simulator, start_server, test_config};

#[tokio::test]
async fn a_stream_open_at_shutdown_finishes_and_new_calls_are_refused() {
    let sim = simulator(SimulatorConfig {
        latency: Duration::from_millis(100),
        ..SimulatorConfig::default()
    })
    .await;
    let mut config = test_config(sim.url());
    // 20 batches one after another: about two seconds of stream.
    config.concurrency = 1;
    let (addr, stop) = start_server(config).await;
    let mut client = connect(addr).await;
    let list = numbers(40_000);
    let mut stream = client
        .check_stream(phonecheck::pb::CheckStreamRequest {
            mobiles: list.clone(),
            ..Default::default()
        })
        .await
        .expect("stream accepted")
        .into_inner();
    let first = stream
        .message()
        .await
        .expect("no error")
        .expect("a first message");
    let mut answered = first.results.len();
    // A load balancer's view: a health watch opened before the shutdown.
    let mut health = HealthClient::new(channel(addr).await)
        .watch(HealthCheckRequest {
            service: "phonecheck.v1.PhoneCheck".to_owned(),
        })
        .await
        .expect("health watch")
        .into_inner();
    let serving = health.message().await.expect("health").expect("a status");
    assert_eq!(serving.status(), ServingStatus::Serving);

    stop.send(()).expect("server still running");
    // A new PhoneCheck call is refused with UNAVAILABLE.
    let mut refused = client.clone();
    let status = tokio::time::timeout(
        Duration::from_secs(10),
        refused.check(CheckRequest {
            mobiles: vec!["13111111111".to_owned()],
            ..Default::default()
        }),
    )
    .await
    .expect("refused at once, not left hanging")
    .expect_err("no new calls during shutdown");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    // The watch hears NOT_SERVING while open calls still run, so a balancer sends new calls
    // elsewhere.
    let turned = tokio::time::timeout(Duration::from_secs(10), health.message())
        .await
        .expect("health turns at once")
        .expect("the watch still open")
        .expect("a status");
    assert_eq!(turned.status(), ServingStatus::NotServing);

    let mut summary = None;
    while let Some(message) = stream.message().await.expect("the stream ends cleanly") {
        answered += message.results.len();
        summary = summary.or(message.summary);
    }
    let summary = summary.expect("the stream reached its summary");
    assert_eq!(answered, list.len(), "every number answered");
    assert_eq!(summary.billed as usize, list.len());
    assert_eq!(
        sim.simulator.stats().billed,
        u64::from(summary.billed),
        "nothing billed is lost"
    );
}
