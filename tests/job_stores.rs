//! The job-store contract, run against both stores: SQLite in a temporary directory, and
//! PostgreSQL on a throwaway server (skipped, with a message, where none is installed). The
//! runner relies on exactly these behaviours: answers counted once, guarded transitions,
//! leases that fence every write, claims oldest first, retention, and migrations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use phonecheck::checking::checked_line::{CheckedLine, LineStatus, intern};
use phonecheck::checking::upstream::UpstreamError;
use phonecheck::jobs::store::{WebhookAttempt, WebhookState};
use phonecheck::jobs::{
    InputRow, JobAnswer, JobState, JobStore, JobStoreError, Mobile, NewInput, NewJob,
    PostgresJobStore, PostgresOptions, SqliteJobStore, StoreEvent, StoredAnswer,
};

use common::postgres::TestPostgres;

const LEASE: Duration = Duration::from_secs(30);

fn mobile(n: u64) -> Mobile {
    Mobile::from_u64(13_900_000_000 + n).unwrap()
}

fn report(status: LineStatus) -> Arc<CheckedLine> {
    Arc::new(CheckedLine {
        status,
        status_name: intern(status.label()),
        area: intern("北京"),
        carrier: intern("中国移动"),
        checked_at: SystemTime::now(),
    })
}

fn options(url: String) -> PostgresOptions {
    PostgresOptions {
        url,
        ca_file: None,
        pool_size: 4,
        timeout: Duration::from_secs(5),
        idle_transaction_timeout: LEASE,
    }
}

/// What keeps the stores' backing alive for a test.
struct Backing {
    _dir: tempfile::TempDir,
    _pg: Option<TestPostgres>,
}

/// Both stores (PostgreSQL only where a server is installed), each named.
async fn stores(test: &str) -> (Vec<(&'static str, Arc<dyn JobStore>)>, Backing) {
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<(&'static str, Arc<dyn JobStore>)> = vec![(
        "sqlite",
        Arc::new(SqliteJobStore::open(dir.path()).unwrap()),
    )];
    let pg = TestPostgres::start(test).await;
    if let Some(pg) = &pg {
        let store = PostgresJobStore::open(options(pg.url())).await.unwrap();
        stores.push(("postgres", Arc::new(store)));
    }
    (stores, Backing { _dir: dir, _pg: pg })
}

/// A queued job `id` holding `inputs`.
async fn queued(store: &dyn JobStore, id: &str, inputs: &[(&str, Option<Mobile>)]) {
    queued_with(store, id, inputs, None).await;
}

