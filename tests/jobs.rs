//! Durable jobs against a real server (in process, with a data directory of its own) and the
//! real simulator: create, watch, results in input order, billing once, cancel, resume,
//! delete, pages, and a bad data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use phonecheck::checking::checked_line::LineStatus;
use phonecheck::checking::upstream::simulator::{SimulatorConfig, expected_status};
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{
    CancelJobRequest, CreateJobRequest, DeleteJobRequest, GetJobRequest, GetJobResultsRequest, Job,
    JobState, ListJobsRequest, NumberStatus, PhoneResult, ResumeJobRequest, WatchJobRequest,
};
use phonecheck::serving::config::ServeConfig;
use tonic::Code;
use tonic::transport::Channel;

use common::{TestEnv, start};

/// Starts a server whose jobs live in `dir`.
async fn start_with_jobs(
    dir: &Path,
    sim: SimulatorConfig,
    tweak: impl FnOnce(&mut ServeConfig),
) -> TestEnv {
    let dir = dir.to_owned();
    start(sim, move |c| {
        c.data_dir = dir;
        tweak(c);
    })
    .await
}

/// Creates a job from `inputs`, sent in chunks of `chunk`.
pub async fn create_job(
    client: &mut PhoneCheckClient<Channel>,
    name: &str,
    inputs: &[String],
    chunk: usize,
) -> Job {
    let mut messages: Vec<CreateJobRequest> = inputs
        .chunks(chunk)
        .map(|c| CreateJobRequest {
            mobiles: c.to_vec(),
            ..Default::default()
        })
        .collect();
    if let Some(first) = messages.first_mut() {
        first.name = name.to_owned();
    }
    client
        .create_job(futures::stream::iter(messages))
        .await
        .expect("job created")
        .into_inner()
}

