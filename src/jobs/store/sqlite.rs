//! The job store: one SQLite database (WAL mode) in `--data-dir`, written by one connection.
//!
//! The schema is the migrations in `migrations/sqlite`. The job tables: `jobs` (one row per
//! job, with its running counts, so progress is read without scanning), `inputs` (every input
//! of a list in order, with its number when valid), `numbers` (each distinct valid number of a
//! job once, with its answer's id once it has one), `answers` (each distinct answer once) and
//! `job_answers` (a job's answered inputs by answer).
//! Results in input order are `inputs` joined to `numbers`. The answers of one upstream batch
//! are written in one transaction as soon as they arrive, so after a crash the numbers still
//! pending are exactly those nobody stored an answer for.
//!
//! Writes go through one connection; reads (progress, pages, results) through a second one,
//! so in WAL mode a download or a watcher never waits for a batch being written. Every query
//! is blocking: the [`JobStore`] methods run them on tokio's blocking threads.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, MutexGuard};
use rusqlite::{Connection, OptionalExtension, params};

use super::answers::{Answer, AnswerIds, DEFINE_ANSWER, READ_ANSWERS};
use super::{
    ADD_USAGE, BUDGET_SPENT, BudgetPeriod, BudgetSpent, READ_USAGE, RequestedJob,
    SEED_BUDGET_PERIOD, UsageRow, budget_grant, spend_columns, spend_from,
};
use super::{AnswerCount, answer_counts_of};
use super::{
    DriverRow, HOOK_COLUMNS, HOOKS_DUE, MAX_BILLED_COLUMN, ResultColumn, TRACE_PARENT_COLUMN,
    WebhookAttempt, WebhookRecord, decode_result, result_columns, webhook_from,
};
use super::{
    JobAnswer, JobRecord, JobState, JobStore, JobStoreError, Lease, NewInput, NewJob, SELECT_JOB,
    StoreEvent, StoredResult, cells_from, cells_text, duration_ms, from_millis, migrations, millis,
    to_i64, to_u64,
};
use crate::checking::number::Mobile;
use crate::checking::upstream::UpstreamError;

/// The job database in `--data-dir`. Cheap to clone; every clone shares the connections.
#[derive(Debug, Clone)]
pub struct SqliteJobStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    /// The `answers` table, read whole at open: only this process adds to it.
    answers: Arc<AnswerIds>,
}

