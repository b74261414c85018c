//! Spending the upstream's calls well: coalescing across calls, in-flight de-duplication, the
//! QPS limit, retries of a flaky upstream, cancellation and deadlines. Every assertion counts
//! calls and numbers; none measures time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::num::NonZeroU32;
use std::time::Duration;

use futures::future::join_all;
use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::CheckRequest;
use tonic::{Code, Request};
use tonic_types::StatusExt;

use common::{drain, numbers, start};

/// Waits until the simulator has received `calls` calls; fails the test after 30 s.
async fn until_calls(sim: &phonecheck::checking::upstream::simulator::Simulator, calls: u64) {
    common::eventually(
        &format!("{calls} upstream calls"),
        Duration::from_secs(30),
        || async { (sim.stats().calls >= calls).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn overlapping_callers_each_get_all_results_and_the_overlap_is_billed_once() {
    let env = start(
        SimulatorConfig {
            latency: Duration::from_millis(400),
            ..SimulatorConfig::default()
        },
        |c| c.linger = Duration::ZERO,
    )
    .await;
    let all = numbers(900);
    let (a, b) = (all[..600].to_vec(), all[300..].to_vec());
    let mut client_a = env.client.clone();
    let first = tokio::spawn(async move {
        client_a
            .check(CheckRequest {
                mobiles: a,
                ..Default::default()
            })
            .await
    });
    // B asks once A's numbers are on their way upstream: B must wait for that same answer.
    until_calls(&env.sim.simulator, 1).await;
    let mut client_b = env.client.clone();
    let second = client_b
        .check(CheckRequest {
            mobiles: b,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let first = first.await.unwrap().unwrap().into_inner();

    assert_eq!(first.results.len(), 600);
    assert_eq!(second.results.len(), 600);
    assert!(
        first
            .results
            .iter()
            .chain(&second.results)
            .all(|r| r.checked_at.is_some())
    );
    for (r, n) in second.results.iter().zip(&all[300..]) {
        assert_eq!(&r.mobile, n);
    }
    let stats = env.sim.simulator.stats();
    assert_eq!(stats.billed, 900, "the overlap of 300 is billed once");
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
    let (sa, sb) = (first.summary.unwrap(), second.summary.unwrap());
    assert_eq!(
        (sa.billed, sb.billed),
        (600, 300),
        "each caller sees what it caused"
    );
}

#[tokio::test]
async fn three_thousand_one_number_calls_share_at_most_three_upstream_calls() {
    // One call in flight at a time, each taking 2 s: everything that arrives meanwhile queues
    // and leaves in full batches.
    let env = start(
        SimulatorConfig {
            latency: Duration::from_secs(2),
            ..SimulatorConfig::default()
        },
        |c| {
            c.linger = Duration::from_millis(50);
            c.concurrency = 1;
            // One connection carries all 3,000 callers here.
            c.connections.max_concurrent_streams = 4000;
        },
    )
    .await;
    let calls = numbers(3000).into_iter().map(|n| {
        let mut client = env.client.clone();
        async move {
            client
                .check(CheckRequest {
                    mobiles: vec![n],
                    ..Default::default()
                })
                .await
        }
    });
    let answers = join_all(calls).await;
    for answer in &answers {
        let resp = answer.as_ref().expect("answered").get_ref();
        assert_eq!(resp.results.len(), 1);
        assert!(resp.results[0].checked_at.is_some());
    }
    let stats = env.sim.simulator.stats();
    assert!(stats.calls <= 3, "{stats:?}");
    assert_eq!(stats.billed, 3000);
}

#[tokio::test]
async fn a_long_run_at_the_upstreams_qps_limit_causes_no_429() {
    let env = start(
        SimulatorConfig {
            qps: Some(20),
            ..SimulatorConfig::default()
        },
        |c| {
            c.qps = NonZeroU32::new(20);
            c.max_batch = 100;
            c.concurrency = 8;
        },
    )
    .await;
    let (results, _) = drain(env.open_stream(numbers(6000)).await).await;
    let answered = results.iter().filter(|r| r.error.is_none()).count();
    assert_eq!(answered, 6000);
    let stats = env.sim.simulator.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    assert_eq!(stats.calls, 60);
}

#[tokio::test]
async fn a_flaky_upstream_still_answers_every_number_billing_each_once() {
    let env = start(
        SimulatorConfig {
            fail_every: Some(2),
            ..SimulatorConfig::default()
        },
        |c| {
            // One call at a time makes the failing calls predictable: every batch after the
            // first fails once and succeeds on its retry. (With several in flight, one batch's
            // retries could keep landing on the failing calls and run out.)
            c.max_batch = 100;
            c.concurrency = 1;
            c.retry.max_retries = 4;
        },
    )
    .await;
    let (results, summary) = drain(env.open_stream(numbers(2000)).await).await;
    for r in &results {
        assert!(r.error.is_none(), "{r:?}");
    }
    assert_eq!(results.len(), 2000);
    let stats = env.sim.simulator.stats();
    assert_eq!(stats.billed, 2000);
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
    assert_eq!(stats.calls, 39, "1 + 19 batches × (a failure and a retry)");
    assert_eq!(u64::from(summary.upstream_calls), stats.calls);
}

#[tokio::test]
async fn a_cancelled_stream_stops_upstream_calls() {
    let env = start(
        SimulatorConfig {
            latency: Duration::from_millis(100),
            ..SimulatorConfig::default()
        },
        |c| {
            c.max_batch = 100;
            c.concurrency = 1;
        },
    )
    .await;
    let mut stream = env.open_stream(numbers(5000)).await;
    stream.message().await.unwrap().expect("a first batch");
    drop(stream);
    let at_cancel = env.sim.simulator.stats().calls;
    // What was in flight may finish (at most the one call and one already taken); nothing else.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let settled = env.sim.simulator.stats().calls;
    assert!(settled <= at_cancel + 2, "{at_cancel} → {settled}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(env.sim.simulator.stats().calls, settled, "calls stopped");
    assert!(settled < 50);
}

#[tokio::test]
async fn a_deadline_shorter_than_the_upstream_latency_is_deadline_exceeded_without_retries() {
    let env = start(
        SimulatorConfig {
            latency: Duration::from_secs(5),
            ..SimulatorConfig::default()
        },
        |_| {},
    )
    .await;
    let mut client = env.client.clone();
    let mut request = Request::new(CheckRequest {
        mobiles: numbers(3),
        ..Default::default()
    });
    // The deadline as the header carries it. tonic's channel also starts a timer of its own
    // from that header, so on a loaded machine its "Timeout expired" can arrive before the
    // server's answer; either way the deadline ends the call and nothing is retried.
    request
        .metadata_mut()
        .insert("grpc-timeout", "300m".parse().unwrap());
    let status = client.check(request).await.unwrap_err();
    match status.code() {
        Code::DeadlineExceeded => assert_eq!(
            status.get_details_error_info().map(|i| i.reason).as_deref(),
            Some("DEADLINE_EXCEEDED")
        ),
        Code::Cancelled => assert_eq!(status.message(), "Timeout expired", "{status:?}"),
        _ => panic!("{status:?}"),
    }
    assert!(env.sim.simulator.stats().calls <= 1);
}

#[tokio::test]
async fn a_slow_reader_makes_the_server_stop_pulling_work_then_resume() {
    let env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
    })
    .await;
    let mut stream = env.open_stream(numbers(40_000)).await;
    let mut answered = stream.message().await.unwrap().unwrap().results.len();
    // Not reading: once the buffers between here and the server are full, it must stop.
    // It has stalled once the count stops moving for half a second; a server that never
    // stops fails the test after a minute instead of hanging it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut stalled_at = env.sim.simulator.stats().calls;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = env.sim.simulator.stats().calls;
        if now == stalled_at {
            break;
        }
        stalled_at = now;
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never stopped calling: {now} calls"
        );
    }
    assert!(
        stalled_at < 400,
        "the server kept calling: {stalled_at} of 400 batches"
    );
    while let Some(msg) = stream.message().await.unwrap() {
        answered += msg.results.len();
    }
    assert_eq!(answered, 40_000, "reading again resumes the work");
    assert_eq!(env.sim.simulator.stats().calls, 400);
}
