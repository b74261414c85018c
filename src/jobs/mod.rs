//! Durable jobs: a list stored on disk ([`store`]), checked in the background through the
//! same batcher and cache as live calls, and fetched later.
//!
//! - Writing: `CreateJob` stores every input before the job exists for anyone; a list whose
//!   upload broke off is removed.
//! - Running: at most `--max-running-jobs` jobs at once per replica, oldest first, each under
//!   a lease in the store ([`store::Lease`]) that the runner renews; every write is fenced by
//!   it, and numbers not sent by the time the lease would lapse are never sent. A job reads its pending
//!   numbers from the store a chunk at a time, answers what the result cache holds, and
//!   submits the rest on a background ticket, keeping at most one stream window outstanding.
//!   Live calls' numbers go first in every batch, so jobs only use the room they leave. The
//!   answers of each batch are written in one transaction as soon as they arrive.
//! - Failing: an error that dooms every later batch (quota, token, account, IP) stops the job
//!   as FAILED with that error; numbers it did not answer stay pending, so `ResumeJob`
//!   continues without billing anything twice.
//! - Restarting: jobs that were running when the process stopped (even by SIGKILL) are queued
//!   again at start-up (SQLite) or claimed by another replica once their lease expires
//!   (PostgreSQL), and go on from what is stored. Only batches in flight at the moment of the
//!   kill can be billed again: their answers never reached the store.
//! - Sharing: with a shared store, its announcements ([`store::StoreEvent`]) wake watchers,
//!   the scheduler, and the runner of a job another replica cancelled or deleted.
//! - Forgetting: jobs that ended more than `--job-retention` ago are deleted hourly.
//!
//! The runtime has three roles, one file each: `api` (what the service calls), `scheduler`
//! (claiming jobs, following a shared store, the retention sweep) and `runner` (one job under
//! its lease, the `Runner`). They signal each other with three wake-ups, one word
//! each: **announce a change** (watchers read the job again), **wake the scheduler** (look
//! for work: a job was queued or one ended), and a **lease check** (a runner renews its
//! lease now, and stops when it is gone).

mod api;
pub(crate) use api::{next_page_token, parse_page_token};
mod runner;
mod scheduler;
pub mod store;
pub mod uploads;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::checking::cache::Freshness;
use crate::checking::pipeline::{CheckError, NumberResult, Pipeline};

pub use store::{
    AnswerCount, BudgetPeriod, BudgetSpent, InputRow, JobAnswer, JobRecord, JobState, JobStore,
    JobStoreError, Lease, Mobile, NewInput, NewJob, PostgresJobStore, PostgresOptions,
    SqliteJobStore, StoreEvent, StoredAnswer, StoredResult, UsageRow,
};

/// How the runtime runs jobs.
#[derive(Debug, Clone, Copy)]
pub struct JobsConfig {
    /// The most inputs in one CreateJob message.
    pub max_chunk: usize,
    /// How long an ended job is kept.
    pub retention: Duration,
    /// Jobs this replica checks at the same time; the rest wait their turn, oldest first.
    pub max_running: usize,
    /// How long a claim on a running job lasts unless renewed: how soon another replica takes
    /// over the jobs of one that died.
    pub lease: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            max_chunk: 10_000,
            retention: Duration::from_secs(7 * 24 * 3600),
            max_running: 2,
            lease: Duration::from_secs(30),
        }
    }
}

/// How often the retention sweep runs (once across replicas on a shared store).
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How long a runner waits between writes it retries while the store is unreachable.
const UNREACHABLE_RETRY: Duration = Duration::from_millis(500);

/// Pending numbers read from the store at a time.
pub(crate) const PENDING_CHUNK: usize = 2000;

/// Results read from the store per message of `GetJobResults`.
pub const RESULTS_CHUNK: usize = 1000;