/// Watches a job until it ends; returns its last state.
async fn wait_for_end(client: &mut PhoneCheckClient<Channel>, id: &str) -> Job {
    let mut updates = client
        .watch_job(WatchJobRequest { id: id.to_owned() })
        .await
        .expect("watch")
        .into_inner();
    let mut last = None;
    let run = async {
        while let Some(job) = updates.message().await.expect("watch stream") {
            if let Some(previous) = &last {
                let previous: &Job = previous;
                assert!(job.done >= previous.done, "progress never goes back");
            }
            last = Some(job);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the job ends");
    last.expect("at least one update")
}

async fn results(client: &mut PhoneCheckClient<Channel>, id: &str, from: u64) -> Vec<PhoneResult> {
    let mut stream = client
        .get_job_results(GetJobResultsRequest {
            id: id.to_owned(),
            from_index: from,
        })
        .await
        .expect("results")
        .into_inner();
    let mut out = Vec::new();
    while let Some(message) = stream.message().await.expect("results stream") {
        out.extend(message.results);
    }
    out
}

#[tokio::test]
async fn a_300k_job_with_repeats_and_junk_is_answered_in_order_and_billed_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(dir.path(), SimulatorConfig::default(), |c| {
        c.qps = None;
    })
    .await;
    let mut client = env.client.clone();
    // 300,000 rows: every 50th junk; rows from 200,000 on repeat the first 100,000 numbers,
    // spelled another way. 196,000 distinct valid numbers.
    let inputs: Vec<String> = (0..300_000u64)
        .map(|i| {
            let n = 13_900_000_000 + i % 200_000;
            match i {
                i if i % 50 == 49 => format!("not a number {i}"),
                i if i >= 200_000 => {
                    format!(
                        "+86 {} {:04} {:04}",
                        n / 100_000_000,
                        n / 10_000 % 10_000,
                        n % 10_000
                    )
                }
                _ => n.to_string(),
            }
        })
        .collect();
    let job = create_job(&mut client, "big.csv", &inputs, 10_000).await;
    assert_eq!(job.total, 300_000);
    assert_eq!(job.unique, 196_000);
    assert_eq!(job.duplicates, 98_000);
    assert_eq!(job.name, "big.csv");
    let job = wait_for_end(&mut client, &job.id).await;
    assert_eq!(job.state(), JobState::Succeeded, "{job:?}");
    assert_eq!(job.done, job.total);

    let stats = env.sim.simulator.stats();
    assert_eq!(env.sim.simulator.most_times_billed(), 1, "billed once each");
    assert_eq!(
        stats.billed, job.unique,
        "every distinct valid number billed"
    );
    assert_eq!(job.billed, job.unique);

    let all = results(&mut client, &job.id, 0).await;
    assert_eq!(all.len(), inputs.len());
    let mut first_seen: HashMap<String, u32> = HashMap::new();
    for (i, r) in all.iter().enumerate() {
        assert_eq!(r.index as usize, i, "input order");
        assert_eq!(r.input, inputs[i]);
        if r.status() == NumberStatus::Invalid {
            assert!(inputs[i].starts_with("not a number"), "{r:?}");
            continue;
        }
        let expected = LineStatus::from_code(expected_status(&r.mobile)).unwrap();
        assert_eq!(r.status(), NumberStatus::from(expected), "{r:?}");
        let first = *first_seen.entry(r.mobile.clone()).or_insert(r.index);
        assert_eq!(r.duplicate, first != r.index, "{r:?}");
    }
    assert_eq!(first_seen.len() as u64, job.unique);
    let counts = job.by_status.unwrap();
    assert_eq!(
        u64::from(counts.invalid),
        all.iter()
            .filter(|r| r.status() == NumberStatus::Invalid)
            .count() as u64
    );

    // Downloaded again, and from an index, the same.
    let again = results(&mut client, &job.id, 0).await;
    assert_eq!(again, all);
    let tail = results(&mut client, &job.id, 123_457).await;
    assert_eq!(tail, all[123_457..]);
}

#[tokio::test]
async fn a_quota_failure_stops_the_job_and_resume_finishes_it_without_billing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(dir.path(), SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
    })
    .await;
    let mut client = env.client.clone();
    // The trigger number answers 102 (quota used up) the first time only.
    let mut inputs: Vec<String> = common::numbers(2000);
    inputs[1500] = "19900010102".to_owned();
    let job = create_job(&mut client, "quota", &inputs, 500).await;
    let failed = wait_for_end(&mut client, &job.id).await;
    assert_eq!(failed.state(), JobState::Failed, "{failed:?}");
    let error = failed.error.clone().expect("the reason");
    assert_eq!(error.code, Code::ResourceExhausted as i32);
    assert!(failed.done < 2000 && failed.done > 0, "{failed:?}");
    // Every input comes back: those answered, then the ones never sent, each marked
    // NOT_CHECKED naming the job's error.
    let partial = results(&mut client, &job.id, 0).await;
    assert_eq!(partial.len(), 2000, "every input of a stopped job");
    let never_sent: Vec<&PhoneResult> = partial
        .iter()
        .filter(|r| {
            r.error.as_ref().is_some_and(|e| {
                let status = tonic::Status::with_details(
                    Code::Ok,
                    "",
                    prost::Message::encode_to_vec(e).into(),
                );
                tonic_types::StatusExt::get_details_error_info(&status).is_some_and(|info| {
                    info.reason == phonecheck::pb::NOT_CHECKED_REASON
                        && info.metadata["jobErrorReason"] == "UPSTREAM_QUOTA_EXHAUSTED"
                })
            })
        })
        .collect();
    assert_eq!(
        never_sent.len() as u64,
        2000 - failed.done,
        "the inputs not done are the ones never sent"
    );
    assert!(
        never_sent
            .iter()
            .all(|r| r.status() == NumberStatus::Unspecified
                && r.error.as_ref().unwrap().code == Code::Aborted as i32),
        "{never_sent:?}"
    );
    assert!(never_sent.iter().any(|r| r.input == "19900010102"));
    assert_eq!(
        results(&mut client, &job.id, 1999).await.len(),
        1,
        "from an index too"
    );

    let resumed = client
        .resume_job(ResumeJobRequest {
            id: job.id.clone(),
            max_billed: 0,
        })
        .await
        .expect("resume")
        .into_inner();
    assert!(matches!(
        resumed.state(),
        JobState::Queued | JobState::Running | JobState::Succeeded
    ));
    let done = wait_for_end(&mut client, &job.id).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    assert!(done.error.is_none());
    assert_eq!(done.done, 2000);
    assert_eq!(
        env.sim.simulator.most_times_billed(),
        1,
        "nothing billed twice"
    );
    assert_eq!(env.sim.simulator.stats().billed, 2000);
    assert_eq!(done.billed, 2000);
    assert_eq!(results(&mut client, &job.id, 0).await.len(), 2000);
}

