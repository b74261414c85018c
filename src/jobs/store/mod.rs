//! Where jobs live: the [`JobStore`] trait the runner and the API speak, and its
//! implementations. Only this folder knows SQL.
//!
//! - `sqlite`: one SQLite database in `--data-dir`, the embedded default for one machine.
//! - `postgres`: one PostgreSQL database (`--database-url`) shared by every replica.
//!
//! Running is leased: a replica [`JobStore::claim`]s a job for a while, renews the claim while
//! it runs it, and every write a runner makes is fenced by its [`Lease`], so a replica that
//! lost its job (paused past its lease, cut off) writes nothing more for it. A job whose lease
//! expired (its replica died) is claimed again by whoever has room and goes on from what is
//! stored. Both stores keep their schema as versioned migrations (`migrations/`), applied at
//! start; a database written by a newer phonecheck is refused.
//!
//! A store keeps four things per job: the job (state and running counts, so progress needs
//! no scan), its inputs in order (each with its number when valid), each distinct number
//! once with its answer once it has one, and its answered inputs counted by answer (so a
//! summary by province or carrier reads a few hundred rows, not every result). An answer is
//! stored once for every job and named by a small id (`answers`). The answers of one upstream batch are written in one
//! transaction, so after a crash the numbers still pending are exactly those nobody stored an
//! answer for. State changes are guarded transitions: a runner finishing late never
//! overwrites a cancel.

mod answers;
mod migrations;
mod postgres;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::checking::checked_line::CheckedLine;
/// A valid mainland mobile number, as the store keeps it (re-exported: the trait speaks it).
pub use crate::checking::number::Mobile;
use crate::checking::spend::Spend;
use crate::checking::upstream::UpstreamError;

use answers::AnswerIds;
pub use postgres::{PostgresJobStore, PostgresOptions};
pub use sqlite::SqliteJobStore;

/// A replica's hold on a running job: who holds it and which claim it is. Every write a runner
/// makes carries it; once another replica claims the job (a higher generation), the old
/// holder's writes change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job: String,
    /// The replica holding it (a name made once per process).
    pub holder: String,
    /// Which claim of the job this is: one more than the claim before.
    pub generation: i64,
}

/// A change another replica (or this one) made to a job, as a shared store announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEvent {
    /// The job changed: progress, or (with `state`) its state or lease.
    Changed {
        /// The job.
        job: String,
        /// Its state changed (created, cancelled, claimed, ended, deleted), not only progress.
        state: bool,
    },
    /// Announcements may have been missed (the listening connection was down): read again
    /// whatever is watched. Sent every second while the connection is down, so watchers poll.
    Missed,
}

/// A time as both stores keep it: milliseconds since the epoch.
fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A stored time back.
fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A stored count back (a negative one, which never is stored, reads as 0).
fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A count or position as both stores keep it (64-bit signed; none this large is stored).
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A duration as both stores keep it: milliseconds.
fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The columns of a job, in the order both stores read them.
macro_rules! job_columns {
    () => {
        "id, name, state, created_ms, updated_ms, finished_ms, max_age_ms,
    skip_cache, total, unique_numbers, invalid, duplicates, done, billed, cache_hits, s_empty,
    s_real, s_suspended, s_not_in_database, s_silent, s_risk, s_failed, error, owner, header,
    callback_url, hook_state, hook_attempts, hook_last_ms, hook_last_status, hook_last_error,
    hook_next_ms, max_billed, trace_parent"
    };
}
use job_columns;

/// A job's row, as both stores select it.
const SELECT_JOB: &str = concat!("SELECT ", job_columns!(), " FROM jobs");

/// The first of a job row's webhook columns (`callback_url`), after [`SELECT_JOB`]'s others.
const HOOK_COLUMNS: usize = 25;

/// A job row's `max_billed` column, after the webhook columns.
const MAX_BILLED_COLUMN: usize = HOOK_COLUMNS + 7;

/// A job row's `trace_parent` column, the last.
const TRACE_PARENT_COLUMN: usize = MAX_BILLED_COLUMN + 1;

