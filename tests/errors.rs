//! Every failure of the error table (docs/errors.md), produced for real by the simulated upstream (or a
//! closed port), must reach the caller as the table's gRPC code with details a client can decode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{CheckRequest, CheckStreamRequest, NumberStatus};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use common::{TOKEN, connect, drain, numbers, start, start_server, test_config};

fn check(mobiles: &[&str]) -> CheckRequest {
    CheckRequest {
        mobiles: mobiles.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// The reason and upstream code of a status's ErrorInfo, asserting there is exactly one.
fn error_info(status: &Status) -> (String, Option<String>) {
    let details = status.get_error_details_vec();
    let infos = details
        .iter()
        .filter(|d| matches!(d, tonic_types::ErrorDetail::ErrorInfo(_)))
        .count();
    assert_eq!(infos, 1, "exactly one ErrorInfo: {status:?}");
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.domain, "phonecheck");
    (info.reason, info.metadata.get("upstreamCode").cloned())
}

#[tokio::test]
async fn each_upstream_error_code_maps_to_the_tables_status() {
    let cases = [
        (100, Code::Unauthenticated, "UPSTREAM_TOKEN_INVALID"),
        (101, Code::PermissionDenied, "UPSTREAM_ACCOUNT_EXPIRED"),
        (104, Code::PermissionDenied, "UPSTREAM_IP_NOT_ALLOWED"),
        (102, Code::ResourceExhausted, "UPSTREAM_QUOTA_EXHAUSTED"),
        (429, Code::ResourceExhausted, "UPSTREAM_RATE_LIMITED"),
        (400, Code::InvalidArgument, "UPSTREAM_REJECTED_REQUEST"),
        (422, Code::InvalidArgument, "UPSTREAM_REJECTED_REQUEST"),
        (404, Code::Internal, "UPSTREAM_MISCONFIGURED"),
        (405, Code::Internal, "UPSTREAM_MISCONFIGURED"),
        (406, Code::NotFound, "UPSTREAM_NO_DATA"),
        (777, Code::Internal, "UPSTREAM_UNKNOWN_CODE"),
    ];
    let mut env = start(SimulatorConfig::default(), |_| {}).await;
    for (upstream, code, reason) in cases {
        let before = env.sim.simulator.stats().calls;
        let trigger = format!("1990000{upstream:04}");
        let status = env
            .client
            .check(check(&["13111111111", &trigger]))
            .await
            .expect_err("must fail");
        assert_eq!(status.code(), code, "upstream {upstream}: {status:?}");
        let (got_reason, got_code) = error_info(&status);
        assert_eq!(got_reason, reason, "upstream {upstream}");
        assert_eq!(got_code.as_deref(), Some(upstream.to_string().as_str()));
        assert!(!status.message().contains(TOKEN));
        let calls = env.sim.simulator.stats().calls - before;
        let expected_calls = if upstream == 429 { 3 } else { 1 };
        assert_eq!(
            calls, expected_calls,
            "retried only when retryable: {upstream}"
        );
    }
    assert_eq!(env.sim.simulator.stats().billed, 0);
}

#[tokio::test]
async fn details_carry_retry_info_quota_failure_and_own_account_wording() {
    let mut env = start(SimulatorConfig::default(), |_| {}).await;
    let limited = env.client.check(check(&["19900000429"])).await.unwrap_err();
    let retry = limited.get_details_retry_info().expect("RetryInfo on 429");
    assert!(retry.retry_delay.is_some());

    let quota = env.client.check(check(&["19900000102"])).await.unwrap_err();
    let failure = quota
        .get_details_quota_failure()
        .expect("QuotaFailure on 102");
    assert_eq!(failure.violations.len(), 1);

    let token = env.client.check(check(&["19900000100"])).await.unwrap_err();
    assert!(
        token.message().contains("this service's own account"),
        "{}",
        token.message()
    );
}

#[tokio::test]
async fn a_wrong_token_is_unauthenticated_and_never_echoed() {
    let sim = phonecheck::checking::upstream::simulator::spawn(SimulatorConfig {
        token: Some(phonecheck::checking::upstream::Token::new("the-right-one")),
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    let (addr, _stop) = start_server(test_config(sim.url())).await;
    let status = connect(addr)
        .await
        .check(check(&["13111111111"]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_info(&status).0, "UPSTREAM_TOKEN_INVALID");
    assert!(!format!("{status:?}").contains(TOKEN));
}

#[tokio::test]
async fn retryable_failures_that_pass_are_retried_and_succeed() {
    let mut env = start(SimulatorConfig::default(), |_| {}).await;
    // Fails once with 429, once with a 503, then succeeds.
    let resp = env
        .client
        .check(check(&["19900010429", "19900010503", "13111111111"]))
        .await
        .expect("retries succeed")
        .into_inner();
    let s = resp.summary.unwrap();
    assert_eq!((s.billed, s.upstream_calls), (3, 3));
    assert!(resp.results.iter().all(|r| r.error.is_none()));
}

#[tokio::test]
async fn malformed_upstream_answers_are_internal_and_never_panic() {
    let mut env = start(SimulatorConfig::default(), |_| {}).await;
    for (trigger, what) in [("19900000001", "<html>"), ("19900000002", "null")] {
        let status = env.client.check(check(&[trigger])).await.unwrap_err();
        assert_eq!(status.code(), Code::Internal, "{trigger}: {status:?}");
        assert_eq!(error_info(&status).0, "UPSTREAM_BAD_RESPONSE");
        assert!(status.message().contains(what), "{}", status.message());
    }
    // A number missing from `data` is an error for that number only.
    let resp = env
        .client
        .check(check(&["13111111111", "19900000003", "19900000003"]))
        .await
        .expect("the rest is answered")
        .into_inner();
    assert_eq!(resp.results[0].status(), NumberStatus::Real);
    for missing in &resp.results[1..] {
        assert_eq!(missing.status(), NumberStatus::Unspecified);
        let err = missing.error.as_ref().expect("per-number error");
        assert_eq!(err.code, Code::Internal as i32);
        let status = Status::with_details(
            Code::from(err.code),
            err.message.clone(),
            prost::Message::encode_to_vec(err).into(),
        );
        assert_eq!(error_info(&status).0, "UPSTREAM_RESULT_MISSING");
    }
    let s = resp.summary.unwrap();
    assert_eq!((s.billed, s.by_status.unwrap().failed), (1, 2));
    // The server is still serving.
    env.client
        .check(check(&["13111111111"]))
        .await
        .expect("still up");
}

#[tokio::test]
async fn broken_connections_and_5xx_are_unavailable_after_retries() {
    let mut env = start(SimulatorConfig::default(), |_| {}).await;
    for trigger in ["19900000005", "19900000502"] {
        let before = env.sim.simulator.stats().calls;
        let status = env.client.check(check(&[trigger])).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{trigger}: {status:?}");
        assert_eq!(error_info(&status).0, "UPSTREAM_UNAVAILABLE");
        assert_eq!(env.sim.simulator.stats().calls - before, 3, "1 + 2 retries");
    }
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (addr, _stop) = start_server(test_config(format!("http://{closed}/api/phonecheck"))).await;
    let status = connect(addr)
        .await
        .check(check(&["13111111111"]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(error_info(&status).0, "UPSTREAM_UNAVAILABLE");
    assert_eq!(error_info(&status).1, None);
}

#[tokio::test]
async fn a_slow_upstream_past_the_callers_deadline_is_deadline_exceeded() {
    let mut env = start(
        SimulatorConfig {
            slow: Duration::from_secs(30),
            ..SimulatorConfig::default()
        },
        |_| {},
    )
    .await;
    let mut request = Request::new(check(&["19900000004"]));
    request.set_timeout(Duration::from_millis(800));
    let status = env.client.check(request).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // ErrorInfo proves the server answered, not the client's own timer.
    assert_eq!(error_info(&status).0, "DEADLINE_EXCEEDED");
}

#[tokio::test]
async fn a_slow_upstream_without_a_deadline_times_out_as_unavailable() {
    let mut env = start(
        SimulatorConfig {
            slow: Duration::from_secs(30),
            ..SimulatorConfig::default()
        },
        |c| {
            c.upstream_timeout = Duration::from_millis(300);
            c.retry.max_retries = 1;
        },
    )
    .await;
    let status = env.client.check(check(&["19900000004"])).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(error_info(&status).0, "UPSTREAM_TIMEOUT");
    assert_eq!(env.sim.simulator.stats().calls, 2);
}

#[tokio::test]
async fn empty_and_oversized_requests_are_invalid_argument_naming_the_field() {
    let mut env = start(SimulatorConfig::default(), |c| {
        c.limits.max_check_numbers = 5;
        c.limits.max_stream_numbers = 7;
    })
    .await;
    let empty = env.client.check(check(&[])).await.unwrap_err();
    let over = env
        .client
        .check(check(&["13111111111,13111111112,13111111113", "1,2,3"]))
        .await
        .unwrap_err();
    let stream_empty = env
        .client
        .check_stream(CheckStreamRequest {
            mobiles: vec![],
            ..Default::default()
        })
        .await
        .map(|_| ())
        .unwrap_err();
    let stream_over = env
        .client
        .check_stream(CheckStreamRequest {
            mobiles: numbers(8),
            ..Default::default()
        })
        .await
        .map(|_| ())
        .unwrap_err();
    for (status, reason) in [
        (empty, "NO_NUMBERS"),
        (over, "TOO_MANY_NUMBERS"),
        (stream_empty, "NO_NUMBERS"),
        (stream_over, "TOO_MANY_NUMBERS"),
    ] {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(error_info(&status).0, reason);
        let bad = status.get_details_bad_request().expect("BadRequest");
        assert_eq!(bad.field_violations[0].field, "mobiles");
    }
    assert_eq!(env.sim.simulator.stats().calls, 0);
}

#[tokio::test]
async fn a_stream_carries_a_failed_batchs_error_on_its_results_and_goes_on() {
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 100).await;
    let mut mobiles = numbers(300);
    mobiles[150] = "19900000502".to_owned(); // the second batch keeps failing with 502
    let (results, s) = drain(env.open_stream(mobiles).await).await;
    let mut failed = Vec::new();
    let mut ok = 0;
    for r in results {
        match r.error {
            Some(e) => failed.push((r.index, e.code)),
            None => ok += 1,
        }
    }
    assert_eq!(ok, 200);
    assert_eq!(failed.len(), 100);
    assert!(
        failed
            .iter()
            .all(|&(i, code)| (100..200).contains(&i) && code == Code::Unavailable as i32)
    );
    assert_eq!((s.billed, s.by_status.unwrap().failed), (200, 100));
}

#[tokio::test]
async fn a_dooming_error_ends_the_stream_after_what_was_answered_and_sends_nothing_more() {
    let mut env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
    })
    .await;
    let mut mobiles = numbers(400);
    mobiles[150] = "19900000102".to_owned(); // quota used up in the second batch
    mobiles.push("invalid".to_owned());
    let mut stream = env
        .client
        .check_stream(CheckStreamRequest {
            mobiles: mobiles.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut answered = Vec::new();
    let status = loop {
        match stream.message().await {
            Ok(Some(msg)) => {
                assert!(msg.summary.is_none());
                answered.extend(msg.results.into_iter().map(|r| r.index));
            }
            Ok(None) => panic!("the stream must end with the quota status"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(error_info(&status).0, "UPSTREAM_QUOTA_EXHAUSTED");
    answered.sort_unstable();
    let expected: Vec<u32> = (0..100).chain([400]).collect();
    assert_eq!(answered, expected, "the invalid input and the first batch");
    let seen = env.sim.simulator.numbers_seen();
    assert!(
        !seen.contains(&mobiles[250]),
        "no batch is sent after the quota error"
    );
    assert_eq!(env.sim.simulator.stats().calls, 2);
}

#[tokio::test]
async fn a_full_queue_refuses_unary_calls_with_retry_info_and_makes_streams_wait() {
    let env = start(
        SimulatorConfig {
            latency: Duration::from_millis(300),
            ..SimulatorConfig::default()
        },
        |c| {
            c.concurrency = 1;
            c.max_queued_numbers = 3000;
        },
    )
    .await;
    // A stream queues its whole window (6,000) into the empty queue: over the cap of 3,000.
    let list = numbers(6000);
    let first = env.open_stream(list[..4000].to_vec()).await;
    // Until its numbers reach the queue, a Check goes through (each with a number of its own,
    // so none is a cache hit that never needs the queue).
    let mut waited = 0;
    let busy = loop {
        let mut client = env.client.clone();
        match client
            .check(CheckRequest {
                mobiles: vec![format!("1360000{waited:04}")],
                ..Default::default()
            })
            .await
        {
            Err(status) => break status,
            Ok(_) if waited < 50 => {
                waited += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(_) => panic!("the queue never filled"),
        }
    };
    assert_eq!(busy.code(), Code::ResourceExhausted, "{busy:?}");
    assert_eq!(error_info(&busy).0, "SERVER_BUSY");
    assert!(busy.get_details_retry_info().is_some(), "RetryInfo");
    assert!(busy.message().contains("3000"), "{}", busy.message());

    // A second stream waits for room instead of failing, then completes.
    let second = env.open_stream(list[4000..].to_vec()).await;
    let ((a, sa), (b, sb)) = tokio::join!(drain(first), drain(second));
    assert_eq!(a.len() + b.len(), 6000);
    assert_eq!(u64::from(sa.billed) + u64::from(sb.billed), 6000);
    // And once the queue has drained, unary calls go through again.
    let mut client = env.client.clone();
    client
        .check(check(&["13111111111"]))
        .await
        .expect("room again");
}
