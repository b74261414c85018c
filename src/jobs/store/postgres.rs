//! The shared job store: one PostgreSQL database (`--database-url`) that every replica uses,
//! so any replica serves any job and a job outlives the replica running it.
//!
//! The tables are those of the SQLite store (the migrations in `migrations/postgres`), plus
//! `sweeps`, which lets one replica (not every one) run the hourly retention sweep.
//!
//! - Uploads go in with `COPY … (FORMAT binary)`, one transaction per CreateJob message; the
//!   distinct numbers of a message (found here) are then merged into `numbers` by one
//!   statement. Rows of `inputs` and `numbers` carry the job's 8-byte `key`, not its id.
//! - A batch's answers are one `UPDATE … FROM UNNEST(…)` in a transaction that first locks the
//!   job's row and checks the lease (fencing). Its plan must not hang on the planner's
//!   guesses: a job's rows were just uploaded, so the statistics may say the table is empty,
//!   and a prepared statement's generic plan guesses ten rows for an array. Those guesses made
//!   it compare every answer with every number (a nested loop, 150 ms a batch of 2,000) or
//!   read every number of the job (an index scan on `job_key` alone, 150 to 370 ms): the whole
//!   of the old check phase's time. So the numbers are read by a range of the primary key
//!   (from the batch's lowest number to its highest; pending numbers are sent in number
//!   order, so the range holds about the batch), and nested loops are off for the
//!   transaction, leaving a hash or merge join of two small sides.
//! - Leases are timed by the database's clock, so replicas' clocks need not agree.
//! - Every change is announced with `NOTIFY phonecheck_jobs, '<kind>:<job>'` (`s` for a
//!   state or lease change, `p` for progress) in the transaction that makes it. One connection
//!   per replica LISTENs and turns them into [`StoreEvent`]s; while it is down it sends
//!   [`StoreEvent::Missed`] every second, so watchers poll until it is back.
//! - Connections come from a pool (`deadpool-postgres`) with wait, connect and recycle
//!   timeouts; a database that cannot be reached is [`JobStoreError::Unavailable`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{AsyncMessage, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::answers::{Answer, AnswerIds, DEFINE_ANSWER, READ_ANSWERS};
use super::{
    ADD_USAGE, BUDGET_SPENT, BudgetPeriod, BudgetSpent, READ_USAGE, RequestedJob,
    SEED_BUDGET_PERIOD, UsageRow, budget_grant, spend_columns, spend_from,
};
use super::{AnswerCount, answer_counts_of};
use super::{
    DriverRow, HOOK_COLUMNS, HOOKS_DUE, MAX_BILLED_COLUMN, ResultColumn, TRACE_PARENT_COLUMN,
    WebhookAttempt, answer_ids, decode_result, job_columns, webhook_from,
};
use super::{
    JobAnswer, JobRecord, JobState, JobStore, JobStoreError, Lease, NewInput, NewJob, SELECT_JOB,
    StoreEvent, StoredResult, cells_from, cells_text, duration_ms, from_millis, migrations, millis,
    to_i64, to_u64,
};
use crate::checking::checked_line::CheckedLine;
use crate::checking::number::Mobile;
use crate::checking::upstream::UpstreamError;

/// The channel every change is announced on.
const CHANNEL: &str = "phonecheck_jobs";

/// The database's clock in milliseconds since the epoch: leases are timed by it.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The condition every fenced write checks (`$1` job, `$2` holder, `$3` generation). A job its
/// runner failed stays fenced to it: the batches it still had out are stored.
const FENCE: &str = "id = $1 AND state IN (2, 4) AND lease_holder = $2 AND lease_generation = $3";

/// Key of the advisory lock that keeps two replicas starting together from migrating at once.
const MIGRATION_LOCK: i64 = 0x0070_686f_6e65_636b;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// `postgres://user:password@host:port/db?sslmode=…`.
    pub url: String,
    /// Extra certificate authorities (PEM) to trust for TLS, beside the system's.
    pub ca_file: Option<PathBuf>,
    /// Most connections this replica opens (the listening connection aside).
    pub pool_size: usize,
    /// How long connecting, or waiting for a pooled connection, may take.
    pub timeout: Duration,
    /// How long the database lets a session sit idle inside a transaction before ending it:
    /// a replica paused mid-transaction (SIGSTOP, a long GC-like stall, a cut network) must
    /// not hold a job's row lock past its lease, or no other replica could take the job.
    pub idle_transaction_timeout: Duration,
}

/// The job store in PostgreSQL. Cheap to clone; clones share the pool and the listener.
#[derive(Clone)]
pub struct PostgresJobStore {
    pool: Pool,
    events: broadcast::Sender<StoreEvent>,
    up: watch::Receiver<bool>,
    /// Set once this build's migrations are applied; until then (a database unreachable at
    /// start) every call is refused as unavailable.
    migrated: Arc<std::sync::OnceLock<()>>,
    /// The URL without its password, for messages.
    shown: Arc<str>,
    /// The `answers` rows this replica knows; others' new ones are read when a result names
    /// one.
    answers: Arc<AnswerIds>,
}

impl std::fmt::Debug for PostgresJobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresJobStore")
            .field("database", &self.shown)
            .finish_non_exhaustive()
    }
}