#[tokio::test]
async fn a_job_stops_at_its_cap_and_resumed_with_a_higher_one_bills_every_number_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(dir.path(), SimulatorConfig::default(), |c| {
        c.max_batch = 100;
    })
    .await;
    let mut client = env.client.clone();
    let inputs = common::numbers(1_000);
    let job = client
        .create_job(futures::stream::iter([CreateJobRequest {
            mobiles: inputs.clone(),
            max_billed: 350,
            ..Default::default()
        }]))
        .await
        .expect("job")
        .into_inner();
    assert_eq!(job.max_billed, 350);
    let capped = wait_for_end(&mut client, &job.id).await;
    assert_eq!(capped.state(), JobState::Failed, "{capped:?}");
    assert_eq!(capped.billed, 350, "to the number");
    assert_eq!(env.sim.simulator.stats().billed, 350);
    let error = capped.error.expect("why");
    assert_eq!(error.code, Code::ResourceExhausted as i32);
    let status =
        tonic::Status::with_details(Code::Ok, "", prost::Message::encode_to_vec(&error).into());
    assert_eq!(
        tonic_types::StatusExt::get_details_error_info(&status)
            .map(|i| i.reason)
            .as_deref(),
        Some("JOB_CAP_REACHED")
    );
    // Resumed without a higher cap it stops again at once, billing nothing.
    client
        .resume_job(ResumeJobRequest {
            id: job.id.clone(),
            max_billed: 0,
        })
        .await
        .unwrap();
    let again = wait_for_end(&mut client, &job.id).await;
    assert_eq!(again.state(), JobState::Failed);
    assert_eq!(env.sim.simulator.stats().billed, 350);
    // With a higher one it finishes, every number billed once.
    let resumed = client
        .resume_job(ResumeJobRequest {
            id: job.id.clone(),
            max_billed: 5_000,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resumed.max_billed, 5_000);
    let done = wait_for_end(&mut client, &job.id).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    assert_eq!(done.billed, 1_000);
    assert_eq!(env.sim.simulator.stats().billed, 1_000);
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
}

