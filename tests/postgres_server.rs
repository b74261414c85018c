//! A server whose jobs live in PostgreSQL. A big job on a fresh database (statistics not yet
//! gathered, no result cache) runs to its end at full speed. The database going away and
//! coming back under a running server: job calls fail UNAVAILABLE with a clear reason, live
//! checks keep working, health says NOT_SERVING with `--require-database`, and the running job
//! pauses and finishes once the database is back, every row present. Skipped (with a message)
//! where no PostgreSQL server is installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::jobs::PostgresOptions;
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{
    CheckRequest, CreateJobRequest, GetJobRequest, GetJobResultsRequest, Job, JobState,
};
use phonecheck::serving::DatabaseConfig;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

use common::postgres::TestPostgres;

fn database(url: String, timeout: Duration) -> DatabaseConfig {
    DatabaseConfig {
        options: PostgresOptions {
            url,
            ca_file: None,
            pool_size: 4,
            timeout,
            idle_transaction_timeout: timeout,
        },
        require: true,
    }
}

/// The job `id` once it has succeeded, waited for within `timeout`.
async fn succeeded(client: &PhoneCheckClient<Channel>, id: &str, timeout: Duration) -> Job {
    common::eventually("the job's end", timeout, || {
        let mut client = client.clone();
        let id = id.to_owned();
        async move {
            let job = client
                .get_job(GetJobRequest { id })
                .await
                .ok()?
                .into_inner();
            (job.state() == JobState::Succeeded).then_some(job)
        }
    })
    .await
}

/// What health says of the PhoneCheck service (UNKNOWN when it cannot be asked).
async fn serving_status(health: &HealthClient<Channel>) -> ServingStatus {
    health
        .clone()
        .check(HealthCheckRequest {
            service: "phonecheck.v1.PhoneCheck".to_owned(),
        })
        .await
        .map(|r| r.into_inner().status())
        .unwrap_or(ServingStatus::Unknown)
}