/// The database as messages name it: user, host, port and name, never the password.
fn shown(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// TLS as `sslmode` asks: the system's certificate authorities and `ca_file`'s are trusted,
/// and the server's certificate is always verified.
fn tls(ca_file: Option<&PathBuf>) -> Result<MakeRustlsConnect, JobStoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                JobStoreError::Config(format!("--database-ca-file {}: {e}", path.display()))
            })?;
        for cert in certs {
            roots.add(cert).map_err(|e| {
                JobStoreError::Config(format!("--database-ca-file {}: {e}", path.display()))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| JobStoreError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A statement's error: the database refusing it is a failure; a connection that broke or
/// could not be made is the database being unreachable.
fn failed(e: tokio_postgres::Error) -> JobStoreError {
    if e.as_db_error().is_some() {
        JobStoreError::Postgres(e)
    } else {
        JobStoreError::Unavailable(with_causes(&e))
    }
}

/// An error with the errors that caused it, as one line ("…TLS handshake: invalid peer
/// certificate: UnknownIssuer"): the outermost message alone rarely says what to fix.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = inner.source();
    }
    line
}

impl PostgresJobStore {
    /// Connects, applies the migrations (one replica at a time), and starts listening for
    /// changes. A URL that cannot be used, a database that refuses us (a certificate, a
    /// password) or one written by a newer phonecheck is an error here, at start-up. A
    /// database not up yet (nothing listening, no answer, still starting) is not: the store
    /// is returned unready (every call [`JobStoreError::Unavailable`], `up` false) and keeps
    /// trying with backoff, so replicas started before their database wait for it.
    pub async fn open(options: PostgresOptions) -> Result<PostgresJobStore, JobStoreError> {
        let mut config = tokio_postgres::Config::from_str(&options.url)
            .map_err(|e| JobStoreError::Config(e.to_string()))?;
        // Options given in the URL are kept. Every statement here touches a few thousand rows
        // of one job by key, and is written so that the planner has one sensible path
        // whatever the tables' statistics say (they are young right after a big upload, and
        // then a job looks like a handful of rows): the batch's numbers are an index
        // condition, results range over `numbers_by_first`. Bitmap scans are off so a
        // page of pending numbers is read in key order instead of fetching the whole job to
        // sort it (0.4 s instead of 1 ms per page on a 1,000,000-number job), and parallel
        // workers, whose start (5 ms) costs more than such a statement, are off too.
        let session = format!(
            "{} -c idle_in_transaction_session_timeout={} -c enable_bitmapscan=off \
             -c max_parallel_workers_per_gather=0",
            config.get_options().unwrap_or_default(),
            duration_ms(options.idle_transaction_timeout).max(1)
        );
        config
            .connect_timeout(options.timeout)
            .application_name("phonecheck")
            .options(session.trim_start());
        let shown: Arc<str> = shown(&config).into();
        let tls = tls(options.ca_file.as_ref())?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(2))
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| JobStoreError::Config(e.to_string()))?;
        let (events, _) = broadcast::channel(1024);
        let (up_tx, up) = watch::channel(true);
        let store = PostgresJobStore {
            pool,
            events,
            up,
            migrated: Arc::default(),
            shown,
            answers: Arc::default(),
        };
        match store.migrate().await {
            Ok(()) => {}
            Err(JobStoreError::Unavailable(why)) if not_up_yet(&config, &tls).await => {
                tracing::warn!(database = %store.shown, error = %why, "job database unreachable at start: job calls fail UNAVAILABLE until it is reached; retrying");
                up_tx.send_replace(false);
                tokio::spawn(store.clone().migrate_when_reachable(config, tls, up_tx));
                return Ok(store);
            }
            Err(e) => return Err(e),
        }
        let _ = store.migrated.set(());
        // Listening before `open` returns: a change made right after is heard.
        let mut listening = up_tx.subscribe();
        listening.mark_unchanged();
        tokio::spawn(listen(config, tls, store.events.clone(), up_tx));
        let _ = tokio::time::timeout(options.timeout, listening.changed()).await;
        tracing::info!(database = %store.shown, "job store: PostgreSQL");
        Ok(store)
    }

    /// Retries the migrations with backoff (0.5 s doubling to 30 s, with jitter) until the
    /// database is reached, then serves: the store turns ready and starts listening. A
    /// database that refuses them (a newer schema) is logged at each try, the store staying
    /// unready: the replica must not write a schema it does not know.
    async fn migrate_when_reachable(
        self,
        config: tokio_postgres::Config,
        tls: MakeRustlsConnect,
        up: watch::Sender<bool>,
    ) {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .without_max_times();
        // This task's own copy aside, is the store still in use? If not, it stops trying.
        let in_use = |store: &PostgresJobStore| Arc::strong_count(&store.migrated) > 1;
        let migrated = (|| self.migrate())
            .retry(backoff)
            .when(|_| in_use(&self))
            .notify(|e, after| {
                tracing::warn!(database = %self.shown, error = %e, retry_in = ?after, "job database not ready");
            })
            .await;
        if migrated.is_ok() && in_use(&self) {
            let _ = self.migrated.set(());
            tracing::info!(database = %self.shown, "job database reached: job store ready (PostgreSQL)");
            let events = self.events.clone();
            // Listening ends when the last copy of the store is dropped: not this one.
            drop(self);
            listen(config, tls, events, up).await;
        }
    }

    /// A pooled connection; none within the timeout is the database being unreachable, and
    /// so is a database not migrated yet (unreachable at start).
    async fn client(&self) -> Result<deadpool_postgres::Object, JobStoreError> {
        if self.migrated.get().is_none() {
            return Err(JobStoreError::Unavailable(format!(
                "{}: not reached since this replica started",
                self.shown
            )));
        }
        self.connection().await
    }

    /// A pooled connection, ready or not (the migrations take theirs here).
    async fn connection(&self) -> Result<deadpool_postgres::Object, JobStoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| JobStoreError::Unavailable(with_causes(&e)))
    }

    /// Applies the migrations this build carries, unless the database is newer.
    async fn migrate(&self) -> Result<(), JobStoreError> {
        let unreachable = |e: JobStoreError| match e {
            JobStoreError::Unavailable(why) => {
                JobStoreError::Unavailable(format!("{}: {why}", self.shown))
            }
            e => e,
        };
        let mut client = self.connection().await.map_err(unreachable)?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(failed)
            .map_err(unreachable)?;
        let runner = migrations::postgres();
        let latest = migrations::latest(&runner);
        let has_history: bool = client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&migrations::HISTORY_TABLE],
            )
            .await
            .map_err(failed)?
            .get(0);
        let applied: Option<i32> = if has_history {
            client
                .query_one(
                    &format!("SELECT MAX(version) FROM {}", migrations::HISTORY_TABLE),
                    &[],
                )
                .await
                .map_err(failed)?
                .get(0)
        } else {
            None
        };
        let found = i64::from(applied.unwrap_or(0));
        let result = if found > latest {
            Err(JobStoreError::NewerSchema {
                store: format!("--database-url {}", self.shown),
                found,
                supported: latest,
            })
        } else {
            let client: &mut tokio_postgres::Client = &mut client;
            runner
                .run_async(client)
                .await
                .map(|_| ())
                .map_err(|source| JobStoreError::Migration {
                    store: format!("--database-url {}", self.shown),
                    source,
                })
        };
        let _ = client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await;
        result
    }

    /// Writes one upload message in one transaction: its inputs, its numbers (`how`), and the
    /// job's counts.
    async fn write_message(
        &self,
        id: &str,
        message: &UploadMessage<'_>,
        how: NumbersIn,
    ) -> Result<(), JobStoreError> {
        let UploadMessage {
            first,
            inputs,
            invalid,
            ref mobiles,
            ref firsts,
            ref counts,
        } = *message;
        let valid = inputs.len() as i64 - invalid;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let key: i64 = tx
            .query_one("SELECT key FROM jobs WHERE id = $1", &[&id])
            .await
            .map_err(failed)?
            .get(0);
        let sink = tx
            .copy_in(
                "COPY inputs (job_key, idx, input, mobile, cells, line) FROM STDIN (FORMAT binary)",
            )
            .await
            .map_err(failed)?;
        let writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
            ],
        );
        futures::pin_mut!(writer);
        for (offset, new) in inputs.iter().enumerate() {
            let idx = first + offset as i64;
            let mobile = new.mobile.map(|m| m.as_u64() as i64);
            let input = storable(&new.input);
            let cells = cells_text(&new.source.cells);
            let cells = cells.as_deref().map(storable);
            let line = new.source.line.map(to_i64);
            writer
                .as_mut()
                .write(&[&key, &idx, &&*input, &mobile, &cells.as_deref(), &line])
                .await
                .map_err(failed)?;
        }
        writer.finish().await.map_err(failed)?;
        let unique = match how {
            NumbersIn::Copied => {
                let sink = tx
                    .copy_in(
                        "COPY numbers (job_key, mobile, first_idx, occurrences)
                         FROM STDIN (FORMAT binary)",
                    )
                    .await
                    .map_err(failed)?;
                let writer = BinaryCopyInWriter::new(
                    sink,
                    &[Type::INT8, Type::INT8, Type::INT8, Type::INT8],
                );
                futures::pin_mut!(writer);
                for ((mobile, first), count) in mobiles.iter().zip(firsts).zip(counts) {
                    writer
                        .as_mut()
                        .write(&[&key, mobile, first, count])
                        .await
                        .map_err(failed)?;
                }
                let copied = writer.finish().await.map_err(failed)?;
                i64::try_from(copied).unwrap_or(i64::MAX)
            }
            NumbersIn::Merged => {
                // New numbers inserted; a repeat of an earlier message's number is counted
                // on its row below.
                let inserted = tx
                    .execute(
                        "INSERT INTO numbers (job_key, mobile, first_idx, occurrences)
                         SELECT $1, m, f, c FROM UNNEST($2::bigint[], $3::bigint[], $4::bigint[])
                             AS a(m, f, c)
                         ON CONFLICT (job_key, mobile) DO NOTHING",
                        &[&key, mobiles, firsts, counts],
                    )
                    .await
                    .map_err(failed)?;
                // Repeats: their first position is before this message's, where every number
                // just inserted has one inside it.
                tx.execute(
                    "UPDATE numbers n SET occurrences = n.occurrences + a.c
                     FROM UNNEST($2::bigint[], $3::bigint[]) AS a(m, c)
                     WHERE n.job_key = $1 AND n.mobile = a.m AND n.first_idx < $4",
                    &[&key, mobiles, counts, &first],
                )
                .await
                .map_err(failed)?;
                i64::try_from(inserted).unwrap_or(i64::MAX)
            }
        };
        tx.execute(
            "UPDATE jobs SET total = total + $2, invalid = invalid + $3,
                 unique_numbers = unique_numbers + $4, duplicates = duplicates + $5,
                 done = done + $3, updated_ms = $6
             WHERE id = $1",
            &[
                &id,
                &(inputs.len() as i64),
                &invalid,
                &unique,
                &(valid - unique),
                &millis(SystemTime::now()),
            ],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    /// Stores answers this replica never saw (another may have), each in its own statement
    /// committed before any number names it, and learns their ids.
    async fn define_answers(&self, unknown: Vec<Answer>) -> Result<(), JobStoreError> {
        let client = self.client().await?;
        let define = client.prepare_cached(DEFINE_ANSWER).await.map_err(failed)?;
        for answer in unknown {
            let id: i32 = client
                .query_one(
                    &define,
                    &[
                        &answer.status,
                        &storable(&answer.status_name),
                        &storable(&answer.area),
                        &storable(&answer.carrier),
                    ],
                )
                .await
                .map_err(failed)?
                .get(0);
            self.answers.learn([(id, answer)]);
        }
        Ok(())
    }

    /// Reads every row of `answers` (a few hundred): when a result names an id another
    /// replica made.
    async fn read_answers(&self) -> Result<(), JobStoreError> {
        let rows = self
            .client()
            .await?
            .query(READ_ANSWERS, &[])
            .await
            .map_err(failed)?;
        let mut read = Vec::with_capacity(rows.len());
        for r in &rows {
            read.push((
                r.try_get::<_, i32>(0).map_err(failed)?,
                Answer::from_row(
                    r.try_get(1).map_err(failed)?,
                    r.try_get(2).map_err(failed)?,
                    r.try_get(3).map_err(failed)?,
                    r.try_get(4).map_err(failed)?,
                ),
            ));
        }
        self.answers.learn(read);
        Ok(())
    }

    /// Runs `statement` (which returns one row per job changed) and announces each change.
    async fn changed(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<usize, JobStoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "WITH changed AS ({statement} RETURNING id)
                     SELECT pg_notify('{CHANNEL}', 's:' || id) FROM changed"
                ),
                params,
            )
            .await
            .map_err(failed)?;
        Ok(rows.len())
    }

    /// Deletes a job with its inputs and numbers inside `tx`; false when there was none.
    async fn delete_in(
        tx: &tokio_postgres::Transaction<'_>,
        id: &str,
    ) -> Result<bool, JobStoreError> {
        tx.execute(
            "DELETE FROM inputs WHERE job_key = (SELECT key FROM jobs WHERE id = $1)",
            &[&id],
        )
        .await
        .map_err(failed)?;
        tx.execute(
            "DELETE FROM numbers WHERE job_key = (SELECT key FROM jobs WHERE id = $1)",
            &[&id],
        )
        .await
        .map_err(failed)?;
        tx.execute(
            "DELETE FROM job_answers WHERE job_key = (SELECT key FROM jobs WHERE id = $1)",
            &[&id],
        )
        .await
        .map_err(failed)?;
        let deleted = tx
            .execute("DELETE FROM jobs WHERE id = $1", &[&id])
            .await
            .map_err(failed)?;
        if deleted > 0 {
            tx.execute("SELECT pg_notify($1, 's:' || $2)", &[&CHANNEL, &id])
                .await
                .map_err(failed)?;
        }
        Ok(deleted > 0)
    }
}