/// Which jobs' webhooks are due at `?now` (the same condition in both stores' dialects): ended,
/// with a callback, not delivered or given up, and not being tried by someone now.
const HOOKS_DUE: &str = "callback_url IS NOT NULL AND hook_state IN (0, 1) AND state IN (3, 4, 5)
    AND (hook_state = 0 OR hook_next_ms <= $NOW)";

/// A row's cells as both stores keep them: a JSON array of strings, nothing for no cells.
fn cells_text(cells: &[String]) -> Option<String> {
    if cells.is_empty() {
        None
    } else {
        serde_json::to_string(cells).ok()
    }
}

/// Stored cells back.
fn cells_from(text: Option<&str>) -> Result<Vec<String>, JobStoreError> {
    Ok(text
        .map(serde_json::from_str)
        .transpose()?
        .unwrap_or_default())
}

/// What a stored number's `state` column holds (the SQL of both stores writes these codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberState {
    /// Not answered yet: a runner sends it.
    Pending = 0,
    /// Answered: its status and labels are stored.
    Answered = 1,
    /// Its check failed: the error is stored.
    Failed = 2,
}

impl NumberState {
    fn from_code(code: i64) -> Option<NumberState> {
        [
            NumberState::Pending,
            NumberState::Answered,
            NumberState::Failed,
        ]
        .into_iter()
        .find(|s| *s as i64 == code)
    }
}

/// The columns of a result row, in the order both stores select them ([`result_columns`]).
#[derive(Debug, Clone, Copy)]
enum ResultColumn {
    /// The input's position (`inputs.idx`).
    Index,
    /// The input as given.
    Input,
    /// Its number, NULL when invalid.
    Mobile,
    /// The position of the first input holding the number.
    FirstIndex,
    /// The number's [`NumberState`] code.
    State,
    /// Its answer's id (`answers.id`), when answered.
    Answer,
    /// When it was checked, in milliseconds.
    CheckedMs,
    /// Whether the cache answered it.
    FromCache,
    /// Its stored error, when failed.
    Error,
    /// The input row's cells, as JSON.
    Cells,
    /// The input row's line in its file, NULL when the caller did not say.
    Line,
}

/// The select list of a result row, in [`ResultColumn`] order; integers cast alike so both
/// stores read them as 64-bit.
macro_rules! result_columns {
    () => {
        "i.idx, i.input, i.mobile, n.first_idx, CAST(n.state AS BIGINT),
         CAST(n.answer AS BIGINT), n.checked_ms, n.from_cache, n.error, i.cells, i.line"
    };
}
use result_columns;

/// A row of the results query, read by column: each store reads its own driver's row.
trait DriverRow {
    /// An integer column (NULL as `None`).
    fn int(&self, column: ResultColumn) -> Result<Option<i64>, JobStoreError>;
    /// A text column (NULL as `None`).
    fn text(&self, column: ResultColumn) -> Result<Option<&str>, JobStoreError>;
    /// A boolean column.
    fn flag(&self, column: ResultColumn) -> Result<bool, JobStoreError>;
}

/// The answer ids a page of result rows holds: before decoding it, a store makes sure it
/// knows them all (an id another replica made is read from `answers` first).
fn answer_ids<R: DriverRow>(rows: &[R]) -> Result<Vec<i32>, JobStoreError> {
    let mut ids = Vec::new();
    for row in rows {
        if let Some(id) = row.int(ResultColumn::Answer)? {
            ids.push(i32::try_from(id).unwrap_or(i32::MAX));
        }
    }
    Ok(ids)
}

