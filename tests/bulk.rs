//! CheckBulk end to end: a real server and the simulator over real gRPC and HTTP. Lists sent
//! in uneven chunks, repeats, junk, flow control against a client that stops reading, and the
//! errors that end a bulk stream.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{
    CheckBulkRequest, CheckBulkResponse, CheckSummary, NumberStatus, PhoneResult,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt;

use common::{TestEnv, numbers, start};

/// Opens a CheckBulk that sends `chunks` in order, then closes its side.
async fn open_bulk(env: &TestEnv, chunks: Vec<Vec<String>>) -> Streaming<CheckBulkResponse> {
    let requests = tokio_stream::iter(chunks.into_iter().map(|mobiles| CheckBulkRequest {
        mobiles,
        ..Default::default()
    }));
    env.client
        .clone()
        .check_bulk(requests)
        .await
        .expect("stream accepted")
        .into_inner()
}

/// Reads a bulk stream to its end: every result and the summary, or the status that ended it
/// (with the results before it).
async fn read_bulk(
    mut stream: Streaming<CheckBulkResponse>,
) -> (Vec<PhoneResult>, Result<CheckSummary, Status>) {
    let mut results = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(msg)) => {
                results.extend(msg.results);
                if let Some(summary) = msg.summary {
                    assert!(
                        stream.message().await.unwrap().is_none(),
                        "summary comes last"
                    );
                    return (results, Ok(summary));
                }
            }
            Ok(None) => panic!("the stream ended without a summary or a status"),
            Err(status) => return (results, Err(status)),
        }
    }
}

/// Splits `inputs` into chunks of uneven sizes, cycling through `sizes`.
fn uneven_chunks(inputs: Vec<String>, sizes: &[usize]) -> Vec<Vec<String>> {
    let mut chunks = Vec::new();
    let mut rest = inputs.into_iter().peekable();
    for &size in sizes.iter().cycle() {
        if rest.peek().is_none() {
            break;
        }
        chunks.push(rest.by_ref().take(size).collect());
    }
    chunks
}

#[tokio::test]
async fn a_hundred_thousand_inputs_in_uneven_chunks_are_each_answered_once_and_billed_once() {
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 1000).await;
    // Every 10th input is junk; the valid ones repeat among 30,000 distinct numbers (spelled
    // differently on repeats), so repeats fall both inside and outside the batches in flight.
    let distinct = numbers(30_000);
    let inputs: Vec<String> = (0..100_000usize)
        .map(|i| match i % 10 {
            9 => format!("junk-{i}"),
            k => {
                let n = &distinct[(i * 7919) % distinct.len()];
                if k % 2 == 0 {
                    n.clone()
                } else {
                    format!("+86 {n}")
                }
            }
        })
        .collect();
    let expected_valid: HashSet<&str> = (0..100_000usize)
        .filter(|i| i % 10 != 9)
        .map(|i| distinct[(i * 7919) % distinct.len()].as_str())
        .collect();
    let chunks = uneven_chunks(inputs.clone(), &[1, 7, 333, 9_999, 2_500, 10_000, 42]);
    let (results, summary) = read_bulk(open_bulk(&env, chunks).await).await;
    let summary = summary.expect("finished");

    assert_eq!(results.len(), 100_000);
    let mut seen = vec![false; 100_000];
    for r in &results {
        let i = r.index as usize;
        assert!(!seen[i], "index {i} answered twice");
        seen[i] = true;
        assert_eq!(r.input, inputs[i], "result {i} carries its own input");
        if i % 10 == 9 {
            assert_eq!(r.status(), NumberStatus::Invalid);
            assert!(!r.invalid_reason.is_empty());
        } else {
            assert!(r.checked_at.is_some(), "{r:?}");
            assert_eq!(r.mobile.len(), 11);
        }
    }
    let stats = env.sim.simulator.stats();
    assert_eq!(
        stats.billed,
        expected_valid.len() as u64,
        "each distinct number billed"
    );
    assert_eq!(env.sim.simulator.most_times_billed(), 1, "and billed once");
    assert_eq!(summary.total, 100_000);
    assert_eq!(summary.invalid, 10_000);
    assert_eq!(summary.unique as usize, expected_valid.len());
    assert_eq!(summary.duplicates as usize, 90_000 - expected_valid.len());
    assert_eq!(u64::from(summary.billed), stats.billed);
    assert_eq!(u64::from(summary.upstream_calls), stats.calls);
    let by = summary.by_status.expect("counts");
    let checked = by.empty + by.real + by.suspended + by.not_in_database + by.silent + by.risk;
    assert_eq!((checked, by.invalid, by.failed), (90_000, 10_000, 0));
}