impl SqliteJobStore {
    /// Opens (creating when missing) `dir/jobs.sqlite3`. A directory that cannot be created
    /// or written, a file that is not a SQLite database, or a damaged one is an error here,
    /// at start-up, before anything else is touched.
    pub fn open(dir: &Path) -> Result<SqliteJobStore, JobStoreError> {
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
        let runner = migrations::sqlite();
        let latest = migrations::latest(&runner);
        // No history table: a database from before versioned migrations, or a new one.
        let has_history: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [migrations::HISTORY_TABLE],
                |r| r.get(0),
            )
            .map_err(open_error)?;
        let applied: Option<i64> = if has_history {
            conn.query_row(
                &format!("SELECT MAX(version) FROM {}", migrations::HISTORY_TABLE),
                [],
                |r| r.get(0),
            )
            .map_err(open_error)?
        } else {
            None
        };
        let found = version.max(applied.unwrap_or(0));
        if found > latest {
            return Err(JobStoreError::NewerSchema {
                store: format!("--data-dir {}", dir.display()),
                found,
                supported: latest,
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
        // WAL: the reader connection does not wait for the writer; NORMAL sync is durable
        // across a process crash (what SIGKILL is), which is what the resume guarantee needs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;
        let mut conn = conn;
        runner
            .run(&mut conn)
            .map_err(|source| JobStoreError::Migration {
                store: format!("--data-dir {}", dir.display()),
                source,
            })?;
        // Phonecheck before versioned migrations read only this: it refuses what it does not
        // know instead of writing into a schema it would misread.
        conn.pragma_update(None, "user_version", latest)
            .map_err(open_error)?;
        let reader = Connection::open(&path).map_err(open_error)?;
        reader
            .busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;
        reader
            .pragma_update(None, "query_only", true)
            .map_err(open_error)?;
        let answers = AnswerIds::default();
        answers.learn(read_answers(&conn)?);
        let store = SqliteJobStore {
            writer: Arc::new(Mutex::new(conn)),
            reader: Arc::new(Mutex::new(reader)),
            answers: Arc::new(answers),
        };
        // Lists whose upload never finished (the server stopped mid-upload) are not jobs.
        for id in store.ids_in_state(JobState::Uploading)? {
            store.delete(&id)?;
        }
        Ok(store)
    }

    /// Runs blocking store work on tokio's blocking threads, with a handle of its own, so
    /// async callers neither block nor clone the store by hand.
    async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SqliteJobStore) -> Result<T, JobStoreError> + Send + 'static,
    ) -> Result<T, JobStoreError> {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || work(&store)).await {
            Ok(result) => result,
            // Only a panic inside `work` (or a runtime shutting down) gets here.
            Err(e) => Err(JobStoreError::Worker(e.to_string())),
        }
    }

    /// The connection that writes; every write is one transaction.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock()
    }

    /// The connection that only reads, beside the writer.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock()
    }

    /// Creates a job in the uploading state, owned by the key name `owner`.
    fn create(&self, job: &NewJob) -> Result<(), JobStoreError> {
        let now = millis(SystemTime::now());
        let inserted = self.conn().execute(
            "INSERT INTO jobs (id, owner, name, state, created_ms, updated_ms, max_age_ms, skip_cache, header, callback_url, max_billed, request_id, trace_parent)
             VALUES (?1, ?7, ?2, ?3, ?4, ?4, ?5, ?6, ?8, ?9, ?10, ?11, ?12)",
            params![
                job.id,
                job.name,
                JobState::Uploading as i64,
                now,
                job.max_age.map(duration_ms),
                job.skip_cache,
                job.owner,
                cells_text(&job.header),
                job.callback_url,
                job.max_billed.map(to_i64),
                job.request_id,
                job.trace_parent
            ],
        );
        match inserted {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && job.request_id.is_some() =>
            {
                Err(JobStoreError::RequestIdTaken(
                    job.request_id.clone().unwrap_or_default(),
                ))
            }
            Err(e) => Err(e.into()),
            Ok(_) => Ok(()),
        }
    }

    /// Appends inputs (each with its number when valid) from position `first`, in one
    /// transaction; repeats of a number already in the job count as duplicates.
    fn add_inputs(&self, id: &str, first: u64, inputs: &[NewInput]) -> Result<(), JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (mut invalid, mut unique, mut duplicates) = (0i64, 0i64, 0i64);
        {
            let mut insert_input = tx.prepare_cached(
                "INSERT INTO inputs (job, idx, input, mobile, cells, line)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_number = tx.prepare_cached(
                "INSERT OR IGNORE INTO numbers (job, mobile, first_idx) VALUES (?1, ?2, ?3)",
            )?;
            let mut repeat = tx.prepare_cached(
                "UPDATE numbers SET occurrences = occurrences + 1 WHERE job = ?1 AND mobile = ?2",
            )?;
            for (offset, new) in inputs.iter().enumerate() {
                let idx = to_i64(first + offset as u64);
                let stored = new.mobile.map(|m| m.as_u64() as i64);
                insert_input.execute(params![
                    id,
                    idx,
                    new.input,
                    stored,
                    cells_text(&new.source.cells),
                    new.source.line.map(to_i64),
                ])?;
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
    fn transition(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        error: Option<&UpstreamError>,
    ) -> Result<bool, JobStoreError> {
        transition_on(&self.conn(), id, from, to, error)
    }

    /// Up to `limit` numbers of the job still pending, above `after` (in number order).
    fn pending(
        &self,
        id: &str,
        after: Option<Mobile>,
        limit: usize,
    ) -> Result<Vec<Mobile>, JobStoreError> {
        let conn = self.reader();
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
    fn record(
        &self,
        lease: &Lease,
        answers: &[JobAnswer],
        billed: u64,
        from_cache: bool,
        fail_with: Option<&UpstreamError>,
    ) -> Result<bool, JobStoreError> {
        let mut conn = self.conn();
        let unknown = self
            .answers
            .unknown(answers.iter().filter_map(JobAnswer::report));
        if !unknown.is_empty() {
            self.answers.learn(define_answers(&mut conn, unknown)?);
        }
        let tx = conn.transaction()?;
        if !holds(&tx, lease)? {
            return Ok(false);
        }
        let id = lease.job.as_str();
        let mut by_status = [0i64; 6];
        let mut by_answer: std::collections::HashMap<i32, i64> = Default::default();
        let (mut failed, mut done, mut hits) = (0i64, 0i64, 0i64);
        {
            let mut checked = tx.prepare_cached(
                "UPDATE numbers SET state = 1, answer = ?3, checked_ms = ?4, from_cache = ?5
                 WHERE job = ?1 AND mobile = ?2 AND state = 0 RETURNING occurrences",
            )?;
            let mut failure = tx.prepare_cached(
                "UPDATE numbers SET state = 2, error = ?3
                 WHERE job = ?1 AND mobile = ?2 AND state = 0 RETURNING occurrences",
            )?;
            for answer in answers {
                match answer {
                    JobAnswer::Checked(mobile, report) => {
                        let answer = self
                            .answers
                            .id_of(report)
                            .ok_or(JobStoreError::AnswerUndefined)?;
                        let n: Option<i64> = checked
                            .query_row(
                                params![
                                    id,
                                    mobile.as_u64() as i64,
                                    answer,
                                    millis(report.checked_at),
                                    from_cache
                                ],
                                |r| r.get(0),
                            )
                            .optional()?;
                        if let Some(n) = n {
                            by_status[report.status as usize] += n;
                            *by_answer.entry(answer).or_default() += n;
                            done += n;
                            hits += i64::from(from_cache);
                        }
                    }
                    JobAnswer::Failed(mobile, error) => {
                        let error = serde_json::to_string(&**error)?;
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
        {
            let mut count = tx.prepare_cached(
                "INSERT INTO job_answers (job, answer, inputs) VALUES (?1, ?2, ?3)
                 ON CONFLICT (job, answer) DO UPDATE SET inputs = inputs + excluded.inputs",
            )?;
            for (answer, n) in &by_answer {
                count.execute(params![id, answer, n])?;
            }
        }
        if let Some(error) = fail_with {
            finish_on(&tx, lease, JobState::Failed, Some(error))?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Claims up to `max` queued jobs, or running ones whose lease expired, oldest first.
    fn claim(&self, holder: &str, ttl: Duration, max: usize) -> Result<Vec<Lease>, JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = millis(SystemTime::now());
        let ids: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM jobs WHERE state = 1 OR (state = 2 AND lease_expires_ms < ?1)
                 ORDER BY created_ms, id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now, max as i64], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut leases = Vec::with_capacity(ids.len());
        {
            let mut take = tx.prepare_cached(
                "UPDATE jobs SET state = 2, lease_holder = ?2,
                     lease_generation = lease_generation + 1, lease_expires_ms = ?3,
                     updated_ms = ?4
                 WHERE id = ?1 RETURNING lease_generation",
            )?;
            for job in ids {
                let generation: i64 = take
                    .query_row(params![job, holder, now + duration_ms(ttl), now], |r| {
                        r.get(0)
                    })?;
                leases.push(Lease {
                    job,
                    holder: holder.to_owned(),
                    generation,
                });
            }
        }
        tx.commit()?;
        Ok(leases)
    }

    /// Extends a lease still held.
    fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, JobStoreError> {
        let now = millis(SystemTime::now());
        let changed = self.conn().execute(
            &format!("UPDATE jobs SET lease_expires_ms = ?4 WHERE {FENCE}"),
            params![
                lease.job,
                lease.holder,
                lease.generation,
                now + duration_ms(ttl)
            ],
        )?;
        Ok(changed > 0)
    }

    /// Makes the job's failed numbers pending again (to be checked by a resumed job).
    fn retry_failed(&self, id: &str) -> Result<(), JobStoreError> {
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
    fn get(&self, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached(&format!("{SELECT_JOB} WHERE id = ?1 AND state != 0"))?;
        let row = stmt.query_row(params![id], read_job).optional()?;
        row.map(finish_job).transpose()
    }

    /// Up to `limit` of `owner`'s jobs, newest first, older than `before` (created ms, id)
    /// when given.
    fn list(
        &self,
        owner: &str,
        limit: usize,
        before: Option<(i64, &str)>,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        let conn = self.reader();
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
    fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, JobStoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT state, COUNT(*) FROM jobs WHERE state != 0 GROUP BY state")?;
        let rows = stmt.query_map([], |r| {
            Ok((JobState::from_db(r.get(0)?), to_u64(r.get(1)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of the jobs in `state`, oldest first.
    fn ids_in_state(&self, state: JobState) -> Result<Vec<String>, JobStoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT id FROM jobs WHERE state = ?1 ORDER BY created_ms, id")?;
        let rows = stmt.query_map(params![state as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a job with its inputs and results; false when there was none.
    fn delete(&self, id: &str) -> Result<bool, JobStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM inputs WHERE job = ?1", params![id])?;
        tx.execute("DELETE FROM numbers WHERE job = ?1", params![id])?;
        tx.execute("DELETE FROM job_answers WHERE job = ?1", params![id])?;
        let deleted = tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    /// Ids of jobs that ended before `cutoff`: their retention has passed.
    fn ended_before(&self, cutoff: SystemTime) -> Result<Vec<String>, JobStoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM jobs WHERE finished_ms IS NOT NULL AND finished_ms < ?1",
        )?;
        let rows = stmt.query_map(params![millis(cutoff)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` results in input order from input `from`; stops early at the first input
    /// whose number is still pending, so what is returned is a complete prefix.
    fn results(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredResult>, JobStoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(concat!(
            "SELECT ",
            result_columns!(),
            " FROM inputs i LEFT JOIN numbers n ON n.job = i.job AND n.mobile = i.mobile
             WHERE i.job = ?1 AND i.idx >= ?2 ORDER BY i.idx LIMIT ?3"
        ))?;
        let from = to_i64(from);
        let mut rows = stmt.query(params![id, from, limit as i64])?;
        let mut out = Vec::with_capacity(limit);
        while let Some(row) = rows.next()? {
            out.push(decode_result(id, row, &self.answers)?);
        }
        Ok(out)
    }
}

impl SqliteJobStore {
    /// The job's counts by answer (see [`JobStore::answer_counts`]).
    fn answer_counts(&self, id: &str) -> Result<Vec<AnswerCount>, JobStoreError> {
        let conn = self.reader();
        let mut read =
            conn.prepare_cached("SELECT answer, inputs FROM job_answers WHERE job = ?1")?;
        let counts = read
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        answer_counts_of(id, counts, &self.answers)
    }
}

/// Every row of `answers`.
fn read_answers(conn: &Connection) -> Result<Vec<(i32, Answer)>, JobStoreError> {
    let mut read = conn.prepare(READ_ANSWERS)?;
    let rows = read.query_map([], |r| {
        Ok((
            r.get::<_, i32>(0)?,
            Answer::from_row(
                r.get(1)?,
                r.get_ref(2)?.as_str()?,
                r.get_ref(3)?.as_str()?,
                r.get_ref(4)?.as_str()?,
            ),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores answers never seen before, in their own transaction (committed before any number
/// names them), and gives their ids.
fn define_answers(
    conn: &mut Connection,
    unknown: Vec<Answer>,
) -> Result<Vec<(i32, Answer)>, JobStoreError> {
    let tx = conn.transaction()?;
    let mut defined = Vec::with_capacity(unknown.len());
    {
        let mut define = tx.prepare_cached(DEFINE_ANSWER)?;
        for answer in unknown {
            let id: i32 = define.query_row(
                params![
                    answer.status,
                    &*answer.status_name,
                    &*answer.area,
                    &*answer.carrier
                ],
                |r| r.get(0),
            )?;
            defined.push((id, answer));
        }
    }
    tx.commit()?;
    Ok(defined)
}

/// A job row, with its error and header still as stored text.
type JobRow = (JobRecord, Option<String>, Option<String>);

impl DriverRow for rusqlite::Row<'_> {
    fn int(&self, column: ResultColumn) -> Result<Option<i64>, JobStoreError> {
        Ok(self.get(column as usize)?)
    }

    fn text(&self, column: ResultColumn) -> Result<Option<&str>, JobStoreError> {
        let i = column as usize;
        self.get_ref(i)?.as_str_or_null().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
                .into()
        })
    }

    fn flag(&self, column: ResultColumn) -> Result<bool, JobStoreError> {
        Ok(self.get(column as usize)?)
    }
}

fn read_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    let mut by_status = [0u64; 6];
    for (i, slot) in by_status.iter_mut().enumerate() {
        *slot = to_u64(r.get(15 + i)?);
    }
    let (callback_url, webhook) = read_webhook(r)?;
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
            header: Vec::new(),
            callback_url,
            webhook,
            max_billed: r.get::<_, Option<i64>>(MAX_BILLED_COLUMN)?.map(to_u64),
            trace_parent: r.get(TRACE_PARENT_COLUMN)?,
        },
        r.get(22)?,
        r.get(24)?,
    ))
}

/// A job row's webhook columns.
fn read_webhook(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(Option<String>, Option<WebhookRecord>)> {
    let at = HOOK_COLUMNS;
    Ok(webhook_from(
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
        r.get(at + 6)?,
    ))
}

fn finish_job((mut job, error, header): JobRow) -> Result<JobRecord, JobStoreError> {
    job.error = error.as_deref().map(serde_json::from_str).transpose()?;
    job.header = cells_from(header.as_deref())?;
    Ok(job)
}

/// The condition every fenced write checks: the job runs under this very lease
/// (`?1` job, `?2` holder, `?3` generation).
/// A job its runner failed stays fenced to it: the batches it still had out are stored.
const FENCE: &str = "id = ?1 AND state IN (2, 4) AND lease_holder = ?2 AND lease_generation = ?3";

/// Whether `lease` is still held, read inside the transaction about to write under it.
fn holds(conn: &Connection, lease: &Lease) -> Result<bool, JobStoreError> {
    let held = conn
        .prepare_cached(&format!("SELECT 1 FROM jobs WHERE {FENCE}"))?
        .exists(params![lease.job, lease.holder, lease.generation])?;
    Ok(held)
}

/// Moves a leased job to `to` (queued again, or ended) and lets go of the lease; false when
/// the lease was no longer held.
fn finish_on(
    conn: &Connection,
    lease: &Lease,
    to: JobState,
    error: Option<&UpstreamError>,
) -> Result<bool, JobStoreError> {
    let now = millis(SystemTime::now());
    let error = error.map(serde_json::to_string).transpose()?;
    let changed = conn.execute(
        &format!(
            "UPDATE jobs SET state = ?4, updated_ms = ?5, error = ?6,
                 finished_ms = CASE WHEN ?7 THEN ?5 ELSE NULL END, lease_expires_ms = NULL
             WHERE {FENCE} AND state = 2"
        ),
        params![
            lease.job,
            lease.holder,
            lease.generation,
            to as i64,
            now,
            error,
            to.has_ended()
        ],
    )?;
    Ok(changed > 0)
}

/// The guarded transition of [`SqliteJobStore::transition`], on `conn` (a connection or an
/// open transaction).
fn transition_on(
    conn: &Connection,
    id: &str,
    from: &[JobState],
    to: JobState,
    error: Option<&UpstreamError>,
) -> Result<bool, JobStoreError> {
    let now = millis(SystemTime::now());
    let error = error.map(serde_json::to_string).transpose()?;
    let states: Vec<String> = from.iter().map(|s| (*s as i64).to_string()).collect();
    let changed = conn.execute(
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

#[async_trait::async_trait]
impl JobStore for SqliteJobStore {
    async fn create(&self, job: NewJob) -> Result<(), JobStoreError> {
        self.call(move |db| db.create(&job)).await
    }

    async fn add_inputs(
        &self,
        id: &str,
        first: u64,
        inputs: Vec<NewInput>,
    ) -> Result<(), JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.add_inputs(&id, first, &inputs))
            .await
    }

    async fn transition(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        error: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError> {
        let (id, from) = (id.to_owned(), from.to_vec());
        self.call(move |db| db.transition(&id, &from, to, error.as_deref()))
            .await
    }

    async fn requeue_running(&self) -> Result<Vec<String>, JobStoreError> {
        self.call(|db| {
            let ids = db.ids_in_state(JobState::Running)?;
            for id in &ids {
                db.transition(id, &[JobState::Running], JobState::Queued, None)?;
            }
            Ok(ids)
        })
        .await
    }

    async fn pending(
        &self,
        id: &str,
        after: Option<Mobile>,
        limit: usize,
    ) -> Result<Vec<Mobile>, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.pending(&id, after, limit)).await
    }

    async fn record(
        &self,
        lease: &Lease,
        answers: Vec<JobAnswer>,
        billed: u64,
        from_cache: bool,
        failed: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError> {
        let lease = lease.clone();
        self.call(move |db| db.record(&lease, &answers, billed, from_cache, failed.as_deref()))
            .await
    }

    async fn claim(
        &self,
        holder: &str,
        ttl: Duration,
        max: usize,
    ) -> Result<Vec<Lease>, JobStoreError> {
        let holder = holder.to_owned();
        self.call(move |db| db.claim(&holder, ttl, max)).await
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, JobStoreError> {
        let lease = lease.clone();
        self.call(move |db| db.renew(&lease, ttl)).await
    }

    async fn release(&self, lease: &Lease) -> Result<bool, JobStoreError> {
        let lease = lease.clone();
        self.call(move |db| finish_on(&db.conn(), &lease, JobState::Queued, None))
            .await
    }

    async fn finish(&self, lease: &Lease, to: JobState) -> Result<bool, JobStoreError> {
        let lease = lease.clone();
        self.call(move |db| finish_on(&db.conn(), &lease, to, None))
            .await
    }

    fn events(&self) -> Option<tokio::sync::broadcast::Receiver<StoreEvent>> {
        // Only this process writes the file; it knows its own changes.
        None
    }

    fn up(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        None
    }

    async fn resume(&self, id: &str) -> Result<bool, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| {
            let from = [JobState::Failed, JobState::Cancelled, JobState::Succeeded];
            let resumed = db.transition(&id, &from, JobState::Queued, None)?;
            if resumed {
                db.retry_failed(&id)?;
                // It will end again, and be announced again.
                db.conn().execute(
                    "UPDATE jobs SET hook_state = 0, hook_attempts = 0, hook_next_ms = NULL,
                         hook_last_ms = NULL, hook_last_status = NULL, hook_last_error = NULL
                     WHERE id = ?1",
                    params![id],
                )?;
            }
            Ok(resumed)
        })
        .await
    }

    async fn find_request(
        &self,
        owner: &str,
        request_id: &str,
    ) -> Result<Option<RequestedJob>, JobStoreError> {
        let (owner, request_id) = (owner.to_owned(), request_id.to_owned());
        self.call(move |db| {
            Ok(db
                .conn()
                .query_row(
                    "SELECT id, created_ms, list_digest FROM jobs WHERE owner = ?1 AND request_id = ?2",
                    params![owner, request_id],
                    |r| {
                        Ok(RequestedJob {
                            id: r.get(0)?,
                            created_at: from_millis(r.get(1)?),
                            list_digest: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn set_list_digest(&self, id: &str, digest: &str) -> Result<(), JobStoreError> {
        let (id, digest) = (id.to_owned(), digest.to_owned());
        self.call(move |db| {
            db.conn().execute(
                "UPDATE jobs SET list_digest = ?2 WHERE id = ?1",
                params![id, digest],
            )?;
            Ok(())
        })
        .await
    }

    async fn forget_request_id(&self, id: &str) -> Result<(), JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| {
            db.conn().execute(
                "UPDATE jobs SET request_id = NULL WHERE id = ?1",
                params![id],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_max_billed(&self, id: &str, max_billed: u64) -> Result<bool, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| {
            let changed = db.conn().execute(
                "UPDATE jobs SET max_billed = ?2 WHERE id = ?1",
                params![id, to_i64(max_billed)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.get(&id)).await
    }

    async fn claim_webhooks(
        &self,
        hold: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        self.call(move |db| {
            let now = millis(SystemTime::now());
            let ids: Vec<String> = {
                let mut conn = db.conn();
                let tx = conn.transaction()?;
                let ids: Vec<String> = {
                    let mut due = tx.prepare_cached(&format!(
                        "SELECT id FROM jobs WHERE {} ORDER BY hook_next_ms LIMIT ?2",
                        HOOKS_DUE.replace("$NOW", "?1")
                    ))?;
                    let rows = due.query_map(params![now, limit as i64], |r| r.get(0))?;
                    rows.collect::<Result<_, _>>()?
                };
                for id in &ids {
                    tx.execute(
                        "UPDATE jobs SET hook_state = 1, hook_next_ms = ?2 WHERE id = ?1",
                        params![id, now + duration_ms(hold)],
                    )?;
                }
                tx.commit()?;
                ids
            };
            let mut jobs = Vec::with_capacity(ids.len());
            for id in ids {
                jobs.extend(db.get(&id)?);
            }
            Ok(jobs)
        })
        .await
    }

    async fn record_webhook(
        &self,
        id: &str,
        attempt: WebhookAttempt,
    ) -> Result<bool, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| {
            let changed = db.conn().execute(
                "UPDATE jobs SET hook_state = ?2, hook_attempts = hook_attempts + 1,
                     hook_last_ms = ?3, hook_last_status = ?4, hook_last_error = ?5,
                     hook_next_ms = ?6
                 WHERE id = ?1 AND hook_state = 1",
                params![
                    id,
                    attempt.state as i64,
                    millis(SystemTime::now()),
                    i64::from(attempt.status),
                    attempt.error,
                    attempt.next.map(millis)
                ],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn list(
        &self,
        owner: &str,
        limit: usize,
        before: Option<(i64, String)>,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        let owner = owner.to_owned();
        self.call(move |db| {
            db.list(
                &owner,
                limit,
                before.as_ref().map(|(ms, id)| (*ms, id.as_str())),
            )
        })
        .await
    }

    async fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, JobStoreError> {
        self.call(|db| db.count_by_state()).await
    }

    async fn ids_in_state(&self, state: JobState) -> Result<Vec<String>, JobStoreError> {
        self.call(move |db| db.ids_in_state(state)).await
    }

    async fn delete(&self, id: &str) -> Result<bool, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.delete(&id)).await
    }

    async fn delete_ended_before(
        &self,
        cutoff: SystemTime,
        _every: Duration,
    ) -> Result<usize, JobStoreError> {
        self.call(move |db| {
            let ids = db.ended_before(cutoff)?;
            for id in &ids {
                db.delete(id)?;
            }
            Ok(ids.len())
        })
        .await
    }

    async fn results(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredResult>, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.results(&id, from, limit)).await
    }

    async fn answer_counts(&self, id: &str) -> Result<Vec<AnswerCount>, JobStoreError> {
        let id = id.to_owned();
        self.call(move |db| db.answer_counts(&id)).await
    }

    async fn add_usage(&self, rows: &[UsageRow]) -> Result<(), JobStoreError> {
        let rows = rows.to_vec();
        self.call(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction()?;
            {
                let mut add = tx.prepare_cached(ADD_USAGE)?;
                for row in &rows {
                    let [billed, hits, invalid, duplicates, calls] = spend_columns(&row.spend);
                    add.execute(params![
                        row.caller, row.day, billed, hits, invalid, duplicates, calls
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn usage(
        &self,
        caller: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageRow>, JobStoreError> {
        let (caller, from, to) = (caller.map(str::to_owned), from.to_owned(), to.to_owned());
        self.call(move |db| {
            let conn = db.reader();
            let mut read = conn.prepare_cached(READ_USAGE)?;
            let rows = read.query_map(params![caller, from, to], |r| {
                Ok(UsageRow {
                    caller: r.get(0)?,
                    day: r.get(1)?,
                    spend: spend_from([r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?]),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn reserve_budget(
        &self,
        caller: &str,
        period: &BudgetPeriod,
        limit: u64,
        numbers: u64,
    ) -> Result<BudgetSpent, JobStoreError> {
        let (caller, row) = (caller.to_owned(), period.clone());
        self.call(move |db| {
            let mut conn = db.conn();
            // IMMEDIATE: the write lock is taken before the read, so no other reservation
            // (from another process on this file either) reads the same row meanwhile.
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                SEED_BUDGET_PERIOD,
                params![caller, row.key, row.first_day, row.last_day],
            )?;
            let period = row.key;
            let (used, reserved): (i64, i64) = tx.query_row(
                "SELECT used, reserved FROM budget_periods WHERE caller = ?1 AND period = ?2",
                params![caller, period],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (used, reserved) = (to_u64(used), to_u64(reserved));
            let granted = budget_grant(limit, used, reserved, numbers);
            tx.execute(
                "UPDATE budget_periods SET reserved = reserved + ?3 WHERE caller = ?1 AND period = ?2",
                params![caller, period, to_i64(granted)],
            )?;
            tx.commit()?;
            Ok(BudgetSpent {
                granted,
                used,
                reserved: reserved + granted,
            })
        })
        .await
    }

    async fn settle_budget(
        &self,
        caller: &str,
        period: &str,
        reserved: u64,
        billed: u64,
    ) -> Result<(), JobStoreError> {
        let (caller, period) = (caller.to_owned(), period.to_owned());
        self.call(move |db| {
            db.conn().execute(
                "UPDATE budget_periods SET used = used + ?4, reserved = MAX(reserved - ?3, 0)
                 WHERE caller = ?1 AND period = ?2",
                params![caller, period, to_i64(reserved), to_i64(billed)],
            )?;
            Ok(())
        })
        .await
    }

    async fn budget_spent(
        &self,
        caller: &str,
        period: &BudgetPeriod,
    ) -> Result<BudgetSpent, JobStoreError> {
        let (caller, row) = (caller.to_owned(), period.clone());
        self.call(move |db| {
            let (used, reserved) = db.reader().query_row(
                BUDGET_SPENT,
                params![caller, row.key, row.first_day, row.last_day],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?;
            Ok(BudgetSpent {
                granted: 0,
                used: to_u64(used),
                reserved: to_u64(reserved),
            })
        })
        .await
    }

    async fn forget_usage_before(&self, day: &str) -> Result<u64, JobStoreError> {
        let day = day.to_owned();
        self.call(move |db| {
            let gone = db
                .conn()
                .execute("DELETE FROM usage_days WHERE day < ?1", params![day])?;
            Ok(gone as u64)
        })
        .await
    }

    async fn forget_budget_periods(&self, from: &str, before: &str) -> Result<u64, JobStoreError> {
        let (from, before) = (from.to_owned(), before.to_owned());
        self.call(move |db| {
            let gone = db.conn().execute(
                "DELETE FROM budget_periods WHERE period >= ?1 AND period < ?2",
                params![from, before],
            )?;
            Ok(gone as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_job(id: &str) -> NewJob {
        NewJob {
            id: id.to_owned(),
            owner: String::new(),
            name: id.to_owned(),
            max_age: None,
            skip_cache: false,
            header: Vec::new(),
            callback_url: None,
            max_billed: None,
            request_id: None,
            trace_parent: None,
        }
    }

    fn new_inputs(inputs: &[(String, Option<Mobile>)]) -> Vec<NewInput> {
        inputs
            .iter()
            .map(|(input, mobile)| NewInput {
                input: input.clone(),
                mobile: *mobile,
                source: Default::default(),
            })
            .collect()
    }

    fn mobile(n: u64) -> Mobile {
        Mobile::from_u64(13_900_000_000 + n).expect("valid")
    }

    fn store_with(inputs: &[(String, Option<Mobile>)]) -> (tempfile::TempDir, SqliteJobStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteJobStore::open(dir.path()).expect("open");
        store.create(&new_job("j")).expect("create");
        store
            .add_inputs("j", 0, &new_inputs(inputs))
            .expect("inputs");
        assert!(
            store
                .transition("j", &[JobState::Uploading], JobState::Queued, None)
                .expect("queue")
        );
        (dir, store)
    }

    #[test]
    fn reads_do_not_wait_for_a_write_in_progress() {
        let (_dir, store) = store_with(&[("a".to_owned(), Some(mobile(1)))]);
        // A batch being written: the writer connection is held, inside a transaction.
        let mut writing = store.writer.lock();
        let tx = writing.transaction().expect("begin");
        tx.execute("UPDATE jobs SET billed = billed + 1 WHERE id = 'j'", [])
            .expect("write");
        let reader = store.clone();
        let (done, read) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(reader.get("j").map(|job| job.map(|j| j.billed)));
        });
        let seen = read
            .recv_timeout(Duration::from_secs(5))
            .expect("the read finished while the write was open");
        assert_eq!(
            seen.expect("read").expect("the job"),
            0,
            "the last committed state"
        );
        tx.commit().expect("commit");
    }

    #[test]
    fn an_upload_left_unfinished_is_gone_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteJobStore::open(dir.path()).unwrap();
        store.create(&new_job("half")).unwrap();
        store
            .add_inputs("half", 0, &new_inputs(&[("a".to_owned(), Some(mobile(1)))]))
            .unwrap();
        drop(store);
        let store = SqliteJobStore::open(dir.path()).unwrap();
        assert!(store.get("half").unwrap().is_none());
        assert!(store.list("", 10, None).unwrap().is_empty());
        assert!(store.results("half", 0, 10).unwrap().is_empty());
    }
}