/// One stored result from its row, for both stores (its `answer` is `None` while its number
/// is pending), its answer's labels from `answers`. A code or answer id this build does not
/// know is an error naming the job and row, never a guess.
fn decode_result(
    job: &str,
    row: &impl DriverRow,
    answers: &AnswerIds,
) -> Result<StoredResult, JobStoreError> {
    use ResultColumn as C;
    let index = to_u64(row.int(C::Index)?.unwrap_or(0));
    let unreadable = |what: String| JobStoreError::UnreadableRow {
        job: job.to_owned(),
        index,
        what,
    };
    let input = row.text(C::Input)?.unwrap_or_default().to_owned();
    let source = InputRow {
        line: row.int(C::Line)?.map(to_u64),
        cells: cells_from(row.text(C::Cells)?)?,
    };
    let Some(mobile) = row.int(C::Mobile)? else {
        return Ok(StoredResult {
            index,
            input,
            mobile: None,
            duplicate: false,
            answer: Some(StoredAnswer::Invalid),
            source,
        });
    };
    let mobile = Mobile::from_u64(to_u64(mobile))
        .ok_or_else(|| unreadable(format!("stored number {mobile} is not a mobile number")))?;
    let state = row.int(C::State)?.unwrap_or(NumberState::Pending as i64);
    let answer = match NumberState::from_code(state) {
        Some(NumberState::Pending) => None,
        Some(NumberState::Answered) => {
            let id = row.int(C::Answer)?.unwrap_or(-1);
            let known = i32::try_from(id)
                .ok()
                .and_then(|id| answers.answer(id))
                .ok_or_else(|| unreadable(format!("unknown answer id {id}")))?;
            let checked_at = from_millis(row.int(C::CheckedMs)?.unwrap_or(0));
            let report = known
                .report(checked_at)
                .ok_or_else(|| unreadable(format!("unknown line status code {}", known.status)))?;
            Some(StoredAnswer::Checked {
                report,
                from_cache: row.flag(C::FromCache)?,
            })
        }
        Some(NumberState::Failed) => Some(StoredAnswer::Failed(serde_json::from_str(
            row.text(C::Error)?.unwrap_or("null"),
        )?)),
        None => return Err(unreadable(format!("unknown number state code {state}"))),
    };
    Ok(StoredResult {
        index,
        input,
        duplicate: row.int(C::FirstIndex)?.map(to_u64) != Some(index),
        mobile: Some(mobile),
        answer,
        source,
    })
}

/// A job about to be uploaded.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Its id.
    pub id: String,
    /// The API key name that owns it.
    pub owner: String,
    /// The name given by the caller.
    pub name: String,
    /// Cache options: the oldest cached answer accepted (`None` = the TTL decides).
    pub max_age: Option<Duration>,
    /// Cache options: ask the upstream even when a fresh answer is cached.
    pub skip_cache: bool,
    /// The list's column names, when its rows are kept whole (empty otherwise).
    pub header: Vec<String>,
    /// Where to announce its end, when the caller asked to be told.
    pub callback_url: Option<String>,
    /// The most numbers it may bill in all (`None`: no cap).
    pub max_billed: Option<u64>,
    /// The caller's id for this creation (AIP-155), unique per owner while it is kept.
    pub request_id: Option<String>,
    /// The W3C `traceparent` of the creating call's span, when traces are exported.
    pub trace_parent: Option<String>,
}

/// The job a request id names: its id, when it was made, and the digest of its list (set
/// when its upload ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedJob {
    /// The job's id.
    pub id: String,
    /// When it was created.
    pub created_at: SystemTime,
    /// The digest of its inputs, once its upload is whole.
    pub list_digest: Option<String>,
}

/// One input of a list being uploaded.
#[derive(Debug, Clone)]
pub struct NewInput {
    /// The input as given.
    pub input: String,
    /// Its number, when valid.
    pub mobile: Option<Mobile>,
    /// Where its row was and what it held, kept to be given back with the result.
    pub source: InputRow,
}

/// An input's row as its list held it, given back beside the input's result so a download
/// points at the row it answers and can give it back whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputRow {
    /// Its line in the file it came from, from 1 (a sheet's row number); `None` when the
    /// caller did not say (see [`InputRow::line_or_position`]).
    pub line: Option<u64>,
    /// Its cells, unchanged; empty when the job keeps no cells.
    pub cells: Vec<String>,
}

impl InputRow {
    /// The row's line, or for an input whose caller gave none, its position from 1: what
    /// every download calls `line`, so `check` and a job's results agree on one file.
    pub fn line_or_position(&self, index: u64) -> u64 {
        self.line.unwrap_or(index + 1)
    }