/// Listens for changes on a connection of its own, for as long as the store exists; while
/// the connection is down, says so (`up`) and sends [`StoreEvent::Missed`] every second.
async fn listen(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    events: broadcast::Sender<StoreEvent>,
    up: watch::Sender<bool>,
) {
    let mut was_up = true;
    while !up.is_closed() {
        if let Ok((client, mut connection)) = config.connect(tls.clone()).await {
            let (tx, mut notes) = mpsc::unbounded_channel();
            let driver = tokio::spawn(async move {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if let AsyncMessage::Notification(note) = message
                        && tx.send(note).is_err()
                    {
                        return;
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_ok()
            {
                if !was_up {
                    tracing::info!("job database reachable again");
                }
                was_up = true;
                up.send_replace(true);
                // What changed while nobody listened is read again.
                let _ = events.send(StoreEvent::Missed);
                let mut ping = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tokio::select! {
                        note = notes.recv() => match note {
                            Some(note) => {
                                let (kind, job) = note.payload().split_once(':').unwrap_or(("s", note.payload()));
                                let _ = events.send(StoreEvent::Changed { job: job.to_owned(), state: kind == "s" });
                            }
                            None => break,
                        },
                        _ = ping.tick() => {
                            // A peer gone without a word is noticed here.
                            let alive = tokio::time::timeout(Duration::from_secs(5), client.simple_query("SELECT 1")).await;
                            if !matches!(alive, Ok(Ok(_))) || up.is_closed() {
                                break;
                            }
                        }
                    }
                }
            }
            driver.abort();
        }
        if was_up {
            tracing::warn!(
                "job database unreachable: job calls fail UNAVAILABLE and running jobs pause until it is back"
            );
            was_up = false;
        }
        up.send_replace(false);
        let _ = events.send(StoreEvent::Missed);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Whether a database that could not be used is one not up yet (nothing listening, no answer
/// in time, or one still starting), worth waiting for, rather than one refusing us (a
/// certificate, a password, a missing database), which stops start-up with its reason.
async fn not_up_yet(config: &tokio_postgres::Config, tls: &MakeRustlsConnect) -> bool {
    let e = match config.connect(tls.clone()).await {
        // Up by now: the next try will do.
        Ok(_) => return true,
        Err(e) => e,
    };
    if let Some(db) = e.as_db_error() {
        return *db.code() == tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(inner) = cause {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
            );
        }
        cause = inner.source();
    }
    false
}

/// Reads a job row (columns as [`SELECT_JOB`] lists them).
fn read_job(r: &Row) -> Result<JobRecord, JobStoreError> {
    let mut by_status = [0u64; 6];
    for (i, slot) in by_status.iter_mut().enumerate() {
        *slot = to_u64(r.get(15 + i));
    }
    let error: Option<String> = r.get(22);
    let at = HOOK_COLUMNS;
    let (callback_url, webhook) = webhook_from(
        r.get(at),
        i64::from(r.get::<_, i16>(at + 1)),
        r.get(at + 2),
        r.get(at + 3),
        r.get(at + 4),
        r.get(at + 5),
        r.get(at + 6),
    );
    Ok(JobRecord {
        id: r.get(0),
        owner: r.get(23),
        name: r.get(1),
        state: JobState::from_db(i64::from(r.get::<_, i16>(2))),
        created_at: from_millis(r.get(3)),
        updated_at: from_millis(r.get(4)),
        finished_at: r.get::<_, Option<i64>>(5).map(from_millis),
        max_age: r
            .get::<_, Option<i64>>(6)
            .map(|ms| Duration::from_millis(to_u64(ms))),
        skip_cache: r.get(7),
        total: to_u64(r.get(8)),
        unique: to_u64(r.get(9)),
        invalid: to_u64(r.get(10)),
        duplicates: to_u64(r.get(11)),
        done: to_u64(r.get(12)),
        billed: to_u64(r.get(13)),
        cache_hits: to_u64(r.get(14)),
        by_status,
        failed: to_u64(r.get(21)),
        error: error.as_deref().map(serde_json::from_str).transpose()?,
        header: cells_from(r.get::<_, Option<&str>>(24))?,
        callback_url,
        webhook,
        max_billed: r.get::<_, Option<i64>>(MAX_BILLED_COLUMN).map(to_u64),
        trace_parent: r.get(TRACE_PARENT_COLUMN),
    })
}

/// PostgreSQL text holds no NUL character; an input holding one is stored with U+FFFD in
/// its place (it is not a valid number either way).
fn storable(input: &str) -> std::borrow::Cow<'_, str> {
    if input.contains('\0') {
        input.replace('\0', "\u{FFFD}").into()
    } else {
        input.into()
    }
}

#[async_trait::async_trait]
impl JobStore for PostgresJobStore {
    async fn create(&self, job: NewJob) -> Result<(), JobStoreError> {
        let now = millis(SystemTime::now());
        let max_age = job.max_age.map(duration_ms);
        let name = storable(&job.name);
        self.client()
            .await?
            .execute(
                "INSERT INTO jobs (id, owner, name, state, created_ms, updated_ms, max_age_ms, skip_cache, header, callback_url, max_billed, request_id, trace_parent)
                 VALUES ($1, $2, $3, 0, $4, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[&job.id, &job.owner, &name, &now, &max_age, &job.skip_cache, &cells_text(&job.header).as_deref().map(storable), &job.callback_url.as_deref().map(storable), &job.max_billed.map(to_i64), &job.request_id.as_deref().map(storable), &job.trace_parent.as_deref().map(storable)],
            )
            .await
            .map_err(|e| match e.code() {
                Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) if job.request_id.is_some() => {
                    JobStoreError::RequestIdTaken(job.request_id.clone().unwrap_or_default())
                }
                _ => failed(e),
            })?;
        Ok(())
    }

    async fn add_inputs(
        &self,
        id: &str,
        first: u64,
        inputs: Vec<NewInput>,
    ) -> Result<(), JobStoreError> {
        // The message's distinct numbers, each with its first position and how often it
        // occurs, in number order (neighbours in the index go in together).
        let first = to_i64(first);
        let mut distinct: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
        let mut invalid = 0i64;
        for (offset, new) in inputs.iter().enumerate() {
            match new.mobile {
                Some(m) => {
                    let seen = distinct
                        .entry(m.as_u64() as i64)
                        .or_insert((first + offset as i64, 0));
                    seen.1 += 1;
                }
                None => invalid += 1,
            }
        }
        let message = UploadMessage {
            first,
            inputs: &inputs,
            invalid,
            mobiles: distinct.keys().copied().collect(),
            firsts: distinct.values().map(|v| v.0).collect(),
            counts: distinct.values().map(|v| v.1).collect(),
        };
        // Most messages repeat no number of an earlier one: their numbers are copied in, the
        // cheapest way in. A repeat breaks the copy's unique key, and the message is written
        // again merging its numbers with those already there.
        match self.write_message(id, &message, NumbersIn::Copied).await {
            Err(JobStoreError::Postgres(e))
                if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) =>
            {
                self.write_message(id, &message, NumbersIn::Merged).await
            }
            written => written,
        }
    }

    async fn transition(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        error: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError> {
        let error = error.map(|e| serde_json::to_string(&*e)).transpose()?;
        let from: Vec<i16> = from.iter().map(|s| *s as i16).collect();
        let changed = self
            .changed(
                "UPDATE jobs SET state = $2, updated_ms = $3, error = $4,
                     finished_ms = CASE WHEN $5 THEN $3::bigint ELSE NULL END
                 WHERE id = $1 AND state = ANY($6)",
                &[
                    &id,
                    &(to as i16),
                    &millis(SystemTime::now()),
                    &error,
                    &to.has_ended(),
                    &from,
                ],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn requeue_running(&self) -> Result<Vec<String>, JobStoreError> {
        // Other replicas may be running them: their leases decide.
        Ok(Vec::new())
    }

    async fn claim(
        &self,
        holder: &str,
        ttl: Duration,
        max: usize,
    ) -> Result<Vec<Lease>, JobStoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "WITH picked AS (
                         SELECT id FROM jobs
                         WHERE state = 1 OR (state = 2 AND lease_expires_ms < {NOW_MS})
                         ORDER BY created_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED),
                     taken AS (
                         UPDATE jobs j SET state = 2, lease_holder = $1,
                             lease_generation = j.lease_generation + 1,
                             lease_expires_ms = {NOW_MS} + $2, updated_ms = {NOW_MS}
                         FROM picked WHERE j.id = picked.id
                         RETURNING j.id, j.lease_generation, j.created_ms)
                     SELECT id, lease_generation, pg_notify('{CHANNEL}', 's:' || id)::text
                     FROM taken ORDER BY created_ms, id"
                ),
                &[&holder, &duration_ms(ttl), &(max as i64)],
            )
            .await
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|r| Lease {
                job: r.get(0),
                holder: holder.to_owned(),
                generation: r.get(1),
            })
            .collect())
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, JobStoreError> {
        let renewed = self
            .client()
            .await?
            .execute(
                &format!("UPDATE jobs SET lease_expires_ms = {NOW_MS} + $4 WHERE {FENCE}"),
                &[
                    &lease.job,
                    &lease.holder,
                    &lease.generation,
                    &duration_ms(ttl),
                ],
            )
            .await
            .map_err(failed)?;
        Ok(renewed > 0)
    }

    async fn release(&self, lease: &Lease) -> Result<bool, JobStoreError> {
        self.finish(lease, JobState::Queued).await
    }

    async fn finish(&self, lease: &Lease, to: JobState) -> Result<bool, JobStoreError> {
        let changed = self
            .changed(
                &format!(
                    "UPDATE jobs SET state = $4, updated_ms = $5, lease_expires_ms = NULL,
                         finished_ms = CASE WHEN $6 THEN $5::bigint ELSE NULL END
                     WHERE {FENCE} AND state = 2"
                ),
                &[
                    &lease.job,
                    &lease.holder,
                    &lease.generation,
                    &(to as i16),
                    &millis(SystemTime::now()),
                    &to.has_ended(),
                ],
            )
            .await?;
        Ok(changed > 0)
    }

    fn events(&self) -> Option<broadcast::Receiver<StoreEvent>> {
        Some(self.events.subscribe())
    }

    fn up(&self) -> Option<watch::Receiver<bool>> {
        Some(self.up.clone())
    }

    async fn pending(
        &self,
        id: &str,
        after: Option<Mobile>,
        limit: usize,
    ) -> Result<Vec<Mobile>, JobStoreError> {
        let after = after.map_or(0, |m| m.as_u64() as i64);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT mobile FROM numbers
                 WHERE job_key = (SELECT key FROM jobs WHERE id = $1) AND mobile > $2
                     AND state = 0
                 ORDER BY mobile LIMIT $3",
                &[&id, &after, &(limit as i64)],
            )
            .await
            .map_err(failed)?;
        Ok(rows
            .iter()
            .filter_map(|r| Mobile::from_u64(to_u64(r.get(0))))
            .collect())
    }

    async fn record(
        &self,
        lease: &Lease,
        answers: Vec<JobAnswer>,
        billed: u64,
        from_cache: bool,
        failed_with: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError> {
        let unknown = self
            .answers
            .unknown(answers.iter().filter_map(JobAnswer::report));
        if !unknown.is_empty() {
            self.define_answers(unknown).await?;
        }
        let mut checked = CheckedColumns::default();
        let (mut failed_mobiles, mut errors) = (Vec::new(), Vec::new());
        for answer in &answers {
            match answer {
                JobAnswer::Checked(mobile, report) => {
                    let id = self
                        .answers
                        .id_of(report)
                        .ok_or(JobStoreError::AnswerUndefined)?;
                    checked.push(*mobile, report, id);
                }
                JobAnswer::Failed(mobile, error) => {
                    failed_mobiles.push(mobile.as_u64() as i64);
                    errors.push(serde_json::to_string(&**error)?);
                }
            }
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let held = tx
            .query_opt(
                &format!("SELECT key FROM jobs WHERE {FENCE} FOR UPDATE"),
                &[&lease.job, &lease.holder, &lease.generation],
            )
            .await
            .map_err(failed)?;
        let Some(held) = held else {
            return Ok(false);
        };
        let key: i64 = held.get(0);
        let id = lease.job.as_str();
        // See the module's notes: a join whose cost does not hang on the statistics.
        tx.batch_execute("SET LOCAL enable_nestloop = off")
            .await
            .map_err(failed)?;
        let mut by_status = [0i64; 6];
        let mut by_answer: HashMap<i32, i64> = Default::default();
        let (mut done, mut hits, mut failed_inputs) = (0i64, 0i64, 0i64);
        let (checked_span, failed_span) = (span_of(&checked.mobiles), span_of(&failed_mobiles));
        if !checked.mobiles.is_empty() {
            let rows = tx
                .query(
                    "UPDATE numbers n SET state = 1, answer = a.answer, checked_ms = a.checked_ms,
                         from_cache = $5
                     FROM UNNEST($2::bigint[], $3::smallint[], $4::integer[], $6::bigint[])
                         AS a(mobile, status, answer, checked_ms)
                     WHERE n.job_key = $1 AND n.mobile BETWEEN $7 AND $8 AND n.mobile = a.mobile
                         AND n.state = 0
                     RETURNING a.status, n.occurrences, a.answer",
                    &[
                        &key,
                        &checked.mobiles,
                        &checked.statuses,
                        &checked.answers,
                        &from_cache,
                        &checked.times,
                        &checked_span.0,
                        &checked_span.1,
                    ],
                )
                .await
                .map_err(failed)?;
            for row in &rows {
                let status: i16 = row.get(0);
                let n: i64 = row.get(1);
                if let Some(slot) = by_status.get_mut(status as usize) {
                    *slot += n;
                }
                *by_answer.entry(row.get::<_, i32>(2)).or_default() += n;
                done += n;
                hits += i64::from(from_cache);
            }
        }
        if !failed_mobiles.is_empty() {
            let rows = tx
                .query(
                    "UPDATE numbers n SET state = 2, error = a.error
                     FROM UNNEST($2::bigint[], $3::text[]) AS a(mobile, error)
                     WHERE n.job_key = $1 AND n.mobile BETWEEN $4 AND $5 AND n.mobile = a.mobile
                         AND n.state = 0
                     RETURNING n.occurrences",
                    &[
                        &key,
                        &failed_mobiles,
                        &errors,
                        &failed_span.0,
                        &failed_span.1,
                    ],
                )
                .await
                .map_err(failed)?;
            for row in &rows {
                let n: i64 = row.get(0);
                failed_inputs += n;
                done += n;
            }
        }
        let now = millis(SystemTime::now());
        tx.execute(
            "UPDATE jobs SET done = done + $2, billed = billed + $3, cache_hits = cache_hits + $4,
                 s_empty = s_empty + $5, s_real = s_real + $6, s_suspended = s_suspended + $7,
                 s_not_in_database = s_not_in_database + $8, s_silent = s_silent + $9,
                 s_risk = s_risk + $10, s_failed = s_failed + $11, updated_ms = $12
             WHERE id = $1",
            &[
                &id,
                &done,
                &(billed as i64),
                &hits,
                &by_status[0],
                &by_status[1],
                &by_status[2],
                &by_status[3],
                &by_status[4],
                &by_status[5],
                &failed_inputs,
                &now,
            ],
        )
        .await
        .map_err(failed)?;
        if !by_answer.is_empty() {
            let (answers, inputs): (Vec<i32>, Vec<i64>) = by_answer.into_iter().unzip();
            tx.execute(
                "INSERT INTO job_answers (job_key, answer, inputs)
                 SELECT $1, a, n FROM UNNEST($2::integer[], $3::bigint[]) AS c(a, n)
                 ON CONFLICT (job_key, answer)
                     DO UPDATE SET inputs = job_answers.inputs + EXCLUDED.inputs",
                &[&key, &answers, &inputs],
            )
            .await
            .map_err(failed)?;
        }
        let kind = if let Some(error) = failed_with {
            let error = serde_json::to_string(&*error)?;
            tx.execute(
                &format!(
                    "UPDATE jobs SET state = 4, error = $4, finished_ms = $5, updated_ms = $5,
                         lease_expires_ms = NULL
                     WHERE {FENCE} AND state = 2"
                ),
                &[&lease.job, &lease.holder, &lease.generation, &error, &now],
            )
            .await
            .map_err(failed)?;
            "s"
        } else {
            "p"
        };
        tx.execute(
            "SELECT pg_notify($1, $2 || ':' || $3)",
            &[&CHANNEL, &kind, &id],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(true)
    }

    async fn resume(&self, id: &str) -> Result<bool, JobStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let from = [
            JobState::Failed as i16,
            JobState::Cancelled as i16,
            JobState::Succeeded as i16,
        ];
        let resumed = tx
            .execute(
                "UPDATE jobs SET state = 1, updated_ms = $2, error = NULL, finished_ms = NULL,
                     hook_state = 0, hook_attempts = 0, hook_next_ms = NULL, hook_last_ms = NULL,
                     hook_last_status = NULL, hook_last_error = NULL
                 WHERE id = $1 AND state = ANY($3)",
                &[&id, &millis(SystemTime::now()), &from.as_slice()],
            )
            .await
            .map_err(failed)?
            > 0;
        if resumed {
            let failed_inputs: i64 = tx
                .query_one(
                    "SELECT COALESCE(SUM(occurrences), 0)::bigint FROM numbers
                     WHERE job_key = (SELECT key FROM jobs WHERE id = $1) AND state = 2",
                    &[&id],
                )
                .await
                .map_err(failed)?
                .get(0);
            tx.execute(
                "UPDATE numbers SET state = 0, error = NULL
                 WHERE job_key = (SELECT key FROM jobs WHERE id = $1) AND state = 2",
                &[&id],
            )
            .await
            .map_err(failed)?;
            tx.execute(
                "UPDATE jobs SET done = done - $2, s_failed = s_failed - $2 WHERE id = $1",
                &[&id, &failed_inputs],
            )
            .await
            .map_err(failed)?;
            tx.execute("SELECT pg_notify($1, 's:' || $2)", &[&CHANNEL, &id])
                .await
                .map_err(failed)?;
        }
        tx.commit().await.map_err(failed)?;
        Ok(resumed)
    }

    async fn get(&self, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("{SELECT_JOB} WHERE id = $1 AND state != 0"),
                &[&id],
            )
            .await
            .map_err(failed)?;
        row.as_ref().map(read_job).transpose()
    }

    async fn list(
        &self,
        owner: &str,
        limit: usize,
        before: Option<(i64, String)>,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        let (ms, id) = before.unwrap_or((i64::MAX, "\u{10FFFF}".to_owned()));
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "{SELECT_JOB} WHERE owner = $4 AND state != 0
                         AND (created_ms < $1 OR (created_ms = $1 AND id < $2))
                     ORDER BY created_ms DESC, id DESC LIMIT $3"
                ),
                &[&ms, &id, &(limit as i64), &owner],
            )
            .await
            .map_err(failed)?;
        rows.iter().map(read_job).collect()
    }

    async fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, JobStoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT state, COUNT(*) FROM jobs WHERE state != 0 GROUP BY state",
                &[],
            )
            .await
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    JobState::from_db(i64::from(r.get::<_, i16>(0))),
                    to_u64(r.get(1)),
                )
            })
            .collect())
    }

    async fn ids_in_state(&self, state: JobState) -> Result<Vec<String>, JobStoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id FROM jobs WHERE state = $1 ORDER BY created_ms, id",
                &[&(state as i16)],
            )
            .await
            .map_err(failed)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn find_request(
        &self,
        owner: &str,
        request_id: &str,
    ) -> Result<Option<RequestedJob>, JobStoreError> {
        let request_id = storable(request_id);
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id, created_ms, list_digest FROM jobs WHERE owner = $1 AND request_id = $2",
                &[&owner, &&*request_id],
            )
            .await
            .map_err(failed)?;
        Ok(row.map(|r| RequestedJob {
            id: r.get(0),
            created_at: from_millis(r.get(1)),
            list_digest: r.get(2),
        }))
    }

    async fn set_list_digest(&self, id: &str, digest: &str) -> Result<(), JobStoreError> {
        self.client()
            .await?
            .execute(
                "UPDATE jobs SET list_digest = $2 WHERE id = $1",
                &[&id, &digest],
            )
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn forget_request_id(&self, id: &str) -> Result<(), JobStoreError> {
        self.client()
            .await?
            .execute("UPDATE jobs SET request_id = NULL WHERE id = $1", &[&id])
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn set_max_billed(&self, id: &str, max_billed: u64) -> Result<bool, JobStoreError> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE jobs SET max_billed = $2 WHERE id = $1",
                &[&id, &to_i64(max_billed)],
            )
            .await
            .map_err(failed)?;
        Ok(changed == 1)
    }

    async fn delete(&self, id: &str) -> Result<bool, JobStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let deleted = Self::delete_in(&tx, id).await?;
        tx.commit().await.map_err(failed)?;
        Ok(deleted)
    }

    async fn delete_ended_before(
        &self,
        cutoff: SystemTime,
        every: Duration,
    ) -> Result<usize, JobStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let now = millis(SystemTime::now());
        // Whoever moves the mark sweeps; the row's lock makes a second replica wait, then
        // find the mark moved.
        let ours = tx
            .query_opt(
                "INSERT INTO sweeps (name, last_ms) VALUES ('retention', $1)
                 ON CONFLICT (name) DO UPDATE SET last_ms = EXCLUDED.last_ms
                     WHERE sweeps.last_ms <= $1 - $2
                 RETURNING 1",
                &[&now, &duration_ms(every)],
            )
            .await
            .map_err(failed)?
            .is_some();
        if !ours {
            return Ok(0);
        }
        // Ended past retention, or an upload nobody finished in a whole sweep period.
        let ids: Vec<String> = tx
            .query(
                "SELECT id FROM jobs
                 WHERE (finished_ms IS NOT NULL AND finished_ms < $1)
                    OR (state = 0 AND updated_ms < $2)",
                &[&millis(cutoff), &(now - duration_ms(every))],
            )
            .await
            .map_err(failed)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in &ids {
            Self::delete_in(&tx, id).await?;
        }
        tx.commit().await.map_err(failed)?;
        Ok(ids.len())
    }

    async fn claim_webhooks(
        &self,
        hold: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        // One statement: a job another replica holds (locked, or held until later) is skipped.
        let sql = format!(
            "UPDATE jobs SET hook_state = 1, hook_next_ms = $2 WHERE id IN (
                 SELECT id FROM jobs WHERE {} ORDER BY hook_next_ms
                 LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING {}",
            HOOKS_DUE.replace("$NOW", "$1"),
            job_columns!()
        );
        let now = millis(SystemTime::now());
        let rows = self
            .client()
            .await?
            .query(&sql, &[&now, &(now + duration_ms(hold)), &(limit as i64)])
            .await
            .map_err(failed)?;
        rows.iter().map(read_job).collect()
    }

    async fn record_webhook(
        &self,
        id: &str,
        attempt: WebhookAttempt,
    ) -> Result<bool, JobStoreError> {
        let error = attempt.error.as_deref().map(storable);
        let changed = self
            .client()
            .await?
            .execute(
                "UPDATE jobs SET hook_state = $2, hook_attempts = hook_attempts + 1,
                     hook_last_ms = $3, hook_last_status = $4, hook_last_error = $5,
                     hook_next_ms = $6
                 WHERE id = $1 AND hook_state = 1",
                &[
                    &id,
                    &(attempt.state as i16),
                    &millis(SystemTime::now()),
                    &i64::from(attempt.status),
                    &error.as_deref(),
                    &attempt.next.map(millis),
                ],
            )
            .await
            .map_err(failed)?;
        Ok(changed > 0)
    }

    async fn results(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredResult>, JobStoreError> {
        let from = to_i64(from);
        let limit = limit as i64;
        let client = self.client().await?;
        let (read_inputs, read_firsts) = futures::try_join!(
            client.prepare_cached(PAGE_INPUTS),
            client.prepare_cached(PAGE_FIRST_NUMBERS)
        )
        .map_err(failed)?;
        // Both reads leave in one round trip: the page's inputs, and the numbers whose first
        // input is in it, read along `numbers_by_first`.
        let page: [&(dyn ToSql + Sync); 3] = [&id, &from, &limit];
        let (inputs, firsts) = futures::try_join!(
            client.query(&read_inputs, &page),
            client.query(&read_firsts, &page)
        )
        .map_err(failed)?;
        let mut numbers = HashMap::with_capacity(firsts.len());
        for row in &firsts {
            numbers.insert(row.try_get::<_, i64>(0).map_err(failed)?, row);
        }
        // Inputs repeating a number first seen before this page: one more read, by key.
        let mut earlier = Vec::new();
        for row in &inputs {
            let mobile: Option<i64> = row.try_get(INPUT_MOBILE).map_err(failed)?;
            if let Some(mobile) = mobile.filter(|m| !numbers.contains_key(m)) {
                earlier.push(mobile);
            }
        }
        let earlier = if earlier.is_empty() {
            Vec::new()
        } else {
            earlier.sort_unstable();
            earlier.dedup();
            let read = client
                .prepare_cached(NUMBERS_BY_MOBILE)
                .await
                .map_err(failed)?;
            client
                .query(&read, &[&id, &earlier])
                .await
                .map_err(failed)?
        };
        for row in &earlier {
            numbers.insert(row.try_get::<_, i64>(0).map_err(failed)?, row);
        }
        let mut joined = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let mobile: Option<i64> = input.try_get(INPUT_MOBILE).map_err(failed)?;
            let number = mobile.and_then(|m| numbers.get(&m).copied());
            joined.push(ResultParts { input, number });
        }
        if !self.answers.knows_all(answer_ids(&joined)?) {
            self.read_answers().await?;
        }
        let mut out = Vec::with_capacity(joined.len());
        for row in &joined {
            out.push(decode_result(id, row, &self.answers)?);
        }
        Ok(out)
    }

    async fn answer_counts(&self, id: &str) -> Result<Vec<AnswerCount>, JobStoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT answer, inputs FROM job_answers
                 WHERE job_key = (SELECT key FROM jobs WHERE id = $1)",
                &[&id],
            )
            .await
            .map_err(failed)?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            counts.push((
                row.try_get::<_, i32>(0).map_err(failed)?,
                row.try_get::<_, i64>(1).map_err(failed)?,
            ));
        }
        if !self.answers.knows_all(counts.iter().map(|c| c.0)) {
            self.read_answers().await?;
        }
        answer_counts_of(id, counts, &self.answers)
    }

    async fn add_usage(&self, rows: &[UsageRow]) -> Result<(), JobStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        let add = tx.prepare_cached(ADD_USAGE).await.map_err(failed)?;
        for row in rows {
            let [billed, hits, invalid, duplicates, calls] = spend_columns(&row.spend);
            let caller = storable(&row.caller);
            tx.execute(
                &add,
                &[
                    &&*caller,
                    &row.day,
                    &billed,
                    &hits,
                    &invalid,
                    &duplicates,
                    &calls,
                ],
            )
            .await
            .map_err(failed)?;
        }
        tx.commit().await.map_err(failed)
    }

    async fn usage(
        &self,
        caller: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageRow>, JobStoreError> {
        let client = self.client().await?;
        let read = client.prepare_cached(READ_USAGE).await.map_err(failed)?;
        let rows = client
            .query(&read, &[&caller, &from, &to])
            .await
            .map_err(failed)?;
        rows.iter()
            .map(|r| {
                let column = |i| r.try_get::<_, i64>(i).map_err(JobStoreError::Postgres);
                Ok(UsageRow {
                    caller: r.try_get(0).map_err(JobStoreError::Postgres)?,
                    day: r.try_get(1).map_err(JobStoreError::Postgres)?,
                    spend: spend_from([column(2)?, column(3)?, column(4)?, column(5)?, column(6)?]),
                })
            })
            .collect()
    }

    async fn reserve_budget(
        &self,
        caller: &str,
        period: &BudgetPeriod,
        limit: u64,
        numbers: u64,
    ) -> Result<BudgetSpent, JobStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(failed)?;
        tx.execute(
            SEED_BUDGET_PERIOD,
            &[&caller, &period.key, &period.first_day, &period.last_day],
        )
        .await
        .map_err(failed)?;
        let period = &period.key;
        // FOR UPDATE: a reservation of another replica for the same row waits for this one's
        // commit and then reads what it left.
        let row = tx
            .query_one(
                "SELECT used, reserved FROM budget_periods WHERE caller = $1 AND period = $2
                 FOR UPDATE",
                &[&caller, &period],
            )
            .await
            .map_err(failed)?;
        let (used, reserved) = (to_u64(row.get(0)), to_u64(row.get(1)));
        let granted = budget_grant(limit, used, reserved, numbers);
        tx.execute(
            "UPDATE budget_periods SET reserved = reserved + $3 WHERE caller = $1 AND period = $2",
            &[&caller, &period, &to_i64(granted)],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(BudgetSpent {
            granted,
            used,
            reserved: reserved + granted,
        })
    }

    async fn settle_budget(
        &self,
        caller: &str,
        period: &str,
        reserved: u64,
        billed: u64,
    ) -> Result<(), JobStoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE budget_periods SET used = used + $4, reserved = GREATEST(reserved - $3, 0)
                 WHERE caller = $1 AND period = $2",
                &[&caller, &period, &to_i64(reserved), &to_i64(billed)],
            )
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn budget_spent(
        &self,
        caller: &str,
        period: &BudgetPeriod,
    ) -> Result<BudgetSpent, JobStoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                BUDGET_SPENT,
                &[&caller, &period.key, &period.first_day, &period.last_day],
            )
            .await
            .map_err(failed)?;
        Ok(BudgetSpent {
            granted: 0,
            used: to_u64(row.get(0)),
            reserved: to_u64(row.get(1)),
        })
    }

    async fn forget_usage_before(&self, day: &str) -> Result<u64, JobStoreError> {
        let client = self.client().await?;
        client
            .execute("DELETE FROM usage_days WHERE day < $1", &[&day])
            .await
            .map_err(failed)
    }

    async fn forget_budget_periods(&self, from: &str, before: &str) -> Result<u64, JobStoreError> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM budget_periods WHERE period >= $1 AND period < $2",
                &[&from, &before],
            )
            .await
            .map_err(failed)
    }
}

