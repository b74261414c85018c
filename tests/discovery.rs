//! What grpcurl and load balancers rely on: reflection (v1 and v1alpha) and health.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::{v1, v1alpha};

use common::{channel, start};

#[tokio::test]
async fn reflection_lists_the_api_and_health_in_both_versions() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let ch = channel(env.addr).await;

    let mut alpha = v1alpha::server_reflection_client::ServerReflectionClient::new(ch.clone());
    let req = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut resp = alpha
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        resp.message().await.unwrap().unwrap().message_response
    else {
        panic!("list services answer expected")
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"phonecheck.v1.PhoneCheck".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );

    let mut v1 = v1::server_reflection_client::ServerReflectionClient::new(ch.clone());
    let req = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                "google.rpc.ErrorInfo".to_owned(),
            ),
        ),
    };
    let mut resp = v1
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let answer = resp.message().await.unwrap().unwrap().message_response;
    assert!(
        matches!(
            answer,
            Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
        ),
        "error details are resolvable by reflection: {answer:?}"
    );
}

#[tokio::test]
async fn health_reports_the_service_serving() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let mut health = HealthClient::new(channel(env.addr).await);
    for service in ["", "phonecheck.v1.PhoneCheck"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
}

#[tokio::test]
async fn health_turns_not_serving_when_shutdown_begins() {
    let sim = phonecheck::checking::upstream::simulator::spawn(SimulatorConfig::default())
        .await
        .unwrap();
    let (addr, stop) = common::start_server(common::test_config(sim.url())).await;
    let mut health = HealthClient::new(channel(addr).await);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "phonecheck.v1.PhoneCheck".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap().status();
    assert_eq!(first, ServingStatus::Serving);
    drop(stop);
    let next = watch.message().await.unwrap().unwrap().status();
    assert_eq!(next, ServingStatus::NotServing);
}