    /// Whether anything of the row is kept (a line or cells).
    pub fn is_kept(&self) -> bool {
        self.line.is_some() || !self.cells.is_empty()
    }
}

/// What the job runtime needs of a store. Every method is one atomic step: a method that
/// writes several rows writes them in one transaction.
#[async_trait::async_trait]
pub trait JobStore: std::fmt::Debug + Send + Sync + 'static {
    /// Starts an upload: the job exists in state `Uploading`, invisible to callers.
    async fn create(&self, job: NewJob) -> Result<(), JobStoreError>;

    /// Appends inputs (each with its number when valid, and its row's cells) at positions
    /// `first..`; repeats of a number already in the job count as duplicates.
    async fn add_inputs(
        &self,
        id: &str,
        first: u64,
        inputs: Vec<NewInput>,
    ) -> Result<(), JobStoreError>;

    /// Moves a job from one of `from` to `to`, recording `error`; false (nothing changed)
    /// when it was in none of them.
    async fn transition(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        error: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError>;

    /// Queues again the jobs left `Running` by a process that stopped, when this store has
    /// only one process (SQLite: whoever held them is gone); returns their ids. A shared store
    /// returns none: its leases expire instead.
    async fn requeue_running(&self) -> Result<Vec<String>, JobStoreError>;

    /// Claims up to `max` jobs for `holder` for `ttl`, oldest first: queued jobs, and running
    /// ones whose lease expired (their replica stopped renewing). Each becomes `Running` under
    /// a new lease.
    async fn claim(
        &self,
        holder: &str,
        ttl: Duration,
        max: usize,
    ) -> Result<Vec<Lease>, JobStoreError>;

    /// Extends `lease` by `ttl` from now; false when it is no longer held (the job was
    /// cancelled, deleted, ended, or claimed by another replica).
    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, JobStoreError>;

    /// Gives the job back (running → queued) so any replica may take it at once; false when
    /// the lease was no longer held.
    async fn release(&self, lease: &Lease) -> Result<bool, JobStoreError>;

    /// Ends a leased job as `to`; false when the lease was no longer held.
    async fn finish(&self, lease: &Lease, to: JobState) -> Result<bool, JobStoreError>;

    /// The store's announcements of changes, when it is shared by several processes (`None`
    /// for a store only this process writes).
    fn events(&self) -> Option<tokio::sync::broadcast::Receiver<StoreEvent>>;

    /// Whether the store is reachable now, when it can be unreachable (`None` for a file).
    fn up(&self) -> Option<tokio::sync::watch::Receiver<bool>>;

    /// Up to `limit` of the job's pending numbers above `after`, in number order.
    async fn pending(
        &self,
        id: &str,
        after: Option<Mobile>,
        limit: usize,
    ) -> Result<Vec<Mobile>, JobStoreError>;

    /// Writes one batch's answers with what it billed (and whether they came from the cache)
    /// in one transaction that first checks `lease` is still held; with `failed`, the job also
    /// becomes `Failed` with that error in the same transaction. False (nothing written) when
    /// the lease was lost.
    async fn record(
        &self,
        lease: &Lease,
        answers: Vec<JobAnswer>,
        billed: u64,
        from_cache: bool,
        failed: Option<Arc<UpstreamError>>,
    ) -> Result<bool, JobStoreError>;

    /// Queues an ended job again (failed, cancelled, or succeeded with failed numbers) and
    /// makes its failed numbers pending; false when it was not in such a state.
    async fn resume(&self, id: &str) -> Result<bool, JobStoreError>;

    /// The job, if it exists (uploads in progress excluded).
    async fn get(&self, id: &str) -> Result<Option<JobRecord>, JobStoreError>;

    /// Up to `limit` of `owner`'s jobs, newest first, created before `before` (a time in
    /// milliseconds and an id) when given.
    async fn list(
        &self,
        owner: &str,
        limit: usize,
        before: Option<(i64, String)>,
    ) -> Result<Vec<JobRecord>, JobStoreError>;

    /// How many jobs are in each state (uploads left out).
    async fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, JobStoreError>;

    /// The ids of the jobs in `state`, oldest first.
    async fn ids_in_state(&self, state: JobState) -> Result<Vec<String>, JobStoreError>;

    /// The job `owner` made with `request_id`, if one still holds it.
    async fn find_request(
        &self,
        owner: &str,
        request_id: &str,
    ) -> Result<Option<RequestedJob>, JobStoreError>;

    /// Keeps the digest of a job's whole list, for retries of its request to compare with.
    async fn set_list_digest(&self, id: &str, digest: &str) -> Result<(), JobStoreError>;

    /// Frees a job's request id for reuse (its 24 hours are over).
    async fn forget_request_id(&self, id: &str) -> Result<(), JobStoreError>;

    /// Sets the most numbers a job may bill in all; false when there is no such job.
    async fn set_max_billed(&self, id: &str, max_billed: u64) -> Result<bool, JobStoreError>;

    /// Deletes a job with everything stored for it; false when there was none.
    async fn delete(&self, id: &str) -> Result<bool, JobStoreError>;

    /// Deletes the jobs that ended before `cutoff` (and uploads abandoned before it); returns
    /// how many. On a shared store only one replica sweeps per `every`: the others get 0.
    async fn delete_ended_before(
        &self,
        cutoff: SystemTime,
        every: Duration,
    ) -> Result<usize, JobStoreError>;

    /// Takes up to `limit` jobs whose webhook is due now (ended, with a callback, not yet
    /// delivered, retry time reached) and holds them for `hold`, so that no other replica
    /// tries them meanwhile; returns them.
    async fn claim_webhooks(
        &self,
        hold: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, JobStoreError>;

    /// Stores the outcome of one delivery attempt of `id`'s webhook; false when the job is
    /// gone (deleted) or its webhook no longer pending (the job was resumed meanwhile).
    async fn record_webhook(
        &self,
        id: &str,
        attempt: WebhookAttempt,
    ) -> Result<bool, JobStoreError>;

    /// The job's answered inputs by answer, as counted while its batches were stored (a
    /// few hundred rows, whatever the job's size); empty for a job that is not there.
    async fn answer_counts(&self, id: &str) -> Result<Vec<AnswerCount>, JobStoreError>;

    /// Up to `limit` results from input `from` on, in input order, pending inputs included
    /// (their `answer` is `None`).
    async fn results(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<StoredResult>, JobStoreError>;

    /// Adds each row's spending to its caller's day in the usage ledger, in one transaction.
    async fn add_usage(&self, rows: &[UsageRow]) -> Result<(), JobStoreError>;

    /// The ledger's rows from day `from` to day `to` (both included, `YYYY-MM-DD`), of one
    /// caller or of every caller (`None`), by day then caller.
    async fn usage(
        &self,
        caller: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageRow>, JobStoreError>;

    /// Deletes the ledger's days before `day`; returns how many rows went.
    async fn forget_usage_before(&self, day: &str) -> Result<u64, JobStoreError>;

    /// Deletes the budget periods whose keys sort from `from` to before `before` (the
    /// periods of one kind that ended); returns how many rows went.
    async fn forget_budget_periods(&self, from: &str, before: &str) -> Result<u64, JobStoreError>;

    /// Reserves up to `numbers` in `caller`'s budget for `period` (of `limit` numbers), in one
    /// transaction that no other reservation for the same row can interleave with (across
    /// replicas too); never past the limit. A period's row starts from what the ledger
    /// already holds as billed in its days, so a budget set part way through counts them.
    async fn reserve_budget(
        &self,
        caller: &str,
        period: &BudgetPeriod,
        limit: u64,
        numbers: u64,
    ) -> Result<BudgetSpent, JobStoreError>;

    /// Settles a reservation of `reserved` numbers of which `billed` were billed.
    async fn settle_budget(
        &self,
        caller: &str,
        period: &str,
        reserved: u64,
        billed: u64,
    ) -> Result<(), JobStoreError>;

    /// What `caller` has spent and reserved in `period`; before its row exists, what the
    /// ledger holds as billed in its days.
    async fn budget_spent(
        &self,
        caller: &str,
        period: &BudgetPeriod,
    ) -> Result<BudgetSpent, JobStoreError>;
}

/// A budget period as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetPeriod {
    /// Its row's key (`day:2026-12-07`, `month:2026-12`).
    pub key: String,
    /// Its first day in the ledger (`YYYY-MM-DD`).
    pub first_day: String,
    /// Its last day in the ledger.
    pub last_day: String,
}

/// A budget period's row after a reservation, or as it stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetSpent {
    /// What this reservation granted (0 for a read).
    pub granted: u64,
    /// Numbers billed in the period.
    pub used: u64,
    /// Numbers reserved by batches on their way, this one included.
    pub reserved: u64,
}

impl BudgetSpent {
    /// What is left of a budget of `limit`: what is neither billed nor reserved.
    pub fn left(&self, limit: u64) -> u64 {
        limit.saturating_sub(self.used.saturating_add(self.reserved))
    }
}

/// The grant for `numbers` in a budget of `limit` of which `used + reserved` is taken.
fn budget_grant(limit: u64, used: u64, reserved: u64, numbers: u64) -> u64 {
    let spent = BudgetSpent {
        granted: 0,
        used,
        reserved,
    };
    numbers.min(spent.left(limit))
}

/// One caller's spending on one day, as the usage ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// The caller (an API key's name).
    pub caller: String,
    /// The day, `YYYY-MM-DD` in the server's usage time zone.
    pub day: String,
    /// What was spent.
    pub spend: Spend,
}