#[tokio::test]
async fn fifty_creations_with_one_request_id_make_one_job_and_another_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(dir.path(), SimulatorConfig::default(), |_| {}).await;
    let inputs = common::numbers(3_000);
    let request = |list: &[String]| {
        // Three messages: a retry may arrive while the first upload is still going on.
        let messages: Vec<CreateJobRequest> = list
            .chunks(1_000)
            .enumerate()
            .map(|(i, c)| CreateJobRequest {
                mobiles: c.to_vec(),
                request_id: if i == 0 {
                    "5f0c6a1e-8d2b-4c1a-9b7e-3d2f1a0b9c8d".to_owned()
                } else {
                    String::new()
                },
                ..Default::default()
            })
            .collect();
        futures::stream::iter(messages)
    };
    let calls = (0..50).map(|_| {
        let mut client = env.client.clone();
        let messages = request(&inputs);
        async move { client.create_job(messages).await.map(|r| r.into_inner().id) }
    });
    let ids: Vec<String> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("every call answered"))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one job: {ids:?}");
    let mut client = env.client.clone();
    let listed = client
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.jobs.len(), 1, "{listed:?}");
    assert_eq!(listed.jobs[0].total, 3_000);

    // The same id with another list is refused, and makes nothing.
    let other = common::numbers(3_001)[1..].to_vec();
    let refused = client.create_job(request(&other)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(
        tonic_types::StatusExt::get_details_error_info(&refused)
            .map(|i| i.reason)
            .as_deref(),
        Some("REQUEST_ID_REUSED")
    );
    let listed = client
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.jobs.len(), 1);
    let done = wait_for_end(&mut client, &ids[0]).await;
    assert_eq!(done.state(), JobState::Succeeded);
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
}