/// A page of inputs from `from` on, in input order (the columns [`ResultParts`] reads).
const PAGE_INPUTS: &str = "SELECT idx, input, mobile, cells, line FROM inputs
     WHERE job_key = (SELECT key FROM jobs WHERE id = $1) AND idx >= $2
     ORDER BY idx LIMIT $3";

/// Where an input's number sits in [`PAGE_INPUTS`]'s columns.
const INPUT_MOBILE: usize = 2;

/// The numbers of job `$1`, with the columns of a number's part of a result (the ones
/// [`ResultParts`] reads).
macro_rules! number_columns {
    () => {
        "SELECT mobile, first_idx, CAST(state AS BIGINT), CAST(answer AS BIGINT), checked_ms,
             from_cache, error
         FROM numbers WHERE job_key = (SELECT key FROM jobs WHERE id = $1)"
    };
}

/// The numbers first seen among inputs `$2 .. $2 + $3`.
const PAGE_FIRST_NUMBERS: &str = concat!(
    number_columns!(),
    " AND first_idx >= $2 AND first_idx < $2 + $3"
);

/// The numbers `$2` of a job.
const NUMBERS_BY_MOBILE: &str = concat!(number_columns!(), " AND mobile = ANY($2)");

/// One result read in two parts: the input's row, and its number's (none for an invalid
/// input, or a number not stored).
struct ResultParts<'a> {
    input: &'a Row,
    number: Option<&'a Row>,
}

