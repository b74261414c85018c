//! The usage ledger and budgets end to end: real servers with API keys, the simulated upstream
//! over real HTTP, the ledger in SQLite (and in a real PostgreSQL shared by two servers). What
//! the ledger says each caller was billed adds up to what the upstream billed; cache hits,
//! invalid inputs, repeats and calls are counted per caller; a caller reads only its own rows
//! unless its key is an admin's; the ledger survives a restart. A budget is never exceeded,
//! by one number, on one server or two sharing PostgreSQL; a caller over it is told so in the
//! API's words, and others go on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::jobs::PostgresOptions;
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{
    CheckRequest, CheckStreamRequest, CreateJobRequest, GetJobRequest, GetJobResultsRequest,
    GetUsageRequest, GetUsageResponse, JobState, UsageDay,
};
use phonecheck::serving::config::{DatabaseConfig, ServeConfig};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

use common::postgres::TestPostgres;
use common::{connect, numbers, start_server, test_config};

const KEYS: &str = "crm:crm-key-0123456789\nops:ops-key-0123456789\n";

/// A request carrying `key`.
fn with_key<T>(message: T, key: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {key}")).unwrap(),
    );
    request
}

fn config(upstream: String, keys: &Path, data_dir: &Path) -> ServeConfig {
    let mut config = test_config(upstream);
    config.api_keys_file = Some(keys.to_owned());
    config.admin_keys = vec!["ops".to_owned()];
    config.data_dir = data_dir.to_owned();
    config
}

/// The PostgreSQL of `pg` as the job database of a replica.
fn shared(pg: &TestPostgres) -> DatabaseConfig {
    DatabaseConfig {
        options: PostgresOptions {
            url: pg.url(),
            ca_file: None,
            pool_size: 4,
            timeout: Duration::from_secs(5),
            idle_transaction_timeout: Duration::from_secs(5),
        },
        require: true,
    }
}

async fn check(client: &mut PhoneCheckClient<Channel>, key: &str, mobiles: Vec<String>) {
    client
        .check(with_key(
            CheckRequest {
                mobiles,
                options: None,
            },
            key,
        ))
        .await
        .expect("check");
}