/// How long a job stopped by a store error waits before it is queued again.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// How often a watcher may be sent the job again.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// Why a job call failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No job has this id.
    #[error("no job {0:?}")]
    NotFound(String),
    /// `page_token` is not one this server gave.
    #[error("page_token {0:?} is not one a ListJobs response gave")]
    BadPageToken(String),
    /// The list itself is wrong (empty, a chunk too long, a bad option, a broken stream).
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] JobStoreError),
    /// The callback URL is refused (or the server sends no webhooks).
    #[error(transparent)]
    Callback(#[from] webhooks::CallbackError),
    /// A request id repeated with another list than the one it made a job of.
    #[error("request_id {0:?} already made a job of another list; use a new id for a new list")]
    RequestIdReused(String),
    /// The first call with this request id did not finish its upload.
    #[error(
        "the first CreateJob with request_id {0:?} did not finish its upload; send the list again"
    )]
    RequestAbandoned(String),
    /// A job of an upload was sent with a list of its own, or in more than one message.
    #[error(
        "a job of an upload (upload_id) is one message without mobiles, header or rows; send the list or the upload, not both"
    )]
    UploadWithMobiles,
    /// A chunk's rows do not pair with its inputs.
    #[error("a message has {inputs} mobiles but {rows} rows; send one row per input, or none")]
    RowsMismatch {
        /// Inputs in the message.
        inputs: usize,
        /// Rows in the message.
        rows: usize,
    },
}

/// One chunk of a job's list, as `CreateJob` receives it.
#[derive(Debug, Default)]
pub struct JobChunk {
    /// The job's name (the first chunk's counts).
    pub name: String,
    /// Cache options (the first chunk's count).
    pub freshness: Freshness,
    /// The inputs, one per element.
    pub inputs: Vec<String>,
    /// The table's column names (the first chunk's count), when rows are kept.
    pub header: Vec<String>,
    /// Each input's row (its line, its cells), one per input, or none.
    pub rows: Vec<InputRow>,
    /// Where to announce the job's end (the first chunk's counts; empty: nowhere).
    pub callback_url: String,
    /// Only count the list, storing, sending and billing nothing (the first chunk's counts).
    pub validate_only: bool,
    /// The most numbers the job may bill in all (the first chunk's counts; 0: no cap).
    pub max_billed: u64,
    /// The caller's id for this creation, making a retry return the job already made (the
    /// first chunk's counts; empty: none).
    pub request_id: String,
}

/// What a list would cost, counted without storing or sending anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobPreview {
    /// Inputs in the list.
    pub total: u64,
    /// Distinct valid numbers.
    pub unique: u64,
    /// Inputs that are not valid numbers.
    pub invalid: u64,
    /// Valid inputs repeating an earlier input's number.
    pub duplicates: u64,
    /// Distinct numbers the result cache answers now.
    pub cache_hits: u64,
    /// Distinct numbers neither cached nor in flight for another call: what checking the list
    /// now would bill.
    pub billable: u64,
}

/// One stored result with its input's row, as `GetJobResults` streams it.
#[derive(Debug)]
pub struct ResultRow {
    /// The result.
    pub result: NumberResult,
    /// The input's row as given at creation (no line and no cells when none were given).
    pub source: InputRow,
}

impl ResultRow {
    /// The row's line in its file, or the input's position from 1 when none was given.
    pub fn line(&self) -> u64 {
        self.source.line_or_position(u64::from(self.result.index))
    }
}

/// A page of jobs and where the next one starts.
#[derive(Debug)]
pub struct JobPage {
    /// Newest first.
    pub jobs: Vec<JobRecord>,
    /// The next page's token; empty after the last page.
    pub next_page_token: String,
}

/// The job runtime: the store, the scheduler, and the jobs running now.
#[derive(Debug)]
pub struct Jobs {
    store: Arc<dyn JobStore>,
    pipeline: Arc<Pipeline>,
    config: JobsConfig,
    /// This process's name as a lease holder.
    replica: String,
    /// Jobs running here now.
    running: Mutex<HashMap<String, RunningJob>>,
    /// Wakes the scheduler: a job was queued, or one ended.
    scheduler_wake: Arc<Notify>,
    /// Counts every change of any job, for watchers.
    changed: watch::Sender<u64>,
    /// Set when the server stops: runners send nothing more, finish the batches they have
    /// queued or in flight (so nothing paid for is lost), and leave their jobs to resume at
    /// the next start.
    stopping: watch::Sender<bool>,
    /// How job ends are announced, when the server sends webhooks.
    webhooks: Option<webhooks::Webhooks>,
    /// Dropped with the runtime: the webhook sender stops then.
    alive: Arc<()>,
}