impl ResultParts<'_> {
    /// Which row holds `column`, and where in it.
    fn place(&self, column: ResultColumn) -> (Option<&Row>, usize) {
        use ResultColumn as C;
        match column {
            C::Index => (Some(self.input), 0),
            C::Input => (Some(self.input), 1),
            C::Mobile => (Some(self.input), INPUT_MOBILE),
            C::Cells => (Some(self.input), 3),
            C::Line => (Some(self.input), 4),
            C::FirstIndex => (self.number, 1),
            C::State => (self.number, 2),
            C::Answer => (self.number, 3),
            C::CheckedMs => (self.number, 4),
            C::FromCache => (self.number, 5),
            C::Error => (self.number, 6),
        }
    }
}

impl DriverRow for ResultParts<'_> {
    fn int(&self, column: ResultColumn) -> Result<Option<i64>, JobStoreError> {
        match self.place(column) {
            (Some(row), at) => row.try_get(at).map_err(JobStoreError::Postgres),
            (None, _) => Ok(None),
        }
    }

    fn text(&self, column: ResultColumn) -> Result<Option<&str>, JobStoreError> {
        match self.place(column) {
            (Some(row), at) => row.try_get(at).map_err(JobStoreError::Postgres),
            (None, _) => Ok(None),
        }
    }

    fn flag(&self, column: ResultColumn) -> Result<bool, JobStoreError> {
        match self.place(column) {
            (Some(row), at) => row.try_get(at).map_err(JobStoreError::Postgres),
            (None, _) => Ok(false),
        }
    }
}