/// Adds a row to the ledger (both stores; `$1` is the caller, `$2` the day, then the counts
/// in [`Spend`]'s order).
const ADD_USAGE: &str =
    "INSERT INTO usage_days (caller, day, billed, cache_hits, invalid, duplicates, calls)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (caller, day) DO UPDATE SET
        billed = usage_days.billed + excluded.billed,
        cache_hits = usage_days.cache_hits + excluded.cache_hits,
        invalid = usage_days.invalid + excluded.invalid,
        duplicates = usage_days.duplicates + excluded.duplicates,
        calls = usage_days.calls + excluded.calls";

/// The ledger's rows of one caller (`$1`; NULL for every caller) from day `$2` to day `$3`.
const READ_USAGE: &str = "SELECT caller, day, billed, cache_hits, invalid, duplicates, calls
    FROM usage_days WHERE (CAST($1 AS TEXT) IS NULL OR caller = CAST($1 AS TEXT))
        AND day >= $2 AND day <= $3
    ORDER BY day, caller";

/// Makes `caller`'s (`$1`) row for budget period `$2` if it has none, starting from what the
/// ledger holds as billed from day `$3` to day `$4`: a budget set part way through a period
/// counts what was billed before it. Once the row exists the ledger is not read (the
/// uncorrelated `NOT EXISTS` is checked once, before the scan).
const SEED_BUDGET_PERIOD: &str = "INSERT INTO budget_periods (caller, period, used)
    SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST(COALESCE(SUM(billed), 0) AS BIGINT)
    FROM usage_days WHERE caller = $1 AND day >= $3 AND day <= $4
        AND NOT EXISTS (SELECT 1 FROM budget_periods WHERE caller = $1 AND period = $2)
    ON CONFLICT (caller, period) DO NOTHING";