impl Jobs {
    /// Starts the runtime on `store`: jobs left running by a previous process are queued
    /// again (on a store only this process uses), the scheduler, the retention sweep and the
    /// listener of the store's announcements start.
    pub async fn start(
        store: Arc<dyn JobStore>,
        pipeline: Arc<Pipeline>,
        config: JobsConfig,
        webhooks: Option<webhooks::Webhooks>,
    ) -> Result<Arc<Jobs>, JobStoreError> {
        let interrupted = store.requeue_running().await?;
        if !interrupted.is_empty() {
            tracing::info!(
                jobs = interrupted.len(),
                "resuming jobs interrupted by the last stop"
            );
        }
        let events = store.events();
        let replica = format!("r_{}", ulid::Ulid::generate().to_string().to_lowercase());
        tracing::info!(%replica, max_running = config.max_running, lease = ?config.lease, "job runtime started");
        let jobs = Arc::new(Jobs {
            store,
            pipeline,
            config,
            replica,
            running: Mutex::default(),
            scheduler_wake: Arc::new(Notify::new()),
            changed: watch::channel(0).0,
            stopping: watch::channel(false).0,
            webhooks: webhooks.clone(),
            alive: Arc::new(()),
        });
        if let Some(hooks) = webhooks {
            tokio::spawn(webhooks::run(
                jobs.store.clone(),
                hooks,
                Arc::downgrade(&jobs.alive),
            ));
        }
        tokio::spawn(scheduler::claim_jobs(Arc::downgrade(&jobs)));
        tokio::spawn(scheduler::sweep(Arc::downgrade(&jobs)));
        if let Some(events) = events {
            tokio::spawn(scheduler::follow_store(Arc::downgrade(&jobs), events));
        }
        Ok(jobs)
    }

    /// Stops the jobs for a shutdown: no job starts, running ones send nothing more and store
    /// the answers of the batches they have out; returns once they all have. Their state stays
    /// RUNNING, so the next start resumes them.
    pub async fn pause(&self) {
        let first = !self.stopping.send_replace(true);
        let running = if first { self.running.lock().len() } else { 0 };
        if running > 0 {
            tracing::info!(
                jobs = running,
                "pausing jobs: storing the answers of their batches in flight"
            );
        }
        while !self.running.lock().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if running > 0 {
            tracing::info!("jobs paused; they resume at the next start");
        }
    }

    /// Announces a change: watchers read their job again.
    fn announce_change(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Wakes the scheduler: a job was queued, or one ended and left room.
    fn wake_scheduler(&self) {
        self.scheduler_wake.notify_one();
    }

    /// Asks the runner of `id`, if it runs here, for a lease check now.
    fn check_lease(&self, id: &str) {
        if let Some(held) = self.running.lock().get(id) {
            held.lease_check.notify_one();
        }
    }

    /// Asks every runner here for a lease check now.
    fn check_every_lease(&self) {
        for held in self.running.lock().values() {
            held.lease_check.notify_one();
        }
    }
}

/// A job running here: which claim of it, and its runner's lease-check signal.
#[derive(Debug)]
struct RunningJob {
    /// The lease generation its runner holds.
    generation: i64,
    /// Notified to make its runner check its lease now.
    lease_check: Arc<Notify>,
}

/// A new job id: `j_` and a ULID in lower case (48 bits of milliseconds, 80 random bits), so
/// ids sort by creation and replicas sharing one store never make the same one.
fn new_id() -> String {
    format!("j_{}", ulid::Ulid::generate().to_string().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_together_never_collide_and_sort_by_time() {
        // Far more ids than the old 16 random bits per millisecond could keep apart.
        let ids: Vec<String> = (0..200_000).map(|_| new_id()).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(ids.iter().all(|id| id.starts_with("j_") && id.len() == 28));
        let later = new_id();
        std::thread::sleep(Duration::from_millis(2));
        assert!(new_id() > later, "a later id sorts after");
    }
}