/// A queued job `id` holding `inputs`, announced to `callback_url` when it ends.
async fn queued_with(
    store: &dyn JobStore,
    id: &str,
    inputs: &[(&str, Option<Mobile>)],
    callback_url: Option<&str>,
) {
    store
        .create(NewJob {
            id: id.to_owned(),
            owner: String::new(),
            name: "test".to_owned(),
            max_age: None,
            skip_cache: false,
            header: vec!["name".to_owned(), "phone".to_owned()],
            callback_url: callback_url.map(str::to_owned),
            max_billed: None,
            request_id: None,
            trace_parent: None,
        })
        .await
        .unwrap();
    // Every input keeps a row: its position's name, and the input as the phone cell; every
    // input but the second says its line (a blank line before the third).
    let inputs = inputs
        .iter()
        .enumerate()
        .map(|(i, (s, m))| NewInput {
            input: (*s).to_owned(),
            mobile: *m,
            source: InputRow {
                line: (i != 1).then_some(i as u64 + 2 + u64::from(i >= 2)),
                cells: vec![format!("客户 {i}, \"vip\""), (*s).to_owned()],
            },
        })
        .collect();
    store.add_inputs(id, 0, inputs).await.unwrap();
    assert!(
        store
            .transition(id, &[JobState::Uploading], JobState::Queued, None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn answers_count_once_per_input_and_results_say_which_are_pending() {
    let (stores, _backing) = stores("answers_count_once").await;
    for (name, store) in stores {
        let inputs = [
            ("a", Some(mobile(1))),
            ("junk\0", None),
            ("b", Some(mobile(1))),
            ("c", Some(mobile(2))),
        ];
        queued(&*store, "j", &inputs).await;
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!(
            (job.total, job.unique, job.invalid, job.duplicates, job.done),
            (4, 2, 1, 1, 1),
            "{name}: counts at upload (the invalid input is answered at once)"
        );
        let lease = store.claim("r1", LEASE, 10).await.unwrap().pop().unwrap();
        let real = report(LineStatus::Real);
        let one = || vec![JobAnswer::Checked(mobile(1), real.clone())];
        assert!(store.record(&lease, one(), 1, false, None).await.unwrap());
        // The same answer again (a retried write) changes nothing.
        assert!(store.record(&lease, one(), 0, false, None).await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!(job.done, 3, "{name}");
        assert_eq!(job.by_status[LineStatus::Real as usize], 2, "{name}");
        assert_eq!(job.billed, 1, "{name}");

        let results = store.results("j", 0, 100).await.unwrap();
        assert_eq!(results.len(), 4, "{name}: every input");
        assert!(
            results[3].answer.is_none(),
            "{name}: the last one is pending"
        );
        assert!(results[..3].iter().all(|r| r.answer.is_some()), "{name}");
        assert!(results[2].duplicate && !results[0].duplicate, "{name}");
        assert!(matches!(results[1].answer, Some(StoredAnswer::Invalid)));
        // Rows come back whole, with the header the job was made with, and their lines.
        assert_eq!(job.header, ["name", "phone"], "{name}");
        assert_eq!(results[0].source.cells, ["客户 0, \"vip\"", "a"], "{name}");
        assert_eq!(
            results[1].source.cells,
            ["客户 1, \"vip\"", "junk\0"],
            "{name}"
        );
        let lines: Vec<Option<u64>> = results.iter().map(|r| r.source.line).collect();
        assert_eq!(lines, [Some(2), None, Some(5), Some(6)], "{name}");
        assert_eq!(results[1].source.line_or_position(1), 2, "{name}");
        assert_eq!(
            store.pending("j", None, 10).await.unwrap(),
            vec![mobile(2)],
            "{name}"
        );

        let gone = Arc::new(UpstreamError::Connect("reset".to_owned()));
        let failed = vec![JobAnswer::Failed(mobile(2), gone)];
        assert!(store.record(&lease, failed, 0, false, None).await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!((job.done, job.failed), (4, 1), "{name}");
        assert!(matches!(
            store.results("j", 3, 10).await.unwrap()[0].answer,
            Some(StoredAnswer::Failed(UpstreamError::Connect(_)))
        ));
        assert!(store.finish(&lease, JobState::Succeeded).await.unwrap());

        // Resuming makes failed numbers pending again and takes them out of the counts.
        assert!(store.resume("j").await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!((job.state, job.done, job.failed), (JobState::Queued, 3, 0));
        assert_eq!(store.pending("j", None, 10).await.unwrap(), vec![mobile(2)]);
    }
}

#[tokio::test]
async fn a_lost_lease_writes_nothing_and_transitions_never_overwrite_each_other() {
    let (stores, _backing) = stores("a_lost_lease_writes_nothing").await;
    for (name, store) in stores {
        queued(
            &*store,
            "j",
            &[("a", Some(mobile(1))), ("b", Some(mobile(2)))],
        )
        .await;
        let first = store.claim("r1", LEASE, 10).await.unwrap().pop().unwrap();
        assert!(store.renew(&first, LEASE).await.unwrap(), "{name}");
        assert!(
            store.claim("r2", LEASE, 10).await.unwrap().is_empty(),
            "{name}: a job under a live lease is nobody else's"
        );
        // Cancelled by a caller: the runner's writes change nothing, its renewal fails.
        assert!(
            store
                .transition(
                    "j",
                    &[JobState::Queued, JobState::Running],
                    JobState::Cancelled,
                    None
                )
                .await
                .unwrap()
        );
        let answer = vec![JobAnswer::Checked(mobile(1), report(LineStatus::Empty))];
        assert!(
            !store
                .record(&first, answer.clone(), 1, false, None)
                .await
                .unwrap(),
            "{name}: fenced"
        );
        assert!(!store.renew(&first, LEASE).await.unwrap(), "{name}");
        assert!(
            !store.finish(&first, JobState::Succeeded).await.unwrap(),
            "{name}: a runner finishing late does not overwrite the cancel"
        );
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.done, job.billed),
            (JobState::Cancelled, 0, 0)
        );
        assert!(job.finished_at.is_some());

        // Resumed and claimed again: a lease that lapses is taken over with a higher
        // generation, and the old holder is fenced out.
        assert!(store.resume("j").await.unwrap());
        let short = Duration::from_millis(200);
        let second = store.claim("r1", short, 10).await.unwrap().pop().unwrap();
        assert!(second.generation > first.generation, "{name}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let third = store.claim("r2", LEASE, 10).await.unwrap().pop().unwrap();
        assert_eq!((third.job.as_str(), third.holder.as_str()), ("j", "r2"));
        assert!(third.generation > second.generation, "{name}");
        assert!(
            !store
                .record(&second, answer.clone(), 1, false, None)
                .await
                .unwrap(),
            "{name}: the old holder writes nothing"
        );
        assert!(!store.renew(&second, LEASE).await.unwrap(), "{name}");
        assert!(store.record(&third, answer, 1, false, None).await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!(
            (job.done, job.billed),
            (1, 1),
            "{name}: only the holder's write"
        );

        // A job failed by its runner stays its runner's: batches still out are stored.
        let quota = Arc::new(UpstreamError::Api {
            code: 102,
            msg: "quota".to_owned(),
            log_id: None,
        });
        assert!(
            store
                .record(&third, Vec::new(), 0, false, Some(quota))
                .await
                .unwrap()
        );
        let late = vec![JobAnswer::Checked(mobile(2), report(LineStatus::Real))];
        assert!(store.record(&third, late, 1, false, None).await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!((job.state, job.done, job.billed), (JobState::Failed, 2, 2));
        assert!(job.error.is_some());

        // Given back, a job is queued for anyone.
        assert!(store.resume("j").await.unwrap());
        let fourth = store.claim("r1", LEASE, 10).await.unwrap().pop().unwrap();
        assert!(store.release(&fourth).await.unwrap());
        assert_eq!(
            store.get("j").await.unwrap().unwrap().state,
            JobState::Queued
        );
    }
}

#[tokio::test]
async fn claims_take_the_oldest_jobs_first_and_no_more_than_asked() {
    let (stores, _backing) = stores("claims_take_the_oldest").await;
    for (name, store) in stores {
        for id in ["j1", "j2", "j3"] {
            queued(&*store, id, &[("a", Some(mobile(1)))]).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let two = store.claim("r1", LEASE, 2).await.unwrap();
        let ids: Vec<&str> = two.iter().map(|l| l.job.as_str()).collect();
        assert_eq!(ids, ["j1", "j2"], "{name}");
        let rest = store.claim("r2", LEASE, 5).await.unwrap();
        assert_eq!(rest.len(), 1, "{name}");
        assert_eq!(rest[0].job, "j3");
        assert!(store.claim("r3", LEASE, 5).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn jobs_past_their_retention_are_deleted_once() {
    let (stores, _backing) = stores("jobs_past_their_retention").await;
    for (name, store) in stores {
        queued(&*store, "old", &[("a", Some(mobile(1)))]).await;
        queued(&*store, "live", &[("a", Some(mobile(1)))]).await;
        store
            .transition("old", &[JobState::Queued], JobState::Cancelled, None)
            .await
            .unwrap();
        let later = SystemTime::now() + Duration::from_secs(60);
        let every = Duration::from_secs(3600);
        assert_eq!(
            store.delete_ended_before(later, every).await.unwrap(),
            1,
            "{name}"
        );
        assert!(store.get("old").await.unwrap().is_none(), "{name}");
        assert!(store.results("old", 0, 10).await.unwrap().is_empty());
        assert!(
            store.get("live").await.unwrap().is_some(),
            "{name}: still queued"
        );
        assert!(!store.delete("old").await.unwrap());
    }
}

/// Two replicas on one database: one sweeps, the other finds the sweep done; a change made
/// through one is announced to the other.
#[tokio::test]
async fn an_ended_jobs_webhook_is_claimed_once_retried_when_due_and_reset_by_resume() {
    let (stores, _backing) = stores("webhooks_due").await;
    let hold = Duration::from_secs(60);
    let hook = "https://example.com/hook";
    for (name, store) in stores {
        queued_with(&*store, "h", &[("a", Some(mobile(1)))], Some(hook)).await;
        queued(&*store, "plain", &[("b", Some(mobile(2)))]).await;
        assert!(
            store.claim_webhooks(hold, 10).await.unwrap().is_empty(),
            "{name}: not due before the job ends"
        );
        for id in ["h", "plain"] {
            let ended = store.transition(id, &[JobState::Queued], JobState::Cancelled, None);
            assert!(ended.await.unwrap());
        }
        let due = store.claim_webhooks(hold, 10).await.unwrap();
        let ids: Vec<&str> = due.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["h"], "{name}: only the job with a callback");
        assert_eq!(due[0].callback_url.as_deref(), Some(hook), "{name}");
        assert!(
            store.claim_webhooks(hold, 10).await.unwrap().is_empty(),
            "{name}: held while it is tried"
        );

        // A failed attempt whose retry is due at once.
        let retry = WebhookAttempt {
            state: WebhookState::Pending,
            status: 500,
            error: Some("the receiver answered 500".to_owned()),
            next: Some(SystemTime::now() - Duration::from_secs(1)),
        };
        assert!(store.record_webhook("h", retry).await.unwrap(), "{name}");
        let webhook = store.get("h").await.unwrap().unwrap().webhook.unwrap();
        assert_eq!(
            (webhook.state, webhook.attempts, webhook.last_status),
            (WebhookState::Pending, 1, 500),
            "{name}"
        );
        assert!(webhook.next_attempt.is_some() && webhook.last_attempt.is_some());
        let again = store.claim_webhooks(hold, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{name}: due again");
        let delivered = WebhookAttempt {
            state: WebhookState::Delivered,
            status: 204,
            error: None,
            next: None,
        };
        assert!(store.record_webhook("h", delivered.clone()).await.unwrap());
        let webhook = store.get("h").await.unwrap().unwrap().webhook.unwrap();
        assert_eq!(
            (webhook.state, webhook.attempts, webhook.last_status),
            (WebhookState::Delivered, 2, 204),
            "{name}"
        );
        assert_eq!(webhook.next_attempt, None);
        assert!(store.claim_webhooks(hold, 10).await.unwrap().is_empty());
        assert!(
            !store.record_webhook("h", delivered).await.unwrap(),
            "{name}: nothing pending, nothing recorded"
        );

        // Resumed, it will end again and be announced again.
        assert!(store.resume("h").await.unwrap());
        assert_eq!(
            store.get("h").await.unwrap().unwrap().webhook,
            None,
            "{name}"
        );
        assert!(store.claim_webhooks(hold, 10).await.unwrap().is_empty());
        // Deleted, it is never due.
        assert!(store.delete("h").await.unwrap());
    }
}

#[tokio::test]
async fn replicas_on_one_database_sweep_once_and_hear_each_others_changes() {
    let Some(pg) = TestPostgres::start("replicas_on_one_database").await else {
        return;
    };
    let a = PostgresJobStore::open(options(pg.url())).await.unwrap();
    let b = PostgresJobStore::open(options(pg.url())).await.unwrap();
    let mut heard = b.events().unwrap();
    queued(&a, "j", &[("a", Some(mobile(1)))]).await;
    a.transition("j", &[JobState::Queued], JobState::Cancelled, None)
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            // The queued announcement may come first; wait for the cancel's.
            let event = heard.recv().await.unwrap();
            let about_j = matches!(&event, StoreEvent::Changed { job, state: true } if job == "j");
            if about_j && b.get("j").await.unwrap().unwrap().state == JobState::Cancelled {
                return;
            }
        }
    })
    .await;
    assert!(event.is_ok(), "B heard A's change");

    let later = SystemTime::now() + Duration::from_secs(60);
    let every = Duration::from_secs(3600);
    let (swept_a, swept_b) = tokio::join!(
        a.delete_ended_before(later, every),
        b.delete_ended_before(later, every)
    );
    let mut swept = [swept_a.unwrap(), swept_b.unwrap()];
    swept.sort_unstable();
    assert_eq!(swept, [0, 1], "one replica swept, the other found it done");
}

#[tokio::test]
async fn a_database_from_a_newer_phonecheck_is_refused_in_one_line() {
    // SQLite: the history says a version this build does not carry.
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteJobStore::open(dir.path()).unwrap());
    {
        let conn = rusqlite_open(&dir.path().join("jobs.sqlite3"));
        conn.execute_batch(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
             VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z', '0')",
        )
        .unwrap();
    }
    let e = SqliteJobStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(e, JobStoreError::NewerSchema { found: 99, .. }),
        "{e}"
    );
    let line = e.to_string();
    assert!(line.contains("--data-dir") && line.contains("newer") && !line.contains('\n'));

    let Some(pg) = TestPostgres::start("a_database_from_a_newer_phonecheck").await else {
        return;
    };
    let url = pg.url().replace("phonecheck@", "phonecheck:s3cret-pw@");
    drop(PostgresJobStore::open(options(url.clone())).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
             VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z', '0')",
        )
        .await
        .unwrap();
    let e = PostgresJobStore::open(options(url)).await.unwrap_err();
    let line = e.to_string();
    assert!(
        matches!(e, JobStoreError::NewerSchema { found: 99, .. }),
        "{line}"
    );
    assert!(
        line.contains("--database-url postgres://phonecheck@127.0.0.1:"),
        "{line}"
    );
    assert!(
        !line.contains("s3cret-pw"),
        "the password is never shown: {line}"
    );
}

/// A database made by phonecheck before versioned migrations (schema version 1, no history)
/// is upgraded in place, its jobs kept.
#[tokio::test]
async fn an_old_sqlite_database_is_upgraded_with_its_jobs() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite_open(&dir.path().join("jobs.sqlite3"));
        conn.execute_batch(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/jobs/store/migrations/sqlite/V1__jobs.sql"
        )))
        .unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO jobs (id, owner, name, state, created_ms, updated_ms, skip_cache, total,
                               unique_numbers, done, s_real)
                 VALUES ('j_old', '', 'before', 3, 1, 2, 0, 1, 1, 1, 1);
             INSERT INTO inputs (job, idx, input, mobile) VALUES ('j_old', 0, '13900000001', 13900000001);
             INSERT INTO numbers (job, mobile, first_idx, state, status, status_name, area, carrier, checked_ms)
                 VALUES ('j_old', 13900000001, 0, 1, 1, '实号', '北京', '中国移动', 2);",
        )
        .unwrap();
    }
    let store = SqliteJobStore::open(dir.path()).unwrap();
    let job = store.get("j_old").await.unwrap().unwrap();
    assert_eq!((job.state, job.done), (JobState::Succeeded, 1));
    // Its answer, stored as texts then, reads back the same from the answers table.
    let results = store.results("j_old", 0, 10).await.unwrap();
    match &results[..] {
        [only] => match &only.answer {
            Some(StoredAnswer::Checked { report, .. }) => assert_eq!(
                (
                    report.status,
                    &*report.status_name,
                    &*report.area,
                    &*report.carrier
                ),
                (LineStatus::Real, "实号", "北京", "中国移动")
            ),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // And the new columns work: the upgraded database leases.
    queued(&store, "j_new", &[("a", Some(mobile(1)))]).await;
    assert_eq!(store.claim("r", LEASE, 5).await.unwrap().len(), 1);
    drop(store);
    let conn = rusqlite_open(&dir.path().join("jobs.sqlite3"));
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        newest_sqlite_migration(),
        "the newest schema: older phonecheck builds refuse it from now on"
    );
}

/// The version of the newest SQLite migration file (`V{n}__….sql`).
fn newest_sqlite_migration() -> i64 {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/jobs/store/migrations/sqlite");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix('V')?.split("__").next()?.parse().ok()
        })
        .max()
        .unwrap()
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// TLS to PostgreSQL (`sslmode=require`): with the server's certificate authority trusted the
/// store works over a server that refuses plain TCP; without it, start-up stops with a line
/// saying the certificate is not trusted, never the password.
#[tokio::test]
async fn tls_to_the_database_is_used_and_the_certificate_checked() {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let Some(pg) = TestPostgres::start_tls(
        "tls_to_the_database",
        &made.cert.pem(),
        &made.signing_key.serialize_pem(),
    )
    .await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, made.cert.pem()).unwrap();
    let url = format!(
        "{}?sslmode=require",
        pg.url().replace("phonecheck@", "phonecheck:s3cret-pw@")
    );

    let trusted = PostgresOptions {
        ca_file: Some(ca),
        ..options(url.clone())
    };
    let store = PostgresJobStore::open(trusted).await.unwrap();
    queued(&store, "j", &[("a", Some(mobile(1)))]).await;
    assert_eq!(store.get("j").await.unwrap().unwrap().total, 1);

    let e = PostgresJobStore::open(options(url.clone()))
        .await
        .unwrap_err();
    let line = e.to_string();
    assert!(line.contains("certificate"), "{line}");
    assert!(!line.contains("s3cret-pw"), "{line}");
    // The server takes no plain TCP: what worked above was TLS.
    let plain = url.replace("sslmode=require", "sslmode=disable");
    assert!(PostgresJobStore::open(options(plain)).await.is_err());
}