/// What `caller` (`$1`) has used and reserved in budget period `$2`: its row, or before it
/// exists what the ledger holds as billed from day `$3` to day `$4` (read only then:
/// `COALESCE` stops at its first value).
const BUDGET_SPENT: &str = "SELECT
    COALESCE(
        (SELECT used FROM budget_periods WHERE caller = $1 AND period = $2),
        (SELECT CAST(COALESCE(SUM(billed), 0) AS BIGINT) FROM usage_days
         WHERE caller = $1 AND day >= $3 AND day <= $4)),
    COALESCE(
        (SELECT reserved FROM budget_periods WHERE caller = $1 AND period = $2),
        CAST(0 AS BIGINT))";

/// A spend as the ledger's columns, in [`Spend`]'s order.
fn spend_columns(spend: &Spend) -> [i64; 5] {
    [
        spend.billed,
        spend.cache_hits,
        spend.invalid,
        spend.duplicates,
        spend.calls,
    ]
    .map(to_i64)
}

/// The ledger's columns back.
fn spend_from(columns: [i64; 5]) -> Spend {
    let [billed, cache_hits, invalid, duplicates, calls] = columns.map(to_u64);
    Spend {
        billed,
        cache_hits,
        invalid,
        duplicates,
        calls,
    }
}

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

    /// The state a stored number stands for (an unknown number reads as an upload, which
    /// callers never see).
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
    /// Inputs answered by line status, in [`crate::checking::checked_line::LineStatus::ALL`] order.
    pub by_status: [u64; 6],
    /// Inputs whose number failed.
    pub failed: u64,
    /// Why it failed.
    pub error: Option<UpstreamError>,
    /// The list's column names, when its rows are kept whole.
    pub header: Vec<String>,
    /// Where its end is announced, when the caller asked to be told.
    pub callback_url: Option<String>,
    /// How announcing its end went, once it is due.
    pub webhook: Option<WebhookRecord>,
    /// The most numbers it may bill in all (`None`: no cap).
    pub max_billed: Option<u64>,
    /// The W3C `traceparent` of the call that created it, when traces were exported.
    pub trace_parent: Option<String>,
}