#[tokio::test]
async fn a_client_that_stops_reading_stops_the_upstream_calls_and_the_server_reading() {
    let env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 2000;
        c.concurrency = 1;
    })
    .await;
    // The sender counts what the transport has taken from it; it offers 200,000 numbers.
    let (tx, rx) = mpsc::channel(1);
    let taken = Arc::new(AtomicUsize::new(0));
    let sender = {
        let taken = taken.clone();
        tokio::spawn(async move {
            for chunk in numbers(200_000).chunks(1000) {
                let request = CheckBulkRequest {
                    mobiles: chunk.to_vec(),
                    ..Default::default()
                };
                if tx.send(request).await.is_err() {
                    return;
                }
                taken.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        })
    };
    let mut stream = env
        .client
        .clone()
        .check_bulk(ReceiverStream::new(rx))
        .await
        .expect("stream accepted")
        .into_inner();
    let mut answered = stream
        .message()
        .await
        .unwrap()
        .expect("a first message")
        .results
        .len();

    // Not reading: once the buffers between here and the server are full, both the upstream
    // calls and the intake of numbers must stop.
    let mut stalled = (
        env.sim.simulator.stats().calls,
        taken.load(Ordering::SeqCst),
    );
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = (
            env.sim.simulator.stats().calls,
            taken.load(Ordering::SeqCst),
        );
        if now == stalled {
            break;
        }
        stalled = now;
    }
    let (calls, sent) = stalled;
    assert!(
        calls < 50,
        "the server kept calling: {calls} of 100 batches"
    );
    // What the server holds is its window (6,000 numbers here) and one chunk; the rest of what
    // the sender got rid of sits in HTTP/2 flow-control windows (1 MiB by default, about
    // 80,000 numbers) and tonic's buffers: constants, not a function of the list's length.
    // (Seen here: calls stall near 20, intake near 120,000.)
    assert!(
        sent < 170_000,
        "the server kept reading: {sent} of 200,000 numbers"
    );

    // Reading again resumes everything, to the last number.
    let mut summary = None;
    while let Some(msg) = stream.message().await.unwrap() {
        answered += msg.results.len();
        summary = msg.summary.or(summary);
    }
    sender.await.unwrap();
    assert_eq!(answered, 200_000);
    assert_eq!(summary.expect("summary").billed, 200_000);
    assert_eq!(env.sim.simulator.stats().calls, 100);
}

#[tokio::test]
async fn a_chunk_over_the_limit_ends_the_stream_with_invalid_argument() {
    let env = start(SimulatorConfig::default(), |c| {
        c.limits.max_bulk_chunk = 100
    })
    .await;
    let chunks = vec![numbers(100), numbers(101)];
    let (_, end) = read_bulk(open_bulk(&env, chunks).await).await;
    let status = end.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "TOO_MANY_NUMBERS");
    assert_eq!(info.metadata.get("limit").map(String::as_str), Some("100"));
    assert!(status.message().contains("100"), "{}", status.message());
}

#[tokio::test]
async fn a_bulk_stream_without_inputs_is_no_numbers() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    for chunks in [vec![], vec![vec![], vec![]]] {
        let (results, end) = read_bulk(open_bulk(&env, chunks).await).await;
        assert!(results.is_empty());
        let status = end.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.get_details_error_info().map(|i| i.reason).as_deref(),
            Some("NO_NUMBERS")
        );
    }
}

#[tokio::test]
async fn quota_used_up_mid_stream_ends_it_after_the_answered_results() {
    let env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
    })
    .await;
    // The quota trigger number sits in the third batch.
    let mut inputs = numbers(1000);
    inputs[250] = "19900000102".to_owned();
    let (results, end) = read_bulk(open_bulk(&env, uneven_chunks(inputs, &[300])).await).await;
    let status = end.expect_err("quota");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(
        status.get_details_error_info().map(|i| i.reason).as_deref(),
        Some("UPSTREAM_QUOTA_EXHAUSTED")
    );
    assert_eq!(results.len(), 200, "the two batches before it");
    assert!(
        results
            .iter()
            .all(|r| r.index < 200 && r.checked_at.is_some())
    );
    assert_eq!(env.sim.simulator.stats().billed, 200);
}

#[tokio::test]
async fn after_a_dooming_error_the_batches_in_flight_are_still_answered() {
    // Four batches leave together; the one holding the quota trigger fails, the other three
    // are billed: their results must reach the caller before the status ends the stream.
    let env = start(
        SimulatorConfig {
            latency: Duration::from_millis(200),
            ..SimulatorConfig::default()
        },
        |c| {
            c.max_batch = 100;
            c.concurrency = 4;
            c.linger = Duration::from_millis(50);
        },
    )
    .await;
    let mut inputs = numbers(2000);
    inputs[150] = "19900000102".to_owned();
    let (results, end) = read_bulk(open_bulk(&env, vec![inputs]).await).await;
    assert_eq!(end.expect_err("quota").code(), Code::ResourceExhausted);
    // (A batch freed by an early finisher may leave before the failure is known: 300 or more.)
    let stats = env.sim.simulator.stats();
    assert!(stats.billed >= 300, "{stats:?}");
    assert_eq!(
        results.len() as u64,
        stats.billed,
        "every billed number is answered"
    );
    assert!(results.iter().all(|r| r.checked_at.is_some()));
    assert!(results.iter().all(|r| !(100..200).contains(&r.index)));
}