/// The planner sees a just-uploaded job as a handful of rows; a statement written so that it
/// could then read the whole job per batch stalled such a job (it once took minutes per
/// batch). This one must finish well within its bound.
#[tokio::test]
async fn a_big_job_on_a_fresh_database_runs_to_its_end() {
    let Some(pg) = TestPostgres::start("a_big_job_on_a_fresh_database").await else {
        return;
    };
    let env = common::start(SimulatorConfig::default(), |c| {
        c.database = Some(database(pg.url(), Duration::from_secs(5)));
        c.cache.entries = 0;
    })
    .await;
    let mut client = env.client.clone();
    const SEGMENTS: [&str; 6] = ["130", "150", "166", "173", "180", "190"];
    const ROWS: usize = 100_000;
    let inputs: Vec<String> = (0..ROWS)
        .map(|i| format!("{}{:08}", SEGMENTS[i % 6], i))
        .collect();
    let messages: Vec<CreateJobRequest> = inputs
        .chunks(10_000)
        .map(|chunk| CreateJobRequest {
            mobiles: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let job = client
        .create_job(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let finished = succeeded(&client, &job.id, Duration::from_secs(120)).await;
    assert_eq!((finished.done, finished.billed), (ROWS as u64, ROWS as u64));
}

#[tokio::test]
async fn a_database_outage_pauses_jobs_and_fails_job_calls_while_live_checks_go_on() {
    let Some(mut pg) = TestPostgres::start("a_database_outage").await else {
        return;
    };
    let env = common::start(
        SimulatorConfig {
            latency: Duration::from_millis(100),
            ..SimulatorConfig::default()
        },
        |c| {
            c.database = Some(database(pg.url(), Duration::from_secs(2)));
            c.job_lease = Duration::from_secs(2);
            c.concurrency = 1;
        },
    )
    .await;
    let mut client = env.client.clone();
    let health = HealthClient::new(common::channel(env.addr).await);
    let serving = |want: ServingStatus| {
        let health = health.clone();
        move || {
            let health = health.clone();
            async move { (serving_status(&health).await == want).then_some(()) }
        }
    };
    common::eventually(
        "serving",
        Duration::from_secs(10),
        serving(ServingStatus::Serving),
    )
    .await;

    const ROWS: usize = 60_000;
    let inputs = common::numbers(ROWS);
    let messages: Vec<CreateJobRequest> = inputs
        .chunks(10_000)
        .map(|chunk| CreateJobRequest {
            mobiles: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let job = client
        .create_job(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let reader = client.clone();
    let get = |id: String| {
        let mut client = reader.clone();
        async move { client.get_job(GetJobRequest { id }).await }
    };
    common::eventually("the job under way", Duration::from_secs(60), || {
        let get = get(job.id.clone());
        async move { (get.await.unwrap().into_inner().done >= 4_000).then_some(()) }
    })
    .await;

    pg.stop().await;
    let status = common::eventually("job calls failing", Duration::from_secs(30), || {
        let get = get(job.id.clone());
        async move { get.await.err() }
    })
    .await;
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let reason = status.get_details_error_info().map(|i| i.reason);
    assert_eq!(
        reason.as_deref(),
        Some("JOB_STORE_UNAVAILABLE"),
        "{status:?}"
    );
    assert!(status.message().contains("job database"), "{status:?}");
    common::eventually(
        "NOT_SERVING while the database is down",
        Duration::from_secs(30),
        serving(ServingStatus::NotServing),
    )
    .await;
    // Live checks do not need the database.
    let live = client
        .check(CheckRequest {
            mobiles: vec!["13900000001".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(live.results.len(), 1);
    let billed_while_down = env.sim.simulator.stats().billed;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = env.sim.simulator.stats().billed;
    assert!(
        still <= billed_while_down + 2_000,
        "the job paused: {billed_while_down} → {still}"
    );

    pg.run().await;
    common::eventually(
        "serving again",
        Duration::from_secs(30),
        serving(ServingStatus::Serving),
    )
    .await;
    let finished = succeeded(&client, &job.id, Duration::from_secs(120)).await;
    assert_eq!(finished.done, ROWS as u64);
    let mut results = client
        .get_job_results(GetJobResultsRequest {
            id: job.id.clone(),
            from_index: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(message) = results.message().await.unwrap() {
        for r in message.results {
            assert_eq!(r.index as usize, n);
            assert_eq!(r.input, inputs[n]);
            assert!(r.error.is_none() && r.status != 0, "{r:?}");
            n += 1;
        }
    }
    assert_eq!(n, ROWS, "every row");
    let billed = env.sim.simulator.stats().billed;
    eprintln!("outage: upstream billed {billed} for {ROWS} numbers");
    assert!(billed >= ROWS as u64);
}

/// A replica started before its database waits for it instead of exiting: it serves live
/// checks meanwhile, says NOT_SERVING (`--require-database`) and fails job calls UNAVAILABLE,
/// then, once the database is up, migrates it, turns SERVING and runs jobs.
#[tokio::test]
async fn a_replica_started_before_its_database_waits_for_it() {
    let Some(mut pg) = TestPostgres::start("a_replica_started_before_its_database").await else {
        return;
    };
    pg.stop().await;
    let env = common::start(SimulatorConfig::default(), |c| {
        c.database = Some(database(pg.url(), Duration::from_secs(2)));
    })
    .await;
    let mut client = env.client.clone();
    let health = HealthClient::new(common::channel(env.addr).await);
    assert_eq!(serving_status(&health).await, ServingStatus::NotServing);
    let refused = client
        .create_job(futures::stream::iter([CreateJobRequest {
            mobiles: common::numbers(10),
            ..Default::default()
        }]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(
        refused
            .get_details_error_info()
            .map(|i| i.reason)
            .as_deref(),
        Some("JOB_STORE_UNAVAILABLE"),
        "{refused:?}"
    );
    assert!(refused.message().contains("job database"), "{refused:?}");
    let live = client
        .check(CheckRequest {
            mobiles: vec!["13900000001".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(live.results.len(), 1, "live checks need no database");

    pg.run().await;
    common::eventually(
        "serving once the database is up",
        Duration::from_secs(60),
        || async { (serving_status(&health).await == ServingStatus::Serving).then_some(()) },
    )
    .await;
    let job = client
        .create_job(futures::stream::iter([CreateJobRequest {
            mobiles: common::numbers(500),
            ..Default::default()
        }]))
        .await
        .unwrap()
        .into_inner();
    let done = succeeded(&client, &job.id, Duration::from_secs(60)).await;
    assert_eq!(done.done, 500);
}