/// A stored result this build cannot read (a status or state code from a newer build, or a
/// damaged row) is an error naming the job and the row, on both stores: never a guess.
#[tokio::test]
async fn a_stored_code_this_build_does_not_know_is_refused_naming_the_job_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let pg = TestPostgres::start("unknown_stored_code").await;
    let mut stores: Vec<(&str, Arc<dyn JobStore>)> = vec![(
        "sqlite",
        Arc::new(SqliteJobStore::open(dir.path()).unwrap()),
    )];
    if let Some(pg) = &pg {
        let store = PostgresJobStore::open(options(pg.url())).await.unwrap();
        stores.push(("postgres", Arc::new(store)));
    }
    for (name, store) in &stores {
        let inputs = [("a", Some(mobile(1))), ("b", Some(mobile(2)))];
        queued(&**store, "j_damaged", &inputs).await;
        let lease = store.claim("r1", LEASE, 10).await.unwrap().pop().unwrap();
        let answers = vec![
            JobAnswer::Checked(mobile(1), report(LineStatus::Risk)),
            JobAnswer::Checked(mobile(2), report(LineStatus::Empty)),
        ];
        assert!(store.record(&lease, answers, 2, false, None).await.unwrap());
        assert_eq!(store.results("j_damaged", 0, 10).await.unwrap().len(), 2);

        let pg_url = pg.as_ref().map(TestPostgres::url);
        let damage = |sql| damage_number(name, dir.path(), pg_url.clone(), mobile(1), sql);
        let refusal = |expected: &'static str| {
            let store = store.clone();
            async move {
                let text = store
                    .results("j_damaged", 0, 10)
                    .await
                    .unwrap_err()
                    .to_string();
                assert!(
                    text.contains("job j_damaged, row 0") && text.contains(expected),
                    "{name}: {text}"
                );
            }
        };
        // An answer id no answer row has.
        damage("UPDATE numbers SET answer = answer + 1000 WHERE mobile = ?1").await;
        refusal("unknown answer id").await;
        // A number state no build has written.
        damage("UPDATE numbers SET answer = answer - 1000, state = 7 WHERE mobile = ?1").await;
        refusal("number state code 7").await;
        // Repaired, it reads as what was stored.
        damage("UPDATE numbers SET state = 1 WHERE mobile = ?1").await;
        let results = store.results("j_damaged", 0, 10).await.unwrap();
        assert!(
            matches!(&results[0].answer, Some(StoredAnswer::Checked { report, .. }) if report.status == LineStatus::Risk),
            "{name}: {:?}",
            results[0].answer
        );
        // A status code no build has written (6 is one past 风险), read by a store opened
        // after it was written (a running one reads only answers it does not know).
        damage("UPDATE answers SET status = 6 WHERE id = (SELECT answer FROM numbers WHERE mobile = ?1)")
            .await;
        let reopened: Arc<dyn JobStore> = match &pg_url {
            Some(url) if *name == "postgres" => {
                Arc::new(PostgresJobStore::open(options(url.clone())).await.unwrap())
            }
            _ => Arc::new(SqliteJobStore::open(dir.path()).unwrap()),
        };
        let text = reopened
            .results("j_damaged", 0, 10)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("job j_damaged, row 0") && text.contains("line status code 6"),
            "{name}: {text}"
        );
    }
}

