//! The job store: one SQLite database (WAL mode) in `--data-dir`, written by one connection.
//!
//! Three tables: `jobs` (one row per job, with its running counts, so progress is read
//! without scanning), `inputs` (every input of a list in order, with its number when valid),
//! and `numbers` (each distinct valid number of a job once, with its answer once it has one).
//! Results in input order are `inputs` joined to `numbers`. The answers of one upstream batch
//! are written in one transaction as soon as they arrive, so after a crash the numbers still
//! pending are exactly those nobody stored an answer for.
//!
//! Every method is blocking; async callers go through `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::checking::number::Mobile;
use crate::checking::upstream::{LineStatus, NumberReport, UpstreamError};

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    state INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    max_age_ms INTEGER,
    skip_cache INTEGER NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    unique_numbers INTEGER NOT NULL DEFAULT 0,
    invalid INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    billed INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    s_empty INTEGER NOT NULL DEFAULT 0,
    s_real INTEGER NOT NULL DEFAULT 0,
    s_suspended INTEGER NOT NULL DEFAULT 0,
    s_not_in_database INTEGER NOT NULL DEFAULT 0,
    s_silent INTEGER NOT NULL DEFAULT 0,
    s_risk INTEGER NOT NULL DEFAULT 0,
    s_failed INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (owner, created_ms, id);
