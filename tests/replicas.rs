//! Jobs shared by replicas: two real `phonecheck serve` processes on one real PostgreSQL
//! server, with the mock upstream as processes of their own. A job made on one replica is
//! listed, watched and downloaded on the other; a replica killed mid-job is taken over once
//! its lease expires; a cancel through one stops the other's calls; a replica paused past its
//! lease sends and writes nothing more for the job. Skipped (with a message) where no
//! PostgreSQL server is installed; CI installs one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;
use tokio::time::Instant;

use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{
    CancelJobRequest, CreateJobRequest, GetJobRequest, GetJobResultsRequest, Job, JobState,
    ListJobsRequest, NumberStatus, WatchJobRequest,
};
use tonic::transport::Channel;

use common::postgres::TestPostgres;
use common::process::{Running, phonecheck, start_and_read, start_logged};

const TOKEN: &str = "replicas-test-token";
const CONCURRENCY: u64 = 2;
const MAX_BATCH: u64 = 2000;
const LEASE: &str = "3s";

/// A mock upstream process answering after `latency_ms`; returns its URL.
fn mock(latency_ms: u64) -> (String, Running) {
    let mut mock = phonecheck();
    mock.args(["mock-upstream", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .args(["--latency-ms", &latency_ms.to_string()]);
    start_and_read(mock, "mock upstream listening", "url=")
}

/// A replica on `database`, calling `upstream`; returns its address, the process and its log.
fn replica(database: &str, upstream: &str) -> (String, Running, Arc<Mutex<Vec<String>>>) {
    let mut serve = phonecheck();
    serve
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upstream-url",
            upstream,
        ])
        .args([
            "--database-url",
            database,
            "--job-lease",
            LEASE,
            "--qps",
            "0",
        ])
        .args(["--concurrency", &CONCURRENCY.to_string()])
        .args(["--max-batch", &MAX_BATCH.to_string()])
        .env("ALAPI_TOKEN", TOKEN);
    start_logged(serve, "phonecheck listening", "addr=")
}

async fn client(addr: &str) -> PhoneCheckClient<Channel> {
    PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
}