/// One upload message, ready to be written: its inputs from position `first`, and its
/// distinct valid numbers in number order, each with its first position and count.
struct UploadMessage<'a> {
    first: i64,
    inputs: &'a [NewInput],
    invalid: i64,
    mobiles: Vec<i64>,
    firsts: Vec<i64>,
    counts: Vec<i64>,
}

/// How an upload message's numbers go in.
#[derive(Debug, Clone, Copy)]
enum NumbersIn {
    /// Copied: the fast way, refused (unique key) when one is already in the job.
    Copied,
    /// Merged with those already in the job: a repeat counts on the first one's row.
    Merged,
}

/// The lowest and highest of a batch's numbers: the range of the primary key it updates.
fn span_of(mobiles: &[i64]) -> (i64, i64) {
    mobiles
        .iter()
        .fold((i64::MAX, i64::MIN), |(low, high), &m| {
            (low.min(m), high.max(m))
        })
}

/// One batch's checked answers as columns, for `UNNEST`: each number with its answer's id
/// (and its status, which the update returns to count the job's statuses by).
#[derive(Default)]
struct CheckedColumns {
    mobiles: Vec<i64>,
    statuses: Vec<i16>,
    answers: Vec<i32>,
    times: Vec<i64>,
}

impl CheckedColumns {
    fn push(&mut self, mobile: Mobile, report: &CheckedLine, answer: i32) {
        self.mobiles.push(mobile.as_u64() as i64);
        self.statuses
            .push(i16::try_from(report.status.code()).unwrap_or(i16::MAX));
        self.answers.push(answer);
        self.times.push(millis(report.checked_at));
    }
}