/// Where a job's webhook is: due, delivered, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    /// To be tried (again) at `next_attempt`, or being tried.
    Pending = 1,
    /// An answer 2xx came.
    Delivered = 2,
    /// Retried until the time allowed ran out.
    GaveUp = 3,
}

impl WebhookState {
    fn from_db(n: i64) -> Option<WebhookState> {
        match n {
            1 => Some(WebhookState::Pending),
            2 => Some(WebhookState::Delivered),
            3 => Some(WebhookState::GaveUp),
            _ => None,
        }
    }
}

/// How announcing a job's end went so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// Where it is.
    pub state: WebhookState,
    /// Attempts made.
    pub attempts: u32,
    /// When the last attempt was made.
    pub last_attempt: Option<SystemTime>,
    /// The HTTP status of the last answer (0: no answer came).
    pub last_status: u16,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_attempt: Option<SystemTime>,
}

/// The outcome of one attempt to deliver a webhook, to be stored.
#[derive(Debug, Clone)]
pub struct WebhookAttempt {
    /// Where the webhook is now: delivered, pending again (at `next`), or given up.
    pub state: WebhookState,
    /// The HTTP status answered (0: none).
    pub status: u16,
    /// Why it failed.
    pub error: Option<String>,
    /// When to try again (pending only).
    pub next: Option<SystemTime>,
}

/// A job row's webhook columns back (`callback_url` first, as [`SELECT_JOB`] lists them).
#[allow(clippy::too_many_arguments)]
fn webhook_from(
    callback_url: Option<String>,
    state: i64,
    attempts: i64,
    last_ms: Option<i64>,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_ms: Option<i64>,
) -> (Option<String>, Option<WebhookRecord>) {
    let webhook = WebhookState::from_db(state).map(|state| WebhookRecord {
        state,
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_attempt: last_ms.map(from_millis),
        last_status: last_status.and_then(|s| u16::try_from(s).ok()).unwrap_or(0),
        last_error,
        next_attempt: next_ms
            .filter(|_| state == WebhookState::Pending)
            .map(from_millis),
    });
    (callback_url, webhook)
}

/// How many of a job's inputs were answered with one answer: what its summaries count by
/// status, province and carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerCount {
    /// The answer (its `checked_at` is not kept with the count: the epoch).
    pub report: CheckedLine,
    /// Inputs answered with it (repeats of a number each count).
    pub inputs: u64,
}