async fn usage(
    client: &mut PhoneCheckClient<Channel>,
    key: &str,
    caller: &str,
) -> Result<GetUsageResponse, tonic::Status> {
    client
        .get_usage(with_key(
            GetUsageRequest {
                caller: caller.to_owned(),
                ..Default::default()
            },
            key,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// The one row of `caller` in `usage` (every test runs within one day, give or take midnight:
/// the rows of a caller are summed).
fn of(usage: &GetUsageResponse, caller: &str) -> UsageDay {
    let mut sum = UsageDay {
        caller: caller.to_owned(),
        ..Default::default()
    };
    for day in usage.days.iter().filter(|d| d.caller == caller) {
        sum.billed += day.billed;
        sum.cache_hits += day.cache_hits;
        sum.invalid += day.invalid;
        sum.duplicates += day.duplicates;
        sum.calls += day.calls;
    }
    sum
}

#[tokio::test]
async fn each_callers_spending_is_counted_read_by_whom_it_may_and_kept_across_a_restart() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, KEYS).unwrap();
    let data = dir.path().join("data");
    let (addr, stop) = start_server(config(sim.url(), &keys, &data)).await;
    let mut client = connect(addr).await;

    // crm: 3,000 numbers, then the same 3,000 again (all cached) with 10 junk inputs and 5
    // repeats; ops: 100 numbers of its own and 50 of crm's (cached).
    let list = numbers(3_000);
    check(&mut client, "crm-key-0123456789", list.clone()).await;
    let mut again = list.clone();
    again.extend((0..10).map(|i| format!("junk{i}")));
    again.extend(list[..5].iter().cloned());
    check(&mut client, "crm-key-0123456789", again).await;
    let theirs: Vec<String> = numbers(3_100)[3_000..].to_vec();
    let mut ops_list = theirs.clone();
    ops_list.extend(list[..50].iter().cloned());
    check(&mut client, "ops-key-0123456789", ops_list).await;
    // A job of crm's: 200 numbers, 100 of them cached.
    let job_list: Vec<String> = numbers(3_200)[3_000..].to_vec();
    let mut job_list = job_list[100..].to_vec();
    job_list.extend(list[..100].iter().cloned());
    let job = client
        .create_job(with_key(
            futures::stream::iter([CreateJobRequest {
                mobiles: job_list,
                ..Default::default()
            }]),
            "crm-key-0123456789",
        ))
        .await
        .expect("job")
        .into_inner();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = client
            .get_job(with_key(
                GetJobRequest { id: job.id.clone() },
                "crm-key-0123456789",
            ))
            .await
            .unwrap()
            .into_inner();
        if now.state() == JobState::Succeeded {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job ends: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let own = usage(&mut client, "crm-key-0123456789", "").await.unwrap();
    let crm = of(&own, "crm");
    assert_eq!(
        (
            crm.billed,
            crm.cache_hits,
            crm.invalid,
            crm.duplicates,
            crm.calls
        ),
        (3_100, 3_100, 10, 5, 3),
        "{own:?}"
    );
    assert!(
        own.days.iter().all(|d| d.caller == "crm"),
        "only its own rows"
    );
    assert_eq!(own.time_zone, "UTC");

    // Another's rows: refused to crm, given to ops (an admin key).
    let refused = usage(&mut client, "crm-key-0123456789", "*")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(
        refused
            .get_details_error_info()
            .map(|i| i.reason)
            .as_deref(),
        Some("USAGE_NOT_YOURS")
    );
    let everyone = usage(&mut client, "ops-key-0123456789", "*").await.unwrap();
    let ops = of(&everyone, "ops");
    assert_eq!((ops.billed, ops.cache_hits, ops.calls), (100, 50, 1));
    assert_eq!(of(&everyone, "crm"), crm);
    assert_eq!(
        crm.billed + ops.billed,
        sim.simulator.stats().billed,
        "the ledger adds up to what the upstream billed"
    );
    let bad = client
        .get_usage(with_key(
            GetUsageRequest {
                from: "2026-02-30".to_owned(),
                ..Default::default()
            },
            "ops-key-0123456789",
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("2026-02-30"), "{bad:?}");

    // Restarted on the same database: the same ledger.
    drop(stop);
    drop(client);
    let (addr, _stop) = restart(config(sim.url(), &keys, &data)).await;
    let mut client = connect(addr).await;
    let after = usage(&mut client, "ops-key-0123456789", "*").await.unwrap();
    assert_eq!(of(&after, "crm"), crm, "kept across a restart");
    assert_eq!(of(&after, "ops"), ops);
}

/// Starts a server on a database another server used until just now: retried while the
/// first still holds it.
async fn restart(config: ServeConfig) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match phonecheck::serving::Server::bind(config.clone()).await {
            Ok(server) => {
                let addr = server.grpc_addr();
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(async move {
                    let _ = server
                        .run(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
                return (addr, stop);
            }
            Err(e) if tokio::time::Instant::now() < deadline => {
                eprintln!("not yet: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the server restarts: {e}"),
        }
    }
}

#[tokio::test]
async fn replicas_sharing_a_postgresql_write_one_ledger() {
    let Some(pg) = TestPostgres::start("replicas_sharing_a_postgresql_write_one_ledger").await
    else {
        return;
    };
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, KEYS).unwrap();
    let mut replicas = Vec::new();
    for name in ["a", "b"] {
        let mut config = config(sim.url(), &keys, &dir.path().join(name));
        config.database = Some(shared(&pg));
        let (addr, stop) = start_server(config).await;
        replicas.push((connect(addr).await, stop));
    }
    // Each replica has a result cache of its own (no Redis here): B bills again the 400
    // numbers A checked already.
    let list = numbers(2_000);
    check(
        &mut replicas[0].0,
        "crm-key-0123456789",
        list[..1_200].to_vec(),
    )
    .await;
    check(
        &mut replicas[1].0,
        "crm-key-0123456789",
        list[800..].to_vec(),
    )
    .await;
    check(
        &mut replicas[1].0,
        "ops-key-0123456789",
        numbers(2_100)[2_000..].to_vec(),
    )
    .await;
    // B's spending reaches the database within a second; A reads it from there.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let everyone = loop {
        let everyone = usage(&mut replicas[0].0, "ops-key-0123456789", "*")
            .await
            .unwrap();
        if of(&everyone, "crm").calls == 2 && of(&everyone, "ops").calls == 1 {
            break everyone;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "B's rows arrive: {everyone:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let crm = of(&everyone, "crm");
    assert_eq!((crm.billed, crm.cache_hits), (2_400, 0), "{everyone:?}");
    assert_eq!(of(&everyone, "ops").billed, 100);
    assert_eq!(
        crm.billed + of(&everyone, "ops").billed,
        sim.simulator.stats().billed
    );
}

/// Streams `mobiles` as `key`; returns the numbers answered with a status and how the stream
/// ended.
async fn stream(
    client: &mut PhoneCheckClient<Channel>,
    key: &str,
    mobiles: Vec<String>,
) -> (usize, Result<(), tonic::Status>) {
    let mut answered = 0;
    let started = client
        .check_stream(with_key(
            CheckStreamRequest {
                mobiles,
                options: None,
            },
            key,
        ))
        .await;
    let mut stream = match started {
        Ok(s) => s.into_inner(),
        Err(status) => return (0, Err(status)),
    };
    loop {
        match stream.message().await {
            Ok(Some(message)) => {
                answered += message
                    .results
                    .iter()
                    .filter(|r| r.status != 0 && r.error.is_none())
                    .count();
            }
            Ok(None) => return (answered, Ok(())),
            Err(status) => return (answered, Err(status)),
        }
    }
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_budget_stops_its_caller_at_the_limit_and_no_one_else() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        "crm:crm-key-0123456789:50:5000/day\nops:ops-key-0123456789\nbatch:batch-key-0123456789::1_000/month\n",
    )
    .unwrap();
    let (addr, _stop) = start_server(config(sim.url(), &keys, &dir.path().join("data"))).await;
    let mut client = connect(addr).await;
    let crm = "crm-key-0123456789";

    let first = numbers(3_000);
    check(&mut client, crm, first.clone()).await;
    // 4,000 new numbers streamed: exactly the 2,000 left are checked, then the stream ends
    // with the budget's status.
    let more: Vec<String> = numbers(7_000)[3_000..].to_vec();
    let (answered, ended) = stream(&mut client, crm, more.clone()).await;
    let status = ended.expect_err("the stream ends with the budget's status");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status), "BUDGET_EXHAUSTED");
    assert_eq!(answered, 2_000, "what fitted was checked");
    assert_eq!(sim.simulator.stats().billed, 5_000, "never past the budget");
    // A Check that needs the upstream is refused before anything is sent, saying whose
    // budget, how big and when it is whole again.
    let refused = client
        .check(with_key(
            CheckRequest {
                mobiles: more[3_000..].to_vec(),
                options: None,
            },
            crm,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(reason(&refused), "BUDGET_EXHAUSTED");
    let quota = refused.get_details_quota_failure().expect("QuotaFailure");
    assert_eq!(quota.violations[0].subject, "caller:crm");
    assert!(
        quota.violations[0]
            .description
            .contains("5000 numbers a day; 0 left"),
        "{quota:?}"
    );
    let retry = refused.get_details_retry_info().expect("RetryInfo");
    assert!(retry.retry_delay.unwrap() <= Duration::from_secs(86_400));
    // Cached answers stay free and are still given.
    check(&mut client, crm, first.clone()).await;
    // Another key is unaffected.
    check(
        &mut client,
        "ops-key-0123456789",
        numbers(7_100)[7_000..].to_vec(),
    )
    .await;
    assert_eq!(sim.simulator.stats().billed, 5_100);

    let own = usage(&mut client, crm, "").await.unwrap();
    assert_eq!(of(&own, "crm").billed, 5_000);
    assert_eq!(of(&own, "crm").cache_hits, 3_000);
    let budget = own.budget.expect("crm has a budget");
    assert_eq!(
        (
            budget.limit,
            budget.period.as_str(),
            budget.used,
            budget.reserved,
            budget.left
        ),
        (5_000, "day", 5_000, 0, 0)
    );
    assert!(
        usage(&mut client, "ops-key-0123456789", "")
            .await
            .unwrap()
            .budget
            .is_none()
    );

    // A job over its caller's budget stops FAILED with the budget's reason once the budget
    // is spent; what it did not send is NOT_CHECKED, and nothing was billed past the limit.
    let batch = "batch-key-0123456789";
    let list: Vec<String> = numbers(8_500)[7_100..].to_vec();
    let job = client
        .create_job(with_key(
            futures::stream::iter([CreateJobRequest {
                mobiles: list.clone(),
                ..Default::default()
            }]),
            batch,
        ))
        .await
        .expect("job")
        .into_inner();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let ended = loop {
        let now = client
            .get_job(with_key(GetJobRequest { id: job.id.clone() }, batch))
            .await
            .unwrap()
            .into_inner();
        // FAILED from the batch its budget refused; the batch granted before it is still
        // answered and stored after that (it is paid for): wait for both.
        if now.state() != JobState::Queued && now.state() != JobState::Running && now.done >= 1_000
        {
            break now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job ends: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(ended.state(), JobState::Failed, "{ended:?}");
    let error = ended.error.expect("why it failed");
    assert_eq!(error.code, Code::ResourceExhausted as i32, "{error:?}");
    assert!(
        error.message.contains("budget of 1000 numbers a month"),
        "{error:?}"
    );
    assert_eq!(ended.billed, 1_000);
    assert_eq!(sim.simulator.stats().billed, 6_100, "never past a budget");
    let mut results = client
        .get_job_results(with_key(
            GetJobResultsRequest {
                id: job.id.clone(),
                from_index: 0,
            },
            batch,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut not_checked = 0;
    while let Some(message) = results.message().await.unwrap() {
        not_checked += message
            .results
            .iter()
            .filter(|r| {
                r.error
                    .as_ref()
                    .is_some_and(|e| e.code == Code::Aborted as i32)
            })
            .count();
    }
    assert_eq!(not_checked, list.len() - 1_000, "the rest never sent");
}

#[tokio::test]
async fn two_replicas_on_one_postgresql_never_exceed_a_budget_together() {
    let Some(pg) = TestPostgres::start("two_replicas_never_exceed_a_budget").await else {
        return;
    };
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, "crm:crm-key-0123456789::3000/day\n").unwrap();
    let start_replicas = || async {
        let mut replicas = Vec::new();
        for name in ["a", "b"] {
            let mut config = config(sim.url(), &keys, &dir.path().join(name));
            config.database = Some(shared(&pg));
            let (addr, stop) = start_server(config).await;
            replicas.push((connect(addr).await, stop));
        }
        replicas
    };
    let mut replicas = start_replicas().await;
    // Both replicas stream 2,500 numbers of the same caller at once: 5,000 wanted, 3,000
    // allowed.
    let list = numbers(5_000);
    let (mut a, mut b) = (replicas[0].0.clone(), replicas[1].0.clone());
    let (on_a, on_b) = tokio::join!(
        stream(&mut a, "crm-key-0123456789", list[..2_500].to_vec()),
        stream(&mut b, "crm-key-0123456789", list[2_500..].to_vec()),
    );
    let billed = sim.simulator.stats().billed;
    eprintln!(
        "budget 3000/day, two replicas streaming 2,500 each: A answered {}, B answered {}, upstream billed {billed}",
        on_a.0, on_b.0
    );
    assert_eq!(billed, 3_000, "the budget, to the number");
    assert_eq!(on_a.0 + on_b.0, 3_000);
    for (_, ended) in [&on_a, &on_b] {
        if let Err(status) = ended {
            assert_eq!(reason(status), "BUDGET_EXHAUSTED", "{status:?}");
        }
    }
    let before = usage(&mut replicas[0].0, "crm-key-0123456789", "")
        .await
        .unwrap();

    // Both restarted: the same ledger and the same budget.
    drop(replicas);
    let mut replicas = start_replicas().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let after = loop {
        let after = usage(&mut replicas[1].0, "crm-key-0123456789", "")
            .await
            .unwrap();
        if of(&after, "crm").billed == 3_000 || tokio::time::Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(of(&after, "crm").billed, 3_000, "{before:?} then {after:?}");
    let budget = after.budget.expect("a budget");
    assert_eq!((budget.used, budget.left), (3_000, 0));
    let (answered, ended) = stream(
        &mut replicas[0].0,
        "crm-key-0123456789",
        numbers(5_100)[5_000..].to_vec(),
    )
    .await;
    assert_eq!(answered, 0);
    assert_eq!(reason(&ended.unwrap_err()), "BUDGET_EXHAUSTED");
    assert_eq!(sim.simulator.stats().billed, 3_000);
}

#[tokio::test]
async fn a_preview_sends_nothing_and_its_billable_is_what_the_real_call_bills() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, KEYS).unwrap();
    let (addr, _stop) = start_server(config(sim.url(), &keys, &dir.path().join("data"))).await;
    let mut client = connect(addr).await;
    let crm = "crm-key-0123456789";
    let cached = numbers(300);
    check(&mut client, crm, cached[..100].to_vec()).await;
    let billed_before = sim.simulator.stats().billed;
    // 300 numbers (100 cached), 20 junk, 30 repeats.
    let mut list = cached.clone();
    list.extend((0..20).map(|i| format!("junk{i}")));
    list.extend(cached[200..230].iter().cloned());
    let preview_options = Some(phonecheck::pb::CheckOptions {
        validate_only: true,
        ..Default::default()
    });
    let previewed = client
        .check(with_key(
            CheckRequest {
                mobiles: list.clone(),
                options: preview_options,
            },
            crm,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(previewed.results.is_empty());
    let summary = previewed.summary.unwrap();
    assert_eq!(
        (
            summary.total,
            summary.unique,
            summary.invalid,
            summary.duplicates
        ),
        (350, 300, 20, 30)
    );
    assert_eq!(
        (summary.cache_hits, summary.billable, summary.billed),
        (100, 200, 0)
    );
    // A stream previews the same, in one message.
    let mut stream = client
        .check_stream(with_key(
            CheckStreamRequest {
                mobiles: list.clone(),
                options: preview_options,
            },
            crm,
        ))
        .await
        .unwrap()
        .into_inner();
    let only = stream.message().await.unwrap().unwrap();
    assert_eq!(only.summary.unwrap().billable, 200);
    assert!(stream.message().await.unwrap().is_none());
    // A job previews the same, and no job is made.
    let counted = client
        .create_job(with_key(
            futures::stream::iter([CreateJobRequest {
                mobiles: list.clone(),
                validate_only: true,
                ..Default::default()
            }]),
            crm,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(counted.id.is_empty());
    assert_eq!(
        (
            counted.total,
            counted.unique,
            counted.invalid,
            counted.duplicates
        ),
        (350, 300, 20, 30)
    );
    assert_eq!((counted.cache_hits, counted.billable), (100, 200));
    let listed = client
        .list_jobs(with_key(phonecheck::pb::ListJobsRequest::default(), crm))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.jobs.is_empty(), "a preview stores nothing");
    assert_eq!(sim.simulator.stats().billed, billed_before, "nothing sent");
    let own = usage(&mut client, crm, "").await.unwrap();
    assert_eq!(
        of(&own, "crm").calls,
        1,
        "previews are not calls that spend"
    );

    // The real call bills what the preview said, and says so itself.
    let real = client
        .check(with_key(
            CheckRequest {
                mobiles: list,
                options: None,
            },
            crm,
        ))
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    assert_eq!((real.billed, real.billable), (200, 200));
    assert_eq!(sim.simulator.stats().billed, billed_before + 200);

    // CheckBulk does not preview: it says where to go.
    let refused = client
        .check_bulk(with_key(
            futures::stream::iter([phonecheck::pb::CheckBulkRequest {
                mobiles: vec!["13111111111".to_owned()],
                options: preview_options,
            }]),
            crm,
        ))
        .await;
    let status = match refused {
        Err(status) => status,
        Ok(response) => {
            let mut stream = response.into_inner();
            loop {
                match stream.message().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("a bulk preview is refused"),
                    Err(status) => break status,
                }
            }
        }
    };
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("validate_only"), "{status:?}");
}

/// `--dry-run` says the caller's budget beside what the list would bill, and how far short
/// it would stop; a caller without a budget is told nothing more.
#[tokio::test]
async fn a_dry_run_says_the_callers_budget_and_where_the_list_would_stop() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        "crm:crm-key-0123456789:50:50/day\nops:ops-key-0123456789\n",
    )
    .unwrap();
    let (addr, _stop) = start_server(config(sim.url(), &keys, &dir.path().join("data"))).await;
    let mut client = connect(addr).await;
    let list = numbers(70);
    check(&mut client, "crm-key-0123456789", list[..10].to_vec()).await;
    let billed = sim.simulator.stats().billed;
    let file = dir.path().join("list.txt");
    std::fs::write(&file, list.join("\n")).unwrap();

    let dry_run = |key: &'static str| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_phonecheck"));
        command
            .args(["check", file.to_str().unwrap(), "--dry-run"])
            .env("PHONECHECK_SERVER", format!("http://{addr}"))
            .env("PHONECHECK_API_KEY", key)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        async move {
            let out = tokio::time::timeout(Duration::from_secs(60), command.output())
                .await
                .expect("the CLI ends")
                .expect("run phonecheck");
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let said = dry_run("crm-key-0123456789").await;
    assert!(
        said.contains("would bill 60 numbers")
            && said.contains(
                "your budget: 50 numbers a day; used 10, reserved 0, left 40 (whole again at "
            )
            && said.contains("it would stop there, 20 numbers short"),
        "{said}"
    );
    let said = dry_run("ops-key-0123456789").await;
    assert!(
        said.contains("would bill 60 numbers") && !said.contains("budget"),
        "{said}"
    );
    assert_eq!(sim.simulator.stats().billed, billed, "nothing was sent");
}