/// Numbers billed and calls received by the mock at `url`.
async fn stats(url: &str) -> (u64, u64) {
    let stats: serde_json::Value = reqwest::get(url.replace("/api/phonecheck", "/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        stats["billed"].as_u64().unwrap(),
        stats["calls"].as_u64().unwrap(),
    )
}

/// `rows` inputs: every tenth repeats an earlier number, every hundredth is junk.
fn list(rows: u64) -> (Vec<String>, u64) {
    let mut unique = 0;
    let inputs = (0..rows)
        .map(|i| {
            if i % 100 == 99 {
                format!("junk-{i}")
            } else if i % 10 == 9 {
                format!("1380{:07}", i - 5)
            } else {
                unique += 1;
                format!("1380{:07}", i)
            }
        })
        .collect();
    (inputs, unique)
}

async fn create(c: &mut PhoneCheckClient<Channel>, inputs: &[String]) -> Job {
    let messages: Vec<CreateJobRequest> = inputs
        .chunks(10_000)
        .map(|chunk| CreateJobRequest {
            mobiles: chunk.to_vec(),
            name: "replicas".to_owned(),
            ..Default::default()
        })
        .collect();
    c.create_job(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner()
}

async fn get(c: &mut PhoneCheckClient<Channel>, id: &str) -> Job {
    c.get_job(GetJobRequest { id: id.to_owned() })
        .await
        .unwrap()
        .into_inner()
}

/// Waits (at most `within`) until `done` of the job seen through `c` reaches `at_least`.
async fn done_reaches(
    c: &PhoneCheckClient<Channel>,
    id: &str,
    at_least: u64,
    within: Duration,
) -> u64 {
    common::eventually("the job's progress", within, || {
        let (mut c, id) = (c.clone(), id.to_owned());
        async move {
            let job = get(&mut c, &id).await;
            (job.done >= at_least).then_some(job.done)
        }
    })
    .await
}

/// Waits until the job ends; returns it.
async fn ended(c: &PhoneCheckClient<Channel>, id: &str) -> Job {
    common::eventually("the job's end", Duration::from_secs(180), || {
        let (mut c, id) = (c.clone(), id.to_owned());
        async move {
            let job = get(&mut c, &id).await;
            matches!(
                job.state(),
                JobState::Succeeded | JobState::Failed | JobState::Cancelled
            )
            .then_some(job)
        }
    })
    .await
}

/// Downloads every result and checks each row is there, in order, answered as it should be.
async fn check_results(c: &mut PhoneCheckClient<Channel>, id: &str, inputs: &[String]) {
    let mut stream = c
        .get_job_results(GetJobResultsRequest {
            id: id.to_owned(),
            from_index: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut n = 0usize;
    while let Some(message) = stream.message().await.unwrap() {
        for r in message.results {
            assert_eq!(r.index as usize, n);
            assert_eq!(r.input, inputs[n]);
            if inputs[n].starts_with("junk") {
                assert_eq!(r.status(), NumberStatus::Invalid, "{r:?}");
            } else {
                assert!(r.error.is_none() && r.status != 0, "{r:?}");
                assert_eq!(r.duplicate, n % 10 == 9, "{r:?}");
            }
            n += 1;
        }
    }
    assert_eq!(n, inputs.len(), "every row");
}

#[tokio::test]
async fn a_job_lives_on_every_replica_and_survives_the_sigkill_of_the_one_running_it() {
    let Some(pg) = TestPostgres::start("a_job_lives_on_every_replica").await else {
        return;
    };
    let (upstream, _mock) = mock(200);
    let (a_addr, a, _) = replica(&pg.url(), &upstream);
    let mut on_a = client(&a_addr).await;
    const ROWS: u64 = 100_000;
    let (inputs, unique) = list(ROWS);
    let job = create(&mut on_a, &inputs).await;
    // A runs it (B is not up yet).
    done_reaches(&on_a, &job.id, 1_000, Duration::from_secs(60)).await;

    let (b_addr, _b, _) = replica(&pg.url(), &upstream);
    let mut on_b = client(&b_addr).await;
    let listed = on_b
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.jobs.len(), 1);
    assert_eq!(listed.jobs[0].id, job.id, "listed on the other replica");

    // Watched on B while A makes progress.
    let mut watch = on_b
        .watch_job(WatchJobRequest { id: job.id.clone() })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    let watched = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(update) = watch.message().await.unwrap() {
            seen.push(update.done);
            if update.done >= ROWS / 4 {
                return;
            }
        }
    })
    .await;
    assert!(watched.is_ok(), "B's watch followed A's progress: {seen:?}");
    seen.dedup();
    assert!(seen.len() >= 3, "progress arrived as it happened: {seen:?}");

    drop::<Running>(a); // SIGKILL, mid-job
    let killed = Instant::now();
    let done_at_kill = get(&mut on_b, &job.id).await.done;
    assert!(done_at_kill < ROWS, "killed before the end");
    done_reaches(&on_b, &job.id, done_at_kill + 1, Duration::from_secs(60)).await;
    let takeover = killed.elapsed();
    let finished = ended(&on_b, &job.id).await;
    assert_eq!(finished.state(), JobState::Succeeded, "{finished:?}");
    assert_eq!(finished.done, ROWS);
    check_results(&mut on_b, &job.id, &inputs).await;

    let (billed, _) = stats(&upstream).await;
    let again = billed - unique;
    eprintln!(
        "SIGKILL at {done_at_kill} of {ROWS} rows; B took over after {takeover:.1?} (lease {LEASE}); upstream billed {billed} for {unique} unique numbers: {again} billed again (at most {} in flight)",
        CONCURRENCY * MAX_BATCH
    );
    assert!(billed >= unique);
    assert!(
        again <= CONCURRENCY * MAX_BATCH,
        "billed again {again}: more than the dead replica's batches in flight"
    );
    assert!(
        takeover < Duration::from_secs(30),
        "took over in {takeover:?}"
    );
}

#[tokio::test]
async fn a_database_killed_mid_job_under_two_replicas_loses_no_row_and_bills_nothing_twice_beyond_the_batches_in_flight()
 {
    let Some(mut pg) = TestPostgres::start("a_database_killed_mid_job").await else {
        return;
    };
    let (upstream, _mock) = mock(300);
    let (a_addr, _a, _) = replica(&pg.url(), &upstream);
    let (b_addr, _b, _) = replica(&pg.url(), &upstream);
    let mut on_a = client(&a_addr).await;
    let on_b = client(&b_addr).await;
    const ROWS: u64 = 200_000;
    let (inputs, unique) = list(ROWS);
    let job = create(&mut on_a, &inputs).await;
    done_reaches(&on_a, &job.id, 20_000, Duration::from_secs(120)).await;

    // Live calls on both replicas all along, the outage included: none may fail.
    let live = {
        let (a, b) = (on_a.clone(), on_b.clone());
        tokio::spawn(async move {
            let (mut answered, mut failed) = (0_u64, Vec::new());
            let until = Instant::now() + Duration::from_secs(25);
            let mut n = 0_u64;
            while Instant::now() < until {
                let mut replica = if n.is_multiple_of(2) {
                    a.clone()
                } else {
                    b.clone()
                };
                let number = format!("1390{:07}", n);
                match replica
                    .check(phonecheck::pb::CheckRequest {
                        mobiles: vec![number],
                        options: None,
                    })
                    .await
                {
                    Ok(_) => answered += 1,
                    Err(status) => failed.push(status),
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (answered, failed)
        })
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    let done_at_kill = get(&mut on_a, &job.id).await.done;
    pg.kill().await;
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    pg.run().await;
    let restarted = Instant::now();
    let job_calls_back =
        common::eventually("job calls answered again", Duration::from_secs(60), || {
            let (mut c, id) = (on_b.clone(), job.id.clone());
            async move {
                c.get_job(GetJobRequest { id })
                    .await
                    .ok()
                    .map(|j| j.into_inner().done)
            }
        })
        .await;
    done_reaches(&on_b, &job.id, job_calls_back + 1, Duration::from_secs(120)).await;
    let recovered = restarted.elapsed();
    let finished = ended(&on_b, &job.id).await;
    assert_eq!(finished.state(), JobState::Succeeded, "{finished:?}");
    assert_eq!(finished.done, ROWS);
    check_results(&mut on_a.clone(), &job.id, &inputs).await;

    let (answered, failed) = live.await.unwrap();
    assert!(
        failed.is_empty(),
        "live calls failed during the outage: {failed:?}"
    );
    let (billed, _) = stats(&upstream).await;
    let again = billed - unique;
    eprintln!(
        "postmaster SIGKILLed at {done_at_kill} of {ROWS} rows, restarted 10 s later ({:.1?} after the kill); progress again {recovered:.1?} after the restart; {answered} live calls answered, 0 failed; upstream billed {billed} (job {unique} unique numbers + {answered} live): {} billed again",
        restarted - killed,
        again.saturating_sub(answered)
    );
    // The live calls' numbers are their own. Beyond them, only what the running replica had
    // out when the database went away was billed again: its stream window (every call in
    // flight full, two batches waiting: --max-batch × (--concurrency + 2)), filled a pending
    // chunk (2,000) at a time, since its answers could not be stored and the replica that
    // took the job over does not hold them in its cache.
    let window = MAX_BATCH * (CONCURRENCY + 2) + 2_000;
    assert!(
        again <= answered + window,
        "billed again {again}: more than the {window} numbers the runner could have out"
    );
}

#[tokio::test]
async fn a_job_cancelled_through_one_replica_stops_calling_the_upstream_on_the_other() {
    let Some(pg) = TestPostgres::start("a_job_cancelled_through_one_replica").await else {
        return;
    };
    let (upstream, _mock) = mock(200);
    let (a_addr, _a, _) = replica(&pg.url(), &upstream);
    let mut on_a = client(&a_addr).await;
    let (inputs, _) = list(200_000);
    let job = create(&mut on_a, &inputs).await;
    done_reaches(&on_a, &job.id, 2_000, Duration::from_secs(60)).await;
    let (b_addr, _b, _) = replica(&pg.url(), &upstream);
    let mut on_b = client(&b_addr).await;

    let cancelled = on_b
        .cancel_job(CancelJobRequest { id: job.id.clone() })
        .await
        .unwrap()
        .into_inner();
    let at = Instant::now();
    assert_eq!(cancelled.state(), JobState::Cancelled);
    // The last call A makes starts within 2 s of the cancel.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, calls_at_2s) = stats(&upstream).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, calls_later) = stats(&upstream).await;
    assert_eq!(
        calls_at_2s,
        calls_later,
        "no upstream call more than 2 s after the cancel ({:?} ago)",
        at.elapsed()
    );
    let seen_on_a = get(&mut on_a, &job.id).await;
    assert_eq!(seen_on_a.state(), JobState::Cancelled);
    assert!(seen_on_a.done < 200_000);
}

#[tokio::test]
async fn a_replica_paused_past_its_lease_sends_and_writes_nothing_more_for_the_job() {
    let Some(pg) = TestPostgres::start("a_replica_paused_past_its_lease").await else {
        return;
    };
    // A and B call different mocks, so what A sends is counted apart.
    let (upstream_a, _mock_a) = mock(200);
    let (upstream_b, _mock_b) = mock(200);
    let (a_addr, a, a_log) = replica(&pg.url(), &upstream_a);
    let mut on_a = client(&a_addr).await;
    const ROWS: u64 = 100_000;
    let (inputs, _) = list(ROWS);
    let job = create(&mut on_a, &inputs).await;
    done_reaches(&on_a, &job.id, ROWS / 5, Duration::from_secs(60)).await;
    let (b_addr, _b, _) = replica(&pg.url(), &upstream_b);
    let mut on_b = client(&b_addr).await;

    a.signal("STOP");
    let stopped = Instant::now();
    // What A had sent before the stop reaches the mock.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, a_calls_at_stop) = stats(&upstream_a).await;
    let done_at_stop = get(&mut on_b, &job.id).await.done;
    done_reaches(&on_b, &job.id, done_at_stop + 1, Duration::from_secs(60)).await;
    let takeover = stopped.elapsed();

    a.signal("CONT");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, a_calls_after) = stats(&upstream_a).await;
    // A batch A had taken off its queue just before the stop may reach the mock only now (it
    // was in flight: at most one per upstream call slot); nothing is sent after that.
    assert!(
        a_calls_after - a_calls_at_stop <= CONCURRENCY,
        "A, continued after losing its lease, sent {} more calls",
        a_calls_after - a_calls_at_stop
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, a_calls_later) = stats(&upstream_a).await;
    assert_eq!(a_calls_after, a_calls_later, "A sends nothing more");
    let finished = ended(&on_b, &job.id).await;
    assert_eq!(finished.state(), JobState::Succeeded, "{finished:?}");
    assert_eq!(finished.done, ROWS);
    check_results(&mut on_b, &job.id, &inputs).await;
    // A stops either way: its lease renewal is refused, or (paused inside a transaction) the
    // database ended its session and the write failed.
    let lines = a_log.lock().join("\n");
    assert!(
        lines.contains("no longer ours") || lines.contains("job stopped by a store error"),
        "A noticed it lost the job:\n{lines}"
    );
    eprintln!("A stopped at {done_at_stop} rows; B took over after {takeover:.1?} (lease {LEASE})");
}
