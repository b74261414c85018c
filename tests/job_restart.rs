//! A job survives its server stopping: the real binary, SIGKILLed (or SIGTERMed) in the
//! middle of a job, started again on the same data directory, finishes the job. The mock
//! upstream (a process of its own, so it outlives the server) billed each number once, plus,
//! after a SIGKILL, at most the batches that were in flight at that moment; after a SIGTERM,
//! nothing more: the server stores the answers of its batches out before it exits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CreateJobRequest, GetJobRequest, GetJobResultsRequest, JobState};
use tonic::transport::Channel;

use common::process::{Running, phonecheck, start_and_read, terminate};

const TOKEN: &str = "restart-test-token";

async fn client(addr: &str) -> PhoneCheckClient<Channel> {
    PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

const ROWS: u64 = 100_000;
const MAX_BATCH: u64 = 2000;
const CONCURRENCY: u64 = 2;

/// How the first server is stopped.
enum Stop {
    Kill,
    Terminate,
}

/// Runs a job, stops the server a quarter of the way in, starts it again on the same data
/// directory, checks the job finishes whole; returns (rows done at the stop, numbers the
/// upstream billed).
async fn stop_and_restart(stop: Stop) -> (u64, u64) {
    let data = tempfile::tempdir().unwrap();
    let mut mock = phonecheck();
    mock.args(["mock-upstream", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .args(["--latency-ms", "100"]);
    let (url, _mock) = start_and_read(mock, "mock upstream listening", "url=");
    let serve = || {
        let mut serve = phonecheck();
        serve
            .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url", &url])
            .args(["--data-dir", data.path().to_str().unwrap(), "--qps", "0"])
            .args(["--concurrency", &CONCURRENCY.to_string()])
            .env("ALAPI_TOKEN", TOKEN);
        start_and_read(serve, "phonecheck listening", "addr=")
    };

    let (addr, server) = serve();
    let mut c = client(&addr).await;
    let inputs: Vec<String> = (0..ROWS).map(|i| format!("1380{:07}", i)).collect();
    let messages: Vec<CreateJobRequest> = inputs
        .chunks(10_000)
        .map(|chunk| CreateJobRequest {
            mobiles: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let job = c
        .create_job(futures::stream::iter(messages))
        .await
        .expect("created")
        .into_inner();
    // Kill it once a good part is done (and well before the end).
    let done_at_kill = common::eventually(
        "a quarter of the job done",
        Duration::from_secs(120),
        || {
            let (mut c, id) = (c.clone(), job.id.clone());
            async move {
                let now = c.get_job(GetJobRequest { id }).await.unwrap().into_inner();
                (now.done >= ROWS / 4).then_some(now.done)
            }
        },
    )
    .await;
    match stop {
        Stop::Kill => drop::<Running>(server), // SIGKILL, then reaped
        Stop::Terminate => assert!(terminate(server).await.success(), "a clean exit"),
    }
    assert!(done_at_kill < ROWS, "stopped before the end");

    let (addr, _server) = serve();
    let mut c = client(&addr).await;
    let finished = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let now = c
                .get_job(GetJobRequest { id: job.id.clone() })
                .await
                .unwrap()
                .into_inner();
            if now.state() != JobState::Running && now.state() != JobState::Queued {
                break now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the job finishes after the restart");
    assert_eq!(finished.state(), JobState::Succeeded, "{finished:?}");
    assert_eq!(finished.done, ROWS);

    let mut results = c
        .get_job_results(GetJobResultsRequest {
            id: job.id.clone(),
            from_index: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut n = 0u64;
    while let Some(message) = results.message().await.unwrap() {
        for r in message.results {
            assert_eq!(u64::from(r.index), n);
            assert_eq!(r.input, inputs[n as usize]);
            assert!(r.error.is_none() && r.status != 0, "{r:?}");
            n += 1;
        }
    }
    assert_eq!(n, ROWS, "every row");

    let stats: serde_json::Value = reqwest::get(url.replace("/api/phonecheck", "/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let billed = stats["billed"].as_u64().unwrap();
    assert!(billed >= ROWS);
    (done_at_kill, billed)
}

#[tokio::test]
async fn a_job_killed_mid_way_resumes_after_a_restart_and_bills_at_most_the_batches_in_flight() {
    let (done, billed) = stop_and_restart(Stop::Kill).await;
    let rebilled = billed - ROWS;
    eprintln!(
        "SIGKILL at {done} of {ROWS} rows done; upstream billed {billed}: {rebilled} numbers billed again (the batches in flight at the kill; at most {})",
        CONCURRENCY * MAX_BATCH
    );
    assert!(
        rebilled <= CONCURRENCY * MAX_BATCH,
        "re-billed {rebilled}: more than the batches in flight"
    );
}

#[tokio::test]
async fn a_job_stopped_by_sigterm_resumes_after_a_restart_without_billing_anything_twice() {
    let (done, billed) = stop_and_restart(Stop::Terminate).await;
    eprintln!("SIGTERM at {done} of {ROWS} rows done; upstream billed {billed}");
    assert_eq!(billed, ROWS, "every number billed exactly once");
}