#[tokio::test]
async fn jobs_are_listed_newest_first_cancelled_deleted_and_unknown_ids_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(
        dir.path(),
        SimulatorConfig {
            latency: Duration::from_millis(200),
            ..SimulatorConfig::default()
        },
        |c| {
            c.max_batch = 100;
            c.concurrency = 1;
        },
    )
    .await;
    let mut client = env.client.clone();
    let mut ids = Vec::new();
    for i in 0..3 {
        let list: Vec<String> = (0..3000)
            .map(|j| format!("137{:08}", i * 10_000 + j))
            .collect();
        ids.push(
            create_job(&mut client, &format!("list {i}"), &list, 1000)
                .await
                .id,
        );
    }
    // Pages of two, newest first.
    let first = client
        .list_jobs(ListJobsRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.jobs.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_jobs(ListJobsRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.jobs.len(), 1);
    assert!(second.next_page_token.is_empty());
    let listed: Vec<String> = first
        .jobs
        .iter()
        .chain(&second.jobs)
        .map(|j| j.id.clone())
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let bad = client
        .list_jobs(ListJobsRequest {
            page_size: 2,
            page_token: "nonsense".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    // The last job waits behind two running ones: cancel it, and nothing of it is billed.
    let cancelled = client
        .cancel_job(CancelJobRequest { id: ids[2].clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.state(), JobState::Cancelled);
    assert!(cancelled.finished_at.is_some());
    // The first: cancelled while running; it stops, what it stored stays readable.
    let running = client
        .cancel_job(CancelJobRequest { id: ids[0].clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(running.state(), JobState::Cancelled);
    let later = client
        .get_job(GetJobRequest { id: ids[0].clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(later.state(), JobState::Cancelled);

    client
        .delete_job(DeleteJobRequest { id: ids[1].clone() })
        .await
        .expect("deleted");
    for id in [ids[1].clone(), "j_nope".to_owned()] {
        let missing = client
            .get_job(GetJobRequest { id: id.clone() })
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound, "{id}");
    }
    let seen = env.sim.simulator.numbers_seen();
    assert!(
        !seen.iter().any(|n| n.starts_with("13700002")),
        "the cancelled queued job sent nothing"
    );
}

#[tokio::test]
async fn an_empty_job_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(dir.path(), SimulatorConfig::default(), |_| {}).await;
    let mut client = env.client.clone();
    let refused = client
        .create_job(futures::stream::iter(vec![CreateJobRequest::default()]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let listed = client
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.jobs.is_empty());
}

/// Jobs are part of every server: there is no configuration in which a job call answers "not
/// available" (a state the binary could never reach, whose message asked users for a flag
/// that was always set).
#[tokio::test]
async fn every_server_serves_jobs() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let mut client = env.client.clone();
    let status = client
        .get_job(GetJobRequest { id: "j_x".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let job = create_job(&mut client, "default", &["13111111111".to_owned()], 10).await;
    assert_eq!(job.total, 1);
}

#[test]
fn a_corrupt_or_unusable_data_dir_is_a_clear_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    // A database file that is not one.
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    let garbage = b"this is not a database at all, not even close to one".repeat(100);
    std::fs::write(corrupt.join("jobs.sqlite3"), &garbage).unwrap();
    let e = phonecheck::jobs::SqliteJobStore::open(&corrupt)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--data-dir") && e.contains("jobs.sqlite3"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(corrupt.join("jobs.sqlite3")).unwrap(),
        garbage,
        "left untouched"
    );
    // A data dir that is a file.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let e = phonecheck::jobs::SqliteJobStore::open(&file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--data-dir"), "{e}");
}

#[tokio::test]
async fn a_live_check_goes_before_a_big_job_in_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with_jobs(
        dir.path(),
        SimulatorConfig {
            latency: Duration::from_millis(100),
            ..SimulatorConfig::default()
        },
        |c| {
            // One call at a time: the job alone keeps the upstream busy for seconds.
            c.concurrency = 1;
        },
    )
    .await;
    let mut client = env.client.clone();
    let list: Vec<String> = (0..60_000).map(|i| format!("136{:08}", i)).collect();
    let job = create_job(&mut client, "big", &list, 10_000).await;
    // Wait until the job is under way, with its window of numbers queued.
    loop {
        let now = client
            .get_job(GetJobRequest { id: job.id.clone() })
            .await
            .unwrap()
            .into_inner();
        if now.done > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let calls_before = env.sim.simulator.stats().calls;
    let answer = client
        .check(phonecheck::pb::CheckRequest {
            mobiles: vec!["13111111111".to_owned(), "13922223333".to_owned()],
            ..Default::default()
        })
        .await
        .expect("answered")
        .into_inner();
    let calls_after = env.sim.simulator.stats().calls;
    assert_eq!(answer.results.len(), 2);
    // At most the call in flight when it arrived, then its own: it did not wait behind the
    // job's queued window (6,000 numbers, three more calls).
    assert!(
        calls_after - calls_before <= 2,
        "the live call waited for {} upstream calls",
        calls_after - calls_before
    );
    let running = client
        .get_job(GetJobRequest { id: job.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(
        running.state(),
        JobState::Succeeded,
        "the job was still running"
    );
}

#[tokio::test]
async fn with_api_keys_a_job_is_seen_only_with_a_key_of_its_owners_name() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        "crm:crm-key-1111111111111111\nbilling:billing-key-33333333\n",
    )
    .unwrap();
    let env = start_with_jobs(&dir.path().join("jobs"), SimulatorConfig::default(), |c| {
        c.api_keys_file = Some(keys);
    })
    .await;
    let mut crm = common::connect_with_key(env.addr, "crm-key-1111111111111111").await;
    let mut billing = common::connect_with_key(env.addr, "billing-key-33333333").await;

    let job = crm
        .create_job(futures::stream::iter(vec![CreateJobRequest {
            name: "crm list".into(),
            mobiles: common::numbers(10),
            ..Default::default()
        }]))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(job.owner, "crm");

    // Its owner sees it.
    let seen = crm
        .get_job(GetJobRequest { id: job.id.clone() })
        .await
        .expect("its owner")
        .into_inner();
    assert_eq!(seen.id, job.id);
    // Another caller does not: not its results, not its cancel, not in its list.
    let hidden = billing
        .get_job(GetJobRequest { id: job.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let cancel = billing
        .cancel_job(CancelJobRequest { id: job.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(cancel.code(), Code::NotFound);
    let delete = billing
        .delete_job(DeleteJobRequest { id: job.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(delete.code(), Code::NotFound);
    let results = billing
        .get_job_results(GetJobResultsRequest {
            id: job.id.clone(),
            from_index: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(results.code(), Code::NotFound);
    let listed = billing
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.jobs.is_empty());
    let own = crm
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.jobs.len(), 1);
}