/// Runs `sql` (with `?1` for the number) against the database behind store `name`.
async fn damage_number(
    name: &str,
    dir: &std::path::Path,
    pg_url: Option<String>,
    number: Mobile,
    sql: &str,
) {
    let number = number.as_u64() as i64;
    if name == "sqlite" {
        rusqlite_open(&dir.join("jobs.sqlite3"))
            .execute(sql, [number])
            .unwrap();
        return;
    }
    let (client, connection) = tokio_postgres::connect(&pg_url.unwrap(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute(&sql.replace("?1", "$1"), &[&number])
        .await
        .unwrap();
}

/// A creating call's `traceparent`, as the store keeps it.
const CREATOR: &str = "00-5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e-0505050505050505-01";

#[tokio::test]
async fn a_request_id_is_held_by_one_job_of_its_owner_until_forgotten() {
    let (stores, _backing) = stores("a_request_id_is_held").await;
    for (name, store) in stores {
        let job = |id: &str, owner: &str| NewJob {
            id: id.to_owned(),
            owner: owner.to_owned(),
            name: id.to_owned(),
            max_age: None,
            skip_cache: false,
            header: Vec::new(),
            callback_url: None,
            max_billed: None,
            request_id: Some("req-1".to_owned()),
            trace_parent: Some(CREATOR.to_owned()),
        };
        store.create(job("j_first", "crm")).await.unwrap();
        let taken = store.create(job("j_second", "crm")).await.unwrap_err();
        assert!(
            matches!(taken, JobStoreError::RequestIdTaken(ref id) if id == "req-1"),
            "{name}: {taken:?}"
        );
        // Another owner's id is its own.
        store.create(job("j_other", "ops")).await.unwrap();
        let found = store.find_request("crm", "req-1").await.unwrap().unwrap();
        assert_eq!(
            (found.id.as_str(), found.list_digest),
            ("j_first", None),
            "{name}"
        );
        store.set_list_digest("j_first", "abc").await.unwrap();
        let found = store.find_request("crm", "req-1").await.unwrap().unwrap();
        assert_eq!(found.list_digest.as_deref(), Some("abc"), "{name}");
        store.forget_request_id("j_first").await.unwrap();
        assert!(
            store.find_request("crm", "req-1").await.unwrap().is_none(),
            "{name}"
        );
        store.create(job("j_third", "crm")).await.unwrap();
        // The creating call's trace is kept with the job, for its runs to link to.
        store
            .transition("j_first", &[JobState::Uploading], JobState::Queued, None)
            .await
            .unwrap();
        let made = store.get("j_first").await.unwrap().unwrap();
        assert_eq!(made.trace_parent.as_deref(), Some(CREATOR), "{name}");
    }
}

#[tokio::test]
async fn budgets_are_reserved_within_their_limit_and_ended_periods_are_forgotten_by_kind() {
    use phonecheck::checking::spend::Spend;
    use phonecheck::jobs::{BudgetPeriod, UsageRow};
    use phonecheck::usage::Period;
    let (stores, _backing) = stores("budget_periods_forgotten").await;
    let date = |text: &str| text.parse::<jiff::civil::Date>().unwrap();
    let period = |kind: Period, first: &str, last: &str| BudgetPeriod {
        key: kind.key_of(date(first)),
        first_day: first.to_owned(),
        last_day: last.to_owned(),
    };
    let billed = |day: &str, billed: u64| UsageRow {
        caller: "crm".to_owned(),
        day: day.to_owned(),
        spend: Spend {
            billed,
            ..Spend::default()
        },
    };
    for (name, store) in stores {
        let periods = [
            period(Period::Day, "2026-01-31", "2026-01-31"),
            period(Period::Day, "2026-02-01", "2026-02-01"),
            period(Period::Month, "2026-01-01", "2026-01-31"),
            period(Period::Month, "2026-02-01", "2026-02-28"),
        ];
        for period in &periods {
            let first = store.reserve_budget("crm", period, 10, 7).await.unwrap();
            assert_eq!(first.granted, 7, "{name} {period:?}");
            // What is left is granted, never more.
            let second = store.reserve_budget("crm", period, 10, 7).await.unwrap();
            assert_eq!(
                (second.granted, second.reserved),
                (3, 10),
                "{name} {period:?}"
            );
            store.settle_budget("crm", &period.key, 7, 5).await.unwrap();
            let spent = store.budget_spent("crm", period).await.unwrap();
            assert_eq!((spent.used, spent.reserved), (5, 3), "{name} {period:?}");
        }
        // Everything that ended before 2026-02-01: that day's month is still running.
        let cutoff = date("2026-02-01");
        let mut gone = 0;
        for kind in Period::ALL {
            gone += store
                .forget_budget_periods(&kind.key_prefix(), &kind.key_of(cutoff))
                .await
                .unwrap();
        }
        assert_eq!(gone, 2, "{name}");
        let mut left = Vec::new();
        for period in &periods {
            let spent = store.budget_spent("crm", period).await.unwrap();
            left.push((spent.used, spent.reserved));
        }
        assert_eq!(left, [(0, 0), (5, 3), (0, 0), (5, 3)], "{name}");

        // A budget set part way through a period counts what the ledger billed before it:
        // read before its row exists, and kept once a reservation makes the row.
        store
            .add_usage(&[
                billed("2026-03-02", 4),
                billed("2026-03-09", 3),
                billed("2026-04-01", 50),
            ])
            .await
            .unwrap();
        let march = period(Period::Month, "2026-03-01", "2026-03-31");
        let spent = store.budget_spent("crm", &march).await.unwrap();
        assert_eq!((spent.used, spent.reserved), (7, 0), "{name}");
        let grant = store.reserve_budget("crm", &march, 10, 5).await.unwrap();
        assert_eq!((grant.granted, grant.used), (3, 7), "{name}");
        // The row, once made, is the truth: later ledger days do not move it twice.
        store.add_usage(&[billed("2026-03-10", 3)]).await.unwrap();
        store.settle_budget("crm", &march.key, 3, 3).await.unwrap();
        let spent = store.budget_spent("crm", &march).await.unwrap();
        assert_eq!((spent.used, spent.reserved), (10, 0), "{name}");
    }
}

mod postgres_before_answer_ids {
    refinery::embed_migrations!("src/jobs/store/migrations/postgres");
}

/// A PostgreSQL database whose answers are stored as texts (schema version 7) is upgraded in
/// place: each number keeps its answer, now by id, and new answers are stored beside.
#[tokio::test]
async fn a_postgres_database_with_answers_as_texts_is_upgraded_with_its_answers() {
    let Some(pg) = TestPostgres::start("answers_as_texts").await else {
        return;
    };
    {
        let (mut client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        postgres_before_answer_ids::migrations::runner()
            .set_target(refinery::Target::Version(7))
            .run_async(&mut client)
            .await
            .unwrap();
        client
            .batch_execute(
                "INSERT INTO jobs (id, owner, name, state, created_ms, updated_ms, skip_cache,
                                   total, unique_numbers, done, s_real, s_empty)
                     VALUES ('j_old', '', 'before', 3, 1, 2, false, 3, 2, 2, 2, 0);
                 INSERT INTO inputs (job_key, idx, input, mobile) VALUES
                     (1, 0, '13900000001', 13900000001), (1, 1, '13900000002', 13900000002),
                     (1, 2, '13900000001', 13900000001);
                 INSERT INTO numbers (job_key, mobile, first_idx, occurrences, state, status,
                                      status_name, area, carrier, checked_ms) VALUES
                     (1, 13900000001, 0, 2, 1, 1, '实号', '北京', '中国移动', 2),
                     (1, 13900000002, 1, 1, 0, NULL, NULL, NULL, NULL, NULL);",
            )
            .await
            .unwrap();
    }
    let store = PostgresJobStore::open(options(pg.url())).await.unwrap();
    let results = store.results("j_old", 0, 10).await.unwrap();
    let statuses: Vec<_> = results
        .iter()
        .map(|r| match &r.answer {
            Some(StoredAnswer::Checked { report, .. }) => Some((
                report.status,
                report.status_name.to_string(),
                report.area.to_string(),
                report.carrier.to_string(),
            )),
            _ => None,
        })
        .collect();
    let real = Some((
        LineStatus::Real,
        "实号".to_owned(),
        "北京".to_owned(),
        "中国移动".to_owned(),
    ));
    assert_eq!(statuses, vec![real.clone(), None, real]);
    // The number left pending is still sent, and its answer stored by id.
    assert_eq!(
        store.pending("j_old", None, 10).await.unwrap(),
        vec![Mobile::from_u64(13_900_000_002).unwrap()]
    );
}

/// A number repeated in a later upload message is a duplicate of its first input: counted
/// once as unique, answered once, and its answer counted for both inputs.
#[tokio::test]
async fn a_number_repeated_in_a_later_message_counts_as_a_duplicate_of_the_first() {
    let (stores, _backing) = stores("repeated_in_a_later_message").await;
    for (name, store) in stores {
        let message = |pairs: &[(&str, Mobile)]| -> Vec<NewInput> {
            pairs
                .iter()
                .map(|(input, m)| NewInput {
                    input: (*input).to_owned(),
                    mobile: Some(*m),
                    source: InputRow::default(),
                })
                .collect()
        };
        store
            .create(NewJob {
                id: "j".to_owned(),
                owner: String::new(),
                name: "two messages".to_owned(),
                max_age: None,
                skip_cache: false,
                header: Vec::new(),
                callback_url: None,
                max_billed: None,
                request_id: None,
                trace_parent: None,
            })
            .await
            .unwrap();
        let first = message(&[("a", mobile(1)), ("b", mobile(2))]);
        store.add_inputs("j", 0, first).await.unwrap();
        let second = message(&[("c", mobile(3)), ("a again", mobile(1)), ("a", mobile(1))]);
        store.add_inputs("j", 2, second).await.unwrap();
        store
            .transition("j", &[JobState::Uploading], JobState::Queued, None)
            .await
            .unwrap();
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!((job.total, job.unique, job.duplicates), (5, 3, 2), "{name}");
        let lease = store.claim("r1", LEASE, 10).await.unwrap().pop().unwrap();
        let answers = vec![JobAnswer::Checked(mobile(1), report(LineStatus::Empty))];
        assert!(store.record(&lease, answers, 1, false, None).await.unwrap());
        let job = store.get("j").await.unwrap().unwrap();
        assert_eq!(
            (job.done, job.by_status[LineStatus::Empty as usize]),
            (3, 3),
            "{name}: one answer, three inputs"
        );
        let results = store.results("j", 0, 10).await.unwrap();
        let duplicates: Vec<bool> = results.iter().map(|r| r.duplicate).collect();
        assert_eq!(duplicates, [false, false, false, true, true], "{name}");
        assert!(
            results[4].answer.is_some() && results[1].answer.is_none(),
            "{name}"
        );
        // Read two at a time, the repeats of a number first seen on an earlier page come
        // with its answer all the same.
        let mut paged = Vec::new();
        for from in [0, 2, 4] {
            paged.extend(store.results("j", from, 2).await.unwrap());
        }
        assert_eq!(
            format!("{paged:?}"),
            format!("{results:?}"),
            "{name}: read a page at a time"
        );
        // The job's counts by answer are kept as it goes: three inputs so far, then one more
        // answer (another status) and one repeat of the first.
        let answers = vec![
            JobAnswer::Checked(mobile(2), report(LineStatus::Real)),
            JobAnswer::Checked(mobile(3), report(LineStatus::Empty)),
        ];
        assert!(store.record(&lease, answers, 2, false, None).await.unwrap());
        let mut counts: Vec<(LineStatus, u64)> = store
            .answer_counts("j")
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.report.status, c.inputs))
            .collect();
        counts.sort_by_key(|c| c.0 as usize);
        assert_eq!(
            counts,
            [(LineStatus::Empty, 4), (LineStatus::Real, 1)],
            "{name}"
        );
        assert!(store.delete("j").await.unwrap());
        assert!(store.answer_counts("j").await.unwrap().is_empty(), "{name}");
    }
}