/// Counts read back as (answer id, inputs), named by `answers`; an id it does not know (or a
/// status code this build does not know) is an error naming the job, never a guess.
fn answer_counts_of(
    job: &str,
    counts: Vec<(i32, i64)>,
    answers: &AnswerIds,
) -> Result<Vec<AnswerCount>, JobStoreError> {
    counts
        .into_iter()
        .map(|(id, inputs)| {
            let report = answers
                .answer(id)
                .and_then(|a| a.report(UNIX_EPOCH))
                .ok_or_else(|| JobStoreError::UnreadableCounts {
                    job: job.to_owned(),
                    answer: id,
                })?;
            Ok(AnswerCount {
                report,
                inputs: to_u64(inputs),
            })
        })
        .collect()
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
    /// Where its row was and what it held, as given at creation.
    pub source: InputRow,
}

/// What became of a stored input.
#[derive(Debug, Clone)]
pub enum StoredAnswer {
    /// Not a valid number.
    Invalid,
    /// The upstream's answer (`from_cache` when the result cache gave it).
    Checked {
        /// The report.
        report: CheckedLine,
        /// Answered from the result cache.
        from_cache: bool,
    },
    /// The number could not be checked.
    Failed(UpstreamError),
}

/// One answer to write: a number and what became of it.
#[derive(Debug, Clone)]
pub enum JobAnswer {
    /// Checked (by the upstream, or from the cache).
    Checked(Mobile, Arc<CheckedLine>),
    /// Failed with this error.
    Failed(Mobile, Arc<UpstreamError>),
}

impl JobAnswer {
    /// The report of a checked number (`None` for a failed one).
    fn report(&self) -> Option<&CheckedLine> {
        match self {
            JobAnswer::Checked(_, report) => Some(report),
            JobAnswer::Failed(..) => None,
        }
    }
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
    #[error(
        "{store}: the job database has schema version {found}, newer than this phonecheck's {supported}; run the newer phonecheck"
    )]
    NewerSchema {
        /// Which store (`--data-dir DIR` or `--database-url` without its password).
        store: String,
        /// Its version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Applying a schema migration failed.
    #[error("{store}: migrating the job database failed: {source}")]
    Migration {
        /// Which store.
        store: String,
        /// Why.
        source: refinery::Error,
    },
    /// `--database-url` (or the TLS files for it) cannot be used.
    #[error("--database-url: {0}")]
    Config(String),
    /// The database server cannot be reached now (down, unreachable, pool exhausted).
    #[error("the job database is unreachable: {0}")]
    Unavailable(String),
    /// A SQLite query failed (disk full, I/O error…).
    #[error("job database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A PostgreSQL statement failed.
    #[error("job database: {0}")]
    Postgres(tokio_postgres::Error),
    /// The blocking task doing store work did not finish.
    #[error("job store worker: {0}")]
    Worker(String),
    /// Another job of the same owner already holds this request id.
    #[error("a job with request_id {0:?} exists already")]
    RequestIdTaken(String),
    /// A stored error could not be read back.
    #[error("job database: a stored error is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A stored result holds what this build cannot read (a code it does not know): refused,
    /// never guessed.
    #[error(
        "job {job}, row {index}: {what}; the job database holds a result this phonecheck cannot read"
    )]
    UnreadableRow {
        /// The job.
        job: String,
        /// The input's position in the list, from 0.
        index: u64,
        /// What was wrong.
        what: String,
    },
    /// The job's counts by answer name an answer this build cannot read.
    #[error(
        "job {job}: its counts name answer {answer}, which the job database does not hold or this phonecheck cannot read"
    )]
    UnreadableCounts {
        /// The job.
        job: String,
        /// The answer's id.
        answer: i32,
    },
    /// An answer to be written has no id although its row was just stored: a defect, and
    /// the batch is not written under a guessed id.
    #[error("an answer to be stored has no id in the answers table")]
    AnswerUndefined,
}

impl JobStoreError {
    /// Whether the store is merely unreachable for now (so the call may be retried).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, JobStoreError::Unavailable(_))
    }

    /// Whether the store's disk is full: SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full`
    /// (53100), or no space left for the data directory. Writes fail (and roll back) until
    /// the operator makes room; reads go on.
    pub fn is_full(&self) -> bool {
        match self {
            JobStoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            JobStoreError::Postgres(e) => {
                e.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL)
            }
            JobStoreError::Directory { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull
            }
            _ => false,
        }
    }
}