CREATE TABLE IF NOT EXISTS inputs (
    job TEXT NOT NULL,
    idx INTEGER NOT NULL,
    input TEXT NOT NULL,
    mobile INTEGER,
    PRIMARY KEY (job, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (
    job TEXT NOT NULL,
    mobile INTEGER NOT NULL,
    first_idx INTEGER NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    state INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    status_name TEXT,
    area TEXT,
    carrier TEXT,
    checked_ms INTEGER,
    from_cache INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (job, mobile)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS numbers_pending ON numbers (job, mobile) WHERE state = 0;
";

/// A number's state in `numbers.state` (0, the default, is pending: no answer stored yet).
const ANSWERED: i64 = 1;
const FAILED: i64 = 2;

/// Where a job is in its life; the numbers are what the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Its list is still arriving; invisible to callers, removed at start-up if left over.
    Uploading = 0,
    /// Stored, waiting for its turn.
    Queued = 1,
    /// Being checked.
    Running = 2,
    /// Every input answered.
    Succeeded = 3,
    /// Stopped by an error that dooms later batches.
    Failed = 4,
    /// Stopped by the caller.
    Cancelled = 5,
}

impl JobState {
    /// A lower-case name, as metrics label it.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Uploading => "uploading",
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn from_db(n: i64) -> JobState {
        match n {
            1 => JobState::Queued,
            2 => JobState::Running,
            3 => JobState::Succeeded,
            4 => JobState::Failed,
            5 => JobState::Cancelled,
            _ => JobState::Uploading,
        }
    }

    /// Whether the job has ended (and may be resumed only if it failed or was cancelled).
    pub fn has_ended(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// A job as stored: its description, state and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The id.
    pub id: String,
    /// The name of the API key that created it ("" when the server runs without keys): only
    /// callers with the same key name see it.
    pub owner: String,
    /// The name given at creation.
    pub name: String,
    /// Where it is.
    pub state: JobState,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// When it ended.
    pub finished_at: Option<SystemTime>,
    /// Cache options: the oldest cached answer accepted (`None` = the TTL decides).
    pub max_age: Option<Duration>,
    /// Cache options: ask the upstream even when a fresh answer is cached.
    pub skip_cache: bool,
    /// Inputs.
    pub total: u64,
    /// Distinct valid numbers.
    pub unique: u64,
    /// Invalid inputs.
    pub invalid: u64,
    /// Repeated inputs.
    pub duplicates: u64,
    /// Inputs answered.
    pub done: u64,
    /// Numbers billed.
    pub billed: u64,
    /// Numbers answered from the result cache.
    pub cache_hits: u64,
    /// Inputs answered by line status, in [`LineStatus::ALL`] order.
    pub by_status: [u64; 6],
    /// Inputs whose number failed.
    pub failed: u64,
    /// Why it failed.
    pub error: Option<UpstreamError>,
}

/// One input's stored result, in input order.
#[derive(Debug, Clone)]
pub struct StoredResult {
    /// Position in the list.
    pub index: u64,
    /// The input as given.
    pub input: String,
    /// Its number, when valid.
    pub mobile: Option<Mobile>,
    /// Whether an earlier input held the same number.
    pub duplicate: bool,
    /// What became of it; `None` while its number is pending.
    pub answer: Option<StoredAnswer>,
}

/// What became of a stored input.
#[derive(Debug, Clone)]
pub enum StoredAnswer {
    /// Not a valid number.
    Invalid,
    /// The upstream's answer (`from_cache` when the result cache gave it).
    Checked {
        /// The report.
        report: NumberReport,
        /// Answered from the result cache.
        from_cache: bool,
    },
    /// The number could not be checked.
    Failed(UpstreamError),
}

/// One answer to write: a number and what became of it.
#[derive(Debug)]
pub enum Answer<'a> {
    /// Checked (by the upstream, or from the cache).
    Checked(Mobile, &'a NumberReport),
    /// Failed with this error.
    Failed(Mobile, &'a UpstreamError),
}

/// Why the job store failed.
#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// The data directory could not be created or is not writable.
    #[error("--data-dir {}: {source}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be opened, is not a phonecheck job database, or is damaged.
    #[error("--data-dir {}: the job database cannot be used ({source}); move it away to start afresh", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database was written by a newer phonecheck.
    #[error("--data-dir {}: the job database has schema version {found}, newer than this phonecheck's {SCHEMA_VERSION}", path.display())]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// A query failed (disk full, I/O error…).
    #[error("job database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The blocking task doing store work did not finish.
    #[error("job store worker: {0}")]
    Worker(String),
    /// A stored error could not be read back.
    #[error("job database: a stored error is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// The job database. Cheap to clone; every clone shares the one connection.
#[derive(Debug, Clone)]
pub struct JobStore {
    conn: Arc<Mutex<Connection>>,
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl JobStore {
    /// Opens (creating when missing) `dir/jobs.sqlite3`. A directory that cannot be created
    /// or written, a file that is not a SQLite database, or a damaged one is an error here,
    /// at start-up, before anything else is touched.
    pub fn open(dir: &Path) -> Result<JobStore, JobStoreError> {
        std::fs::create_dir_all(dir).map_err(|source| JobStoreError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("jobs.sqlite3");
        let open_error = |source| JobStoreError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_error)?;
        // Reading the schema fails at once on a file that is not a database.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_error)?;
        if version > SCHEMA_VERSION {
            return Err(JobStoreError::NewerSchema {
                path,
                found: version,
            });
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(open_error)?;
        if check != "ok" {
            return Err(open_error(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            )));
        }
        // WAL: readers do not wait for the writer; NORMAL sync is durable across a process
        // crash (what SIGKILL is), which is what the resume guarantee needs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;
        conn.execute_batch(SCHEMA).map_err(open_error)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(open_error)?;
        let store = JobStore {
            conn: Arc::new(Mutex::new(conn)),
        };
        // Lists whose upload never finished (the server stopped mid-upload) are not jobs.
        for id in store.ids_in_state(JobState::Uploading)? {
            store.delete(&id)?;
        }
        Ok(store)
    }

    /// Runs blocking store work on tokio's blocking threads, with a handle of its own, so
    /// async callers neither block nor clone the store by hand.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&JobStore) -> Result<T, JobStoreError> + Send + 'static,
    ) -> Result<T, JobStoreError> {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || work(&store)).await {
            Ok(result) => result,
            // Only a panic inside `work` (or a runtime shutting down) gets here.
            Err(e) => Err(JobStoreError::Worker(e.to_string())),
        }
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // Every write is one transaction, so a panic elsewhere cannot leave it half done.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a job in the uploading state, owned by the key name `owner`.
    pub fn create(
        &self,
        id: &str,
        owner: &str,
        name: &str,
        max_age: Option<Duration>,
        skip_cache: bool,
    ) -> Result<(), JobStoreError> {
        let now = millis(SystemTime::now());
        self.conn().execute(
            "INSERT INTO jobs (id, owner, name, state, created_ms, updated_ms, max_age_ms, skip_cache)
             VALUES (?1, ?7, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![
                id,
                name,
                JobState::Uploading as i64,
                now,
                max_age.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
                skip_cache,
                owner
            ],
        )?;
        Ok(())
    }

    /// Appends inputs (each with its number when valid) from position `first`, in one
    /// transaction; repeats of a number already in the job count as duplicates.
    pub fn add_inputs(
        &self,
        id: &str,
        first: u64,
        inputs: &[(String, Option<Mobile>)],
    ) -> Result<(), JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (mut invalid, mut unique, mut duplicates) = (0i64, 0i64, 0i64);
        {
            let mut insert_input = tx.prepare_cached(
                "INSERT INTO inputs (job, idx, input, mobile) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut insert_number = tx.prepare_cached(
                "INSERT OR IGNORE INTO numbers (job, mobile, first_idx) VALUES (?1, ?2, ?3)",
            )?;
            let mut repeat = tx.prepare_cached(
                "UPDATE numbers SET occurrences = occurrences + 1 WHERE job = ?1 AND mobile = ?2",
            )?;
            for (offset, (input, mobile)) in inputs.iter().enumerate() {
                let idx = i64::try_from(first + offset as u64).unwrap_or(i64::MAX);
                let stored = mobile.map(|m| m.as_u64() as i64);
                insert_input.execute(params![id, idx, input, stored])?;
                match stored {
                    None => invalid += 1,
                    Some(m) => {
                        if insert_number.execute(params![id, m, idx])? == 1 {
                            unique += 1;
                        } else {
                            repeat.execute(params![id, m])?;
                            duplicates += 1;
                        }
                    }
                }
            }
        }
        tx.execute(
            "UPDATE jobs SET total = total + ?2, invalid = invalid + ?3,
                 unique_numbers = unique_numbers + ?4, duplicates = duplicates + ?5,
                 done = done + ?3, updated_ms = ?6
             WHERE id = ?1",
            params![
                id,
                inputs.len() as i64,
                invalid,
                unique,
                duplicates,
                millis(SystemTime::now())
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Moves a job from one of the states `from` to `to`, stamping when it ended if it did
    /// and recording `error`; false (and nothing changed) when it was in none of them, so
    /// that two hands (a runner finishing, a caller cancelling) never overwrite each other.
    pub fn transition(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        error: Option<&UpstreamError>,
    ) -> Result<bool, JobStoreError> {
        let now = millis(SystemTime::now());
        let error = error.map(serde_json::to_string).transpose()?;
        let states: Vec<String> = from.iter().map(|s| (*s as i64).to_string()).collect();
        let changed = self.conn().execute(
            &format!(
                "UPDATE jobs SET state = ?2, updated_ms = ?3, error = ?4,
                     finished_ms = CASE WHEN ?5 THEN ?3 ELSE NULL END
                 WHERE id = ?1 AND state IN ({})",
                states.join(",")
            ),
            params![id, to as i64, now, error, to.has_ended()],
        )?;
        Ok(changed > 0)
    }

    /// Up to `limit` numbers of the job still pending, above `after` (in number order).
    pub fn pending(
        &self,
        id: &str,
        after: Option<Mobile>,
        limit: usize,
    ) -> Result<Vec<Mobile>, JobStoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT mobile FROM numbers WHERE job = ?1 AND state = 0 AND mobile > ?2
             ORDER BY mobile LIMIT ?3",
        )?;
        let after = after.map_or(0, |m| m.as_u64() as i64);
        let rows = stmt.query_map(params![id, after, limit as i64], |r| r.get::<_, i64>(0))?;
        let mut out = Vec::with_capacity(limit);
        for row in rows {
            if let Some(m) = Mobile::from_u64(to_u64(row?)) {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Writes the answers of one upstream batch (or one cache lookup) in one transaction,
    /// with what it billed and how many came from the cache, and updates the job's counts.
    /// A number already answered is left as it is.
    pub fn record(
        &self,
        id: &str,
        answers: &[Answer<'_>],
        billed: u64,
        from_cache: bool,
    ) -> Result<(), JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut by_status = [0i64; 6];
        let (mut failed, mut done, mut hits) = (0i64, 0i64, 0i64);
        {
            let mut checked = tx.prepare_cached(
                "UPDATE numbers SET state = 1, status = ?3, status_name = ?4, area = ?5,
                     carrier = ?6, checked_ms = ?7, from_cache = ?8
                 WHERE job = ?1 AND mobile = ?2 AND state = 0 RETURNING occurrences",
            )?;
            let mut failure = tx.prepare_cached(
                "UPDATE numbers SET state = 2, error = ?3
                 WHERE job = ?1 AND mobile = ?2 AND state = 0 RETURNING occurrences",
            )?;
            for answer in answers {
                match answer {
                    Answer::Checked(mobile, report) => {
                        let n: Option<i64> = checked
                            .query_row(
                                params![
                                    id,
                                    mobile.as_u64() as i64,
                                    report.status as i64,
                                    &*report.status_name,
                                    &*report.area,
                                    &*report.carrier,
                                    millis(report.checked_at),
                                    from_cache
                                ],
                                |r| r.get(0),
                            )
                            .optional()?;
                        if let Some(n) = n {
                            by_status[report.status as usize] += n;
                            done += n;
                            hits += i64::from(from_cache);
                        }
                    }
                    Answer::Failed(mobile, error) => {
                        let error = serde_json::to_string(error)?;
                        let n: Option<i64> = failure
                            .query_row(params![id, mobile.as_u64() as i64, error], |r| r.get(0))
                            .optional()?;
                        if let Some(n) = n {
                            failed += n;
                            done += n;
                        }
                    }
                }
            }
        }
        tx.execute(
            "UPDATE jobs SET done = done + ?2, billed = billed + ?3, cache_hits = cache_hits + ?4,
                 s_empty = s_empty + ?5, s_real = s_real + ?6, s_suspended = s_suspended + ?7,
                 s_not_in_database = s_not_in_database + ?8, s_silent = s_silent + ?9,
                 s_risk = s_risk + ?10, s_failed = s_failed + ?11, updated_ms = ?12
             WHERE id = ?1",
            params![
                id,
                done,
                billed as i64,
                hits,
                by_status[0],
                by_status[1],
                by_status[2],
                by_status[3],
                by_status[4],
                by_status[5],
                failed,
                millis(SystemTime::now())
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Makes the job's failed numbers pending again (to be checked by a resumed job).
    pub fn retry_failed(&self, id: &str) -> Result<(), JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let failed: i64 = tx.query_row(
            "SELECT COALESCE(SUM(occurrences), 0) FROM numbers WHERE job = ?1 AND state = 2",
            params![id],
            |r| r.get(0),
        )?;
        tx.execute(
            "UPDATE numbers SET state = 0, error = NULL WHERE job = ?1 AND state = 2",
            params![id],
        )?;
        tx.execute(
            "UPDATE jobs SET done = done - ?2, s_failed = s_failed - ?2 WHERE id = ?1",
            params![id, failed],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The job, unless it does not exist (or is still uploading).
    pub fn get(&self, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{SELECT_JOB} WHERE id = ?1 AND state != 0"))?;
        let row = stmt.query_row(params![id], read_job).optional()?;
        row.map(finish_job).transpose()
    }

    /// Up to `limit` of `owner`'s jobs, newest first, older than `before` (created ms, id)
    /// when given.
    pub fn list(
        &self,
        owner: &str,
        limit: usize,
        before: Option<(i64, &str)>,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        let conn = self.conn();
        let (ms, id) = before.unwrap_or((i64::MAX, "\u{10FFFF}"));
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_JOB} WHERE owner = ?4 AND state != 0
                 AND (created_ms < ?1 OR (created_ms = ?1 AND id < ?2))
             ORDER BY created_ms DESC, id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![ms, id, limit as i64, owner], read_job)?;
        rows.map(|r| finish_job(r?)).collect()
    }

    /// How many jobs are in each state (uploads left out).
    pub fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, JobStoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT state, COUNT(*) FROM jobs WHERE state != 0 GROUP BY state")?;
        let rows = stmt.query_map([], |r| {
            Ok((JobState::from_db(r.get(0)?), to_u64(r.get(1)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of the jobs in `state`, oldest first.
    pub fn ids_in_state(&self, state: JobState) -> Result<Vec<String>, JobStoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT id FROM jobs WHERE state = ?1 ORDER BY created_ms, id")?;
        let rows = stmt.query_map(params![state as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a job with its inputs and results; false when there was none.
    pub fn delete(&self, id: &str) -> Result<bool, JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM inputs WHERE job = ?1", params![id])?;
        tx.execute("DELETE FROM numbers WHERE job = ?1", params![id])?;
        let deleted = tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    /// Ids of jobs that ended before `cutoff`: their retention has passed.
    pub fn ended_before(&self, cutoff: SystemTime) -> Result<Vec<String>, JobStoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM jobs WHERE finished_ms IS NOT NULL AND finished_ms < ?1",
        )?;
        let rows = stmt.query_map(params![millis(cutoff)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` results in input order from input `from`; stops early at the first input
    /// whose number is still pending, so what is returned is a complete prefix.
    pub fn results(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredResult>, JobStoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT i.idx, i.input, i.mobile, n.first_idx, n.state, n.status, n.status_name,
                    n.area, n.carrier, n.checked_ms, n.from_cache, n.error
             FROM inputs i LEFT JOIN numbers n ON n.job = i.job AND n.mobile = i.mobile
             WHERE i.job = ?1 AND i.idx >= ?2 ORDER BY i.idx LIMIT ?3",
        )?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![id, from, limit as i64])?;
        let mut out = Vec::with_capacity(limit);
        while let Some(row) = rows.next()? {
            let index = to_u64(row.get(0)?);
            let input: String = row.get(1)?;
            let mobile = row
                .get::<_, Option<i64>>(2)?
                .and_then(|m| Mobile::from_u64(to_u64(m)));
            let Some(mobile) = mobile else {
                out.push(StoredResult {
                    index,
                    input,
                    mobile: None,
                    duplicate: false,
                    answer: Some(StoredAnswer::Invalid),
                });
                continue;
            };
            let first: i64 = row.get(3)?;
            let answer = match row.get::<_, i64>(4)? {
                ANSWERED => {
                    let status = LineStatus::from_code(row.get(5)?).unwrap_or(LineStatus::Real);
                    let text = |i| -> rusqlite::Result<std::sync::Arc<str>> {
                        Ok(crate::checking::upstream::intern(&row.get::<_, String>(i)?))
                    };
                    Some(StoredAnswer::Checked {
                        report: NumberReport {
                            status,
                            status_name: text(6)?,
                            area: text(7)?,
                            carrier: text(8)?,
                            checked_at: from_millis(row.get(9)?),
                        },
                        from_cache: row.get(10)?,
                    })
                }
                FAILED => {
                    let error: String = row.get(11)?;
                    Some(StoredAnswer::Failed(serde_json::from_str(&error)?))
                }
                // Pending: the prefix of answered inputs ends here.
                _ => None,
            };
            if answer.is_none() {
                break;
            }
            out.push(StoredResult {
                index,
                input,
                mobile: Some(mobile),
                duplicate: to_u64(first) != index,
                answer,
            });
        }
        Ok(out)
    }
}

const SELECT_JOB: &str = "SELECT id, name, state, created_ms, updated_ms, finished_ms, max_age_ms,
    skip_cache, total, unique_numbers, invalid, duplicates, done, billed, cache_hits, s_empty,
    s_real, s_suspended, s_not_in_database, s_silent, s_risk, s_failed, error, owner FROM jobs";

/// A job row, with its error still as stored text.
type JobRow = (JobRecord, Option<String>);

fn read_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    let mut by_status = [0u64; 6];
    for (i, slot) in by_status.iter_mut().enumerate() {
        *slot = to_u64(r.get(15 + i)?);
    }
    Ok((
        JobRecord {
            id: r.get(0)?,
            owner: r.get(23)?,
            name: r.get(1)?,
            state: JobState::from_db(r.get(2)?),
            created_at: from_millis(r.get(3)?),
            updated_at: from_millis(r.get(4)?),
            finished_at: r.get::<_, Option<i64>>(5)?.map(from_millis),
            max_age: r
                .get::<_, Option<i64>>(6)?
                .map(|ms| Duration::from_millis(to_u64(ms))),
            skip_cache: r.get(7)?,
            total: to_u64(r.get(8)?),
            unique: to_u64(r.get(9)?),
            invalid: to_u64(r.get(10)?),
            duplicates: to_u64(r.get(11)?),
            done: to_u64(r.get(12)?),
            billed: to_u64(r.get(13)?),
            cache_hits: to_u64(r.get(14)?),
            by_status,
            failed: to_u64(r.get(21)?),
            error: None,
        },
        r.get(22)?,
    ))
}

fn finish_job((mut job, error): JobRow) -> Result<JobRecord, JobStoreError> {
    job.error = error.as_deref().map(serde_json::from_str).transpose()?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::upstream::intern;

    fn mobile(n: u64) -> Mobile {
        Mobile::from_u64(13_900_000_000 + n).expect("valid")
    }

    fn report(status: LineStatus) -> NumberReport {
        NumberReport {
            status,
            status_name: intern(status.label()),
            area: intern("北京"),
            carrier: intern("中国移动"),
            checked_at: SystemTime::now(),
        }
    }

    fn store_with(inputs: &[(String, Option<Mobile>)]) -> (tempfile::TempDir, JobStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = JobStore::open(dir.path()).expect("open");
        store.create("j", "", "test", None, false).expect("create");
        store.add_inputs("j", 0, inputs).expect("inputs");
        assert!(
            store
                .transition("j", &[JobState::Uploading], JobState::Queued, None)
                .expect("queue")
        );
        (dir, store)
    }

    #[test]
    fn answers_count_once_per_input_and_never_twice() {
        let inputs = vec![
            ("a".to_owned(), Some(mobile(1))),
            ("junk".to_owned(), None),
            ("b".to_owned(), Some(mobile(1))),
            ("c".to_owned(), Some(mobile(2))),
        ];
        let (_dir, store) = store_with(&inputs);
        let job = store.get("j").unwrap().unwrap();
        assert_eq!(
            (job.total, job.unique, job.invalid, job.duplicates),
            (4, 2, 1, 1)
        );
        assert_eq!(job.done, 1, "the invalid input is answered at once");

        let real = report(LineStatus::Real);
        store
            .record("j", &[Answer::Checked(mobile(1), &real)], 1, false)
            .unwrap();
        // The same answer again (a retried write) changes nothing.
        store
            .record("j", &[Answer::Checked(mobile(1), &real)], 0, false)
            .unwrap();
        let job = store.get("j").unwrap().unwrap();
        assert_eq!(job.done, 3);
        assert_eq!(job.by_status[LineStatus::Real as usize], 2);
        assert_eq!(job.billed, 1);

        // Results stop at the first input still pending.
        let results = store.results("j", 0, 100).unwrap();
        assert_eq!(results.len(), 3);
        assert!(results[2].duplicate && !results[0].duplicate);
        assert_eq!(store.pending("j", None, 10).unwrap(), vec![mobile(2)]);

        let gone = UpstreamError::Connect("reset".to_owned());
        store
            .record("j", &[Answer::Failed(mobile(2), &gone)], 0, false)
            .unwrap();
        let job = store.get("j").unwrap().unwrap();
        assert_eq!((job.done, job.failed), (4, 1));
        assert!(matches!(
            store.results("j", 3, 10).unwrap()[0].answer,
            Some(StoredAnswer::Failed(UpstreamError::Connect(_)))
        ));

        // Retrying failed numbers makes them pending and takes them out of the counts.
        store.retry_failed("j").unwrap();
        let job = store.get("j").unwrap().unwrap();
        assert_eq!((job.done, job.failed), (3, 0));
        assert_eq!(store.pending("j", None, 10).unwrap(), vec![mobile(2)]);
    }

    #[test]
    fn transitions_happen_only_from_the_states_given() {
        let (_dir, store) = store_with(&[("a".to_owned(), Some(mobile(1)))]);
        assert!(
            store
                .transition("j", &[JobState::Queued], JobState::Running, None)
                .unwrap()
        );
        assert!(
            store
                .transition("j", &[JobState::Running], JobState::Cancelled, None)
                .unwrap()
        );
        // A runner finishing late does not overwrite the cancel.
        assert!(
            !store
                .transition("j", &[JobState::Running], JobState::Succeeded, None)
                .unwrap()
        );
        let job = store.get("j").unwrap().unwrap();
        assert_eq!(job.state, JobState::Cancelled);
        assert!(job.finished_at.is_some());
    }

    #[test]
    fn only_jobs_that_ended_before_the_cutoff_are_past_retention() {
        let (_dir, store) = store_with(&[("a".to_owned(), Some(mobile(1)))]);
        let later = SystemTime::now() + Duration::from_secs(60);
        assert!(
            store.ended_before(later).unwrap().is_empty(),
            "still queued"
        );
        store
            .transition("j", &[JobState::Queued], JobState::Cancelled, None)
            .unwrap();
        assert_eq!(store.ended_before(later).unwrap(), ["j"]);
        let earlier = SystemTime::now() - Duration::from_secs(60);
        assert!(store.ended_before(earlier).unwrap().is_empty());
        assert!(store.delete("j").unwrap());
        assert!(store.get("j").unwrap().is_none());
        assert!(!store.delete("j").unwrap());
    }

    #[test]
    fn an_upload_left_unfinished_is_gone_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        store.create("half", "", "half", None, false).unwrap();
        store
            .add_inputs("half", 0, &[("a".to_owned(), Some(mobile(1)))])
            .unwrap();
        drop(store);
        let store = JobStore::open(dir.path()).unwrap();
        assert!(store.get("half").unwrap().is_none());
        assert!(store.list("", 10, None).unwrap().is_empty());
        assert!(store.results("half", 0, 10).unwrap().is_empty());
    }
}
