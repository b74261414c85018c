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

pub mod store;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, SystemTime};

use futures::{Stream, StreamExt};
use tokio::sync::{Notify, mpsc, watch};

use crate::checking::cache::Freshness;
use crate::checking::number::{InvalidReason, normalize_mobile};
use crate::checking::pipeline::{CheckError, NumberResult, Outcome, Pipeline};
use crate::checking::submitter::WindowedSubmitter;

pub use store::{
    JobAnswer, JobRecord, JobState, JobStore, JobStoreError, Lease, Mobile, NewInput, NewJob,
    PostgresJobStore, PostgresOptions, SqliteJobStore, StoreEvent, StoredAnswer, StoredResult,
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
const PENDING_CHUNK: usize = 2000;

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
#[derive(Debug)]
pub struct JobChunk {
    /// The job's name (the first chunk's counts).
    pub name: String,
    /// Cache options (the first chunk's count).
    pub freshness: Freshness,
    /// The inputs, one per element.
    pub inputs: Vec<String>,
    /// The table's column names (the first chunk's count), when rows are kept.
    pub header: Vec<String>,
    /// Each input's row cells, one per input, or none.
    pub rows: Vec<Vec<String>>,
    /// Where to announce the job's end (the first chunk's counts; empty: nowhere).
    pub callback_url: String,
}

/// One stored result with its input's row, as `GetJobResults` streams it.
#[derive(Debug)]
pub struct ResultRow {
    /// The result.
    pub result: NumberResult,
    /// The input's row cells (empty when the job keeps no rows).
    pub cells: Vec<String>,
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
    /// Jobs running here now, each with its lease generation and the bell that makes its
    /// runner check its lease at once (after a cancel or delete, here or elsewhere).
    running: Mutex<HashMap<String, (i64, Arc<Notify>)>>,
    /// Wakes the scheduler: a job was queued, or one ended.
    wake: Arc<Notify>,
    /// Bumped on every change of any job, for watchers.
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
            wake: Arc::new(Notify::new()),
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
        tokio::spawn(schedule(Arc::downgrade(&jobs)));
        tokio::spawn(sweep(Arc::downgrade(&jobs)));
        if let Some(events) = events {
            tokio::spawn(follow_store(Arc::downgrade(&jobs), events));
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

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Makes the runner of `id`, if it runs here, check its lease now.
    fn poke(&self, id: &str) {
        if let Some((_, bell)) = self.running.lock().get(id) {
            bell.notify_one();
        }
    }

    /// Makes every runner here check its lease now.
    fn poke_all(&self) {
        for (_, bell) in self.running.lock().values() {
            bell.notify_one();
        }
    }

    /// Stores a list arriving in chunks and queues it; the job exists once every chunk is on
    /// disk. A broken or invalid upload leaves nothing behind.
    pub async fn create<S>(&self, owner: &str, mut chunks: S) -> Result<JobRecord, JobError>
    where
        S: Stream<Item = Result<JobChunk, CheckError>> + Unpin,
    {
        let id = new_id();
        let mut total = 0u64;
        let mut created = false;
        let stored = async {
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                if chunk.inputs.len() > self.config.max_chunk {
                    return Err(JobError::Check(CheckError::ChunkTooLong {
                        limit: self.config.max_chunk,
                    }));
                }
                if !chunk.rows.is_empty() && chunk.rows.len() != chunk.inputs.len() {
                    return Err(JobError::RowsMismatch {
                        inputs: chunk.inputs.len(),
                        rows: chunk.rows.len(),
                    });
                }
                if !created {
                    let callback_url = match chunk.callback_url.trim() {
                        "" => None,
                        url => {
                            let hooks = self
                                .webhooks
                                .as_ref()
                                .ok_or(webhooks::CallbackError::Disabled)?;
                            webhooks::check_callback_url(url, hooks.allow_private).await?;
                            Some(url.to_owned())
                        }
                    };
                    self.store
                        .create(NewJob {
                            id: id.clone(),
                            owner: owner.to_owned(),
                            name: chunk.name.clone(),
                            max_age: chunk.freshness.max_age,
                            skip_cache: chunk.freshness.skip,
                            header: chunk.header.clone(),
                            callback_url,
                        })
                        .await?;
                    created = true;
                }
                let mut rows = chunk.rows.into_iter();
                let inputs: Vec<NewInput> = chunk
                    .inputs
                    .into_iter()
                    .map(|input| NewInput {
                        mobile: normalize_mobile(&input).ok(),
                        input,
                        cells: rows.next().unwrap_or_default(),
                    })
                    .collect();
                let n = inputs.len() as u64;
                self.store.add_inputs(&id, total, inputs).await?;
                total += n;
            }
            if total == 0 {
                return Err(JobError::Check(CheckError::NoNumbers { field: "mobiles" }));
            }
            Ok(())
        }
        .await;
        if let Err(e) = stored {
            if created {
                if let Err(cleanup) = self.store.delete(&id).await {
                    tracing::error!(error = %cleanup, "a broken upload could not be removed; it goes at the next start");
                }
            }
            return Err(e);
        }
        self.store
            .transition(&id, &[JobState::Uploading], JobState::Queued, None)
            .await?;
        tracing::info!(job = %id, inputs = total, "job created");
        self.bump();
        self.wake.notify_one();
        self.find(&id).await
    }

    /// The job as it is now, whoever owns it.
    async fn find(&self, id: &str) -> Result<JobRecord, JobError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_owned()))
    }

    /// The job as it is now, if `owner` (a caller's key name) owns it; another caller's job
    /// is as unknown to it as one that does not exist.
    pub async fn get(&self, owner: &str, id: &str) -> Result<JobRecord, JobError> {
        match self.find(id).await {
            Ok(job) if job.owner == owner => Ok(job),
            Ok(_) => Err(JobError::NotFound(id.to_owned())),
            Err(e) => Err(e),
        }
    }

    /// One page of `owner`'s jobs, newest first.
    pub async fn list(
        &self,
        owner: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<JobPage, JobError> {
        let size = if page_size == 0 {
            50
        } else {
            page_size.min(1000)
        };
        let before = if page_token.is_empty() {
            None
        } else {
            let parsed = page_token
                .split_once(':')
                .and_then(|(ms, id)| Some((ms.parse::<i64>().ok()?, id.to_owned())));
            Some(parsed.ok_or_else(|| JobError::BadPageToken(page_token.to_owned()))?)
        };
        let mut jobs = self.store.list(owner, size + 1, before).await?;
        let next_page_token = if jobs.len() > size {
            jobs.truncate(size);
            jobs.last().map_or(String::new(), |last| {
                let ms = last
                    .created_at
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                format!("{ms}:{}", last.id)
            })
        } else {
            String::new()
        };
        Ok(JobPage {
            jobs,
            next_page_token,
        })
    }

    /// Cancels a queued or running job; an ended one is returned as it is.
    pub async fn cancel(&self, owner: &str, id: &str) -> Result<JobRecord, JobError> {
        let job = self.get(owner, id).await?;
        if job.state.has_ended() {
            return Ok(job);
        }
        let from = [JobState::Queued, JobState::Running];
        self.store
            .transition(id, &from, JobState::Cancelled, None)
            .await?;
        // Its runner (here, or on another replica through the store's announcement) finds its
        // lease gone and stops: what it has not sent is dropped with its ticket.
        self.poke(id);
        tracing::info!(job = %id, "job cancelled");
        self.bump();
        self.wake.notify_one();
        self.find(id).await
    }

    /// Continues a failed or cancelled job, and retries the failed numbers of any ended job.
    pub async fn resume(&self, owner: &str, id: &str) -> Result<JobRecord, JobError> {
        let job = self.get(owner, id).await?;
        let resumable = matches!(job.state, JobState::Failed | JobState::Cancelled)
            || (job.state == JobState::Succeeded && job.failed > 0);
        if !resumable {
            return Ok(job);
        }
        self.store.resume(id).await?;
        tracing::info!(job = %id, "job resumed");
        self.bump();
        self.wake.notify_one();
        self.find(id).await
    }

    /// Deletes a job (cancelling it first if it runs) with everything stored for it.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), JobError> {
        self.get(owner, id).await?;
        if !self.store.delete(id).await? {
            return Err(JobError::NotFound(id.to_owned()));
        }
        self.poke(id);
        tracing::info!(job = %id, "job deleted");
        self.bump();
        self.wake.notify_one();
        Ok(())
    }

    /// The job now, then whenever it changes (at most every 200 ms), until it ends.
    pub async fn watch(
        self: &Arc<Self>,
        owner: &str,
        id: &str,
    ) -> Result<mpsc::Receiver<JobRecord>, JobError> {
        // Subscribed before the first read: a change between the read and the subscription
        // (the job ending, say) would otherwise never wake the watcher.
        let mut changed = self.changed.subscribe();
        let mut stopping = self.stopping.subscribe();
        let first = self.get(owner, id).await?;
        let (tx, rx) = mpsc::channel(4);
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut last = first;
            if tx.send(last.clone()).await.is_err() {
                return;
            }
            while !last.state.has_ended() {
                tokio::select! {
                    seen = changed.changed() => if seen.is_err() { return },
                    () = tx.closed() => return,
                    // The server is stopping: the watch ends (watch again after the restart).
                    _ = stopping.wait_for(|stop| *stop) => return,
                }
                tokio::time::sleep(WATCH_EVERY).await;
                let Ok(now) = jobs.find(&last.id).await else {
                    // Deleted while watched.
                    return;
                };
                if now != last {
                    if tx.send(now.clone()).await.is_err() {
                        return;
                    }
                    last = now;
                }
            }
        });
        Ok(rx)
    }

    /// The stored results from input `from` on, in input order, a chunk per message; ends at
    /// the last input or at the first one not answered yet.
    pub async fn results(
        &self,
        owner: &str,
        id: &str,
        from: u64,
    ) -> Result<mpsc::Receiver<Result<Vec<ResultRow>, JobError>>, JobError> {
        self.get(owner, id).await?;
        let (tx, rx) = mpsc::channel(2);
        let (store, id) = (self.store.clone(), id.to_owned());
        tokio::spawn(async move {
            let mut next = from;
            loop {
                let chunk = store.results(&id, next, RESULTS_CHUNK).await;
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let complete = chunk.len() == RESULTS_CHUNK;
                if chunk.is_empty() {
                    return;
                }
                next += chunk.len() as u64;
                let results = chunk
                    .into_iter()
                    .map(|mut stored| {
                        let cells = std::mem::take(&mut stored.cells);
                        ResultRow {
                            result: stored.into_number_result(),
                            cells,
                        }
                    })
                    .collect();
                if tx.send(Ok(results)).await.is_err() || !complete {
                    return;
                }
            }
        });
        Ok(rx)
    }

    /// Runs one job under `lease` until it ends, is cancelled, loses its lease, or the store
    /// fails, then frees its slot.
    async fn run(self: Arc<Self>, lease: Lease, bell: Arc<Notify>) {
        match self.run_leased(&lease, &bell).await {
            // Deleted between being claimed and being found: nothing to run, and nothing to
            // wait for before the slot goes to the next job.
            Ok(()) | Err(JobError::NotFound(_)) => {}
            Err(e) => {
                tracing::error!(job = %lease.job, error = %e, "job stopped by a store error; it is retried shortly");
                tokio::time::sleep(STORE_RETRY).await;
                // Given back so that any replica goes on at once; when the store is still
                // unreachable the lease expires instead, with the same effect.
                let _ = self.store.release(&lease).await;
            }
        }
        {
            let mut running = self.running.lock();
            // A newer claim of the same job (this runner's lease lapsed) owns the slot now.
            if running
                .get(&lease.job)
                .is_some_and(|(generation, _)| *generation == lease.generation)
            {
                running.remove(&lease.job);
            }
        }
        self.bump();
        self.wake.notify_one();
    }

    /// Renews `lease`; on success numbers may be sent until the new expiry. False when the
    /// lease is gone (cancelled, deleted, taken over). An unreachable store is not an error
    /// here: what was held stays held until it lapses, and nothing is sent after that.
    async fn renew(
        &self,
        lease: &Lease,
        submitter: &mut WindowedSubmitter,
    ) -> Result<bool, JobError> {
        let asked = tokio::time::Instant::now();
        match self.store.renew(lease, self.config.lease).await {
            Ok(true) => {
                submitter.hold_until(asked + self.config.lease);
                Ok(true)
            }
            Ok(false) => {
                tracing::info!(job = %lease.job, "job no longer ours (cancelled, deleted or taken over): stopping");
                Ok(false)
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(job = %lease.job, error = %e, "cannot renew the job's lease; nothing is sent once it lapses");
                Ok(true)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes answers under `lease`, retrying while the store is unreachable for as long as
    /// the lease may still be ours (they are paid for). False when the lease is gone.
    async fn record(
        &self,
        lease: &Lease,
        answers: Vec<JobAnswer>,
        billed: u64,
        from_cache: bool,
        failed: Option<Arc<crate::checking::upstream::UpstreamError>>,
        held_until: tokio::time::Instant,
    ) -> Result<bool, JobError> {
        loop {
            let attempt = self
                .store
                .record(lease, answers.clone(), billed, from_cache, failed.clone())
                .await;
            match attempt {
                Ok(true) => {
                    self.bump();
                    return Ok(true);
                }
                Ok(false) => {
                    tracing::info!(job = %lease.job, "job no longer ours (cancelled, deleted or taken over): its answers are not stored");
                    return Ok(false);
                }
                Err(e) if e.is_unavailable() && tokio::time::Instant::now() < held_until => {
                    tracing::warn!(job = %lease.job, error = %e, "cannot store answers yet; retrying");
                    tokio::time::sleep(UNREACHABLE_RETRY).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn run_leased(&self, lease: &Lease, bell: &Notify) -> Result<(), JobError> {
        let id = lease.job.as_str();
        let claimed = tokio::time::Instant::now();
        let job = self.find(id).await?;
        // The scheduler counts the states again (metrics).
        self.wake.notify_one();
        self.bump();
        tracing::info!(job = %id, inputs = job.total, done = job.done, generation = lease.generation, "job running");
        let freshness = Freshness {
            max_age: job.max_age,
            skip: job.skip_cache,
        };
        let mut submitter = self.pipeline.background_submitter();
        submitter.hold_until(claimed + self.config.lease);
        let renew_every = self.config.lease / 3;
        let mut renewal = tokio::time::interval_at(claimed + renew_every, renew_every);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut after = None;
        let mut exhausted = false;
        let mut stopping = self.stopping.subscribe();
        loop {
            while !exhausted && !*stopping.borrow() && submitter.has_room() {
                let pending = self.store.pending(id, after, PENDING_CHUNK).await?;
                let Some(last) = pending.last() else {
                    exhausted = true;
                    break;
                };
                after = Some(*last);
                let tagged: Vec<_> = pending.into_iter().map(|m| (m, 0u32)).collect();
                let lookup = self.pipeline.cache().lookup(&tagged, freshness).await;
                if !lookup.hits.is_empty() {
                    let answers = lookup
                        .hits
                        .into_iter()
                        .map(|(m, _, report)| JobAnswer::Checked(m, report))
                        .collect();
                    let held_until = submitter.held_until();
                    if !self
                        .record(lease, answers, 0, true, None, held_until)
                        .await?
                    {
                        return Ok(());
                    }
                }
                submitter.submit(&lookup.misses).await;
            }
            if submitter.outstanding() == 0 {
                if submitter.doomed().is_some() {
                    // FAILED since the dooming batch; every batch it had out is stored.
                    return Ok(());
                }
                if exhausted {
                    let ended = self.store.finish(lease, JobState::Succeeded).await?;
                    if ended {
                        tracing::info!(job = %id, "job succeeded");
                    }
                    return Ok(());
                }
                if *stopping.borrow() {
                    // Paused for a shutdown with everything it sent stored: given back, so
                    // another replica (or the next start) goes on with it.
                    self.store.release(lease).await?;
                    return Ok(());
                }
            }
            let was_doomed = submitter.doomed().is_some();
            let woke = tokio::select! {
                () = bell.notified() => Woke::Check,
                _ = renewal.tick() => Woke::Check,
                _ = stopping.changed(), if !*stopping.borrow() => continue,
                delivery = submitter.recv() => Woke::Delivery(delivery),
            };
            let delivery = match woke {
                Woke::Check => {
                    if !self.renew(lease, &mut submitter).await? {
                        // Dropping the submitter drops what has not left.
                        return Ok(());
                    }
                    continue;
                }
                Woke::Delivery(delivery) => delivery,
            };
            let Some(delivery) = delivery else { continue };
            // The first dooming batch makes the job FAILED, in the transaction that stores
            // it; the batches still out are then received and stored too (they are paid
            // for), and nothing more is sent.
            let fails_now = submitter.doomed().filter(|_| !was_doomed).cloned();
            // Numbers a dooming error stopped stay pending: a resumed job sends them.
            let answers = delivery
                .answers
                .into_iter()
                .filter_map(|a| match a.answer {
                    Ok(report) => Some(JobAnswer::Checked(a.mobile, report)),
                    Err(e) if e.dooms_later_batches() => None,
                    Err(e) => Some(JobAnswer::Failed(a.mobile, e)),
                })
                .collect();
            let held_until = submitter.held_until();
            if !self
                .record(
                    lease,
                    answers,
                    delivery.billed,
                    false,
                    fails_now.clone(),
                    held_until,
                )
                .await?
            {
                return Ok(());
            }
            if let Some(e) = fails_now {
                tracing::warn!(job = %id, error = %e, "job failed; ResumeJob continues it");
            }
        }
    }
}

/// What woke a runner.
enum Woke {
    /// Its bell or its renewal timer: check (and renew) the lease.
    Check,
    /// A delivery of answers (or `None` once nothing is outstanding).
    Delivery(Option<crate::checking::batcher::Delivery>),
}

/// Claims queued jobs (and jobs whose lease lapsed), oldest first, while fewer than
/// `--max-running-jobs` run here; looks again when woken and at least every few seconds, so
/// jobs of a replica that died are taken over once their lease expires.
async fn schedule(jobs: std::sync::Weak<Jobs>) {
    loop {
        let Some(this) = jobs.upgrade() else { return };
        let wake = this.wake.clone();
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match this.store.count_by_state().await {
            Ok(counts) => {
                for state in [
                    JobState::Queued,
                    JobState::Running,
                    JobState::Succeeded,
                    JobState::Failed,
                    JobState::Cancelled,
                ] {
                    let n = counts.iter().find(|(s, _)| *s == state).map_or(0, |c| c.1);
                    metrics::gauge!(crate::metrics::JOBS, "state" => state.name()).set(n as f64);
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot count jobs"),
        }
        let room = this
            .config
            .max_running
            .saturating_sub(this.running.lock().len());
        if room > 0 && !*this.stopping.borrow() {
            match this
                .store
                .claim(&this.replica, this.config.lease, room)
                .await
            {
                Ok(leases) => {
                    let mut running = this.running.lock();
                    for lease in leases {
                        let bell = Arc::new(Notify::new());
                        let before =
                            running.insert(lease.job.clone(), (lease.generation, bell.clone()));
                        if let Some((_, old)) = before {
                            // This replica's own earlier claim lapsed: its runner stops.
                            old.notify_one();
                        }
                        tokio::spawn(this.clone().run(lease, bell));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot claim queued jobs"),
            }
        }
        let every =
            (this.config.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
        drop(this);
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Turns a shared store's announcements into wake-ups: watchers read again, the scheduler
/// looks for work, and a runner whose job changed state checks its lease.
async fn follow_store(
    jobs: std::sync::Weak<Jobs>,
    mut events: tokio::sync::broadcast::Receiver<StoreEvent>,
) {
    loop {
        let event = events.recv().await;
        let Some(this) = jobs.upgrade() else { return };
        match event {
            Ok(StoreEvent::Changed { job, state }) => {
                this.bump();
                if state {
                    this.wake.notify_one();
                    this.poke(&job);
                }
            }
            Ok(StoreEvent::Missed) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                this.bump();
                this.wake.notify_one();
                this.poke_all();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Deletes jobs whose retention has passed, at start and then hourly.
async fn sweep(jobs: std::sync::Weak<Jobs>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let Some(this) = jobs.upgrade() else { return };
        let cutoff = SystemTime::now() - this.config.retention;
        let swept = this.store.delete_ended_before(cutoff, SWEEP_EVERY).await;
        match swept {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs past their retention deleted"),
            Err(e) => tracing::error!(error = %e, "cannot delete expired jobs"),
        }
    }
}

/// A new job id: `j_` and a ULID in lower case (48 bits of milliseconds, 80 random bits), so
/// ids sort by creation and replicas sharing one store never make the same one.
fn new_id() -> String {
    format!("j_{}", ulid::Ulid::generate().to_string().to_lowercase())
}

impl StoredResult {
    /// The result as live calls answer it.
    pub fn into_number_result(self) -> NumberResult {
        let from_cache = matches!(
            self.answer,
            Some(StoredAnswer::Checked {
                from_cache: true,
                ..
            })
        );
        let outcome = match self.answer {
            Some(StoredAnswer::Checked { report, .. }) => Outcome::Checked(Arc::new(report)),
            Some(StoredAnswer::Failed(e)) => Outcome::Failed(Arc::new(e)),
            // The reason is not stored: parsing is pure, so it is found again.
            Some(StoredAnswer::Invalid) | None => Outcome::Invalid(
                normalize_mobile(&self.input)
                    .err()
                    .unwrap_or(InvalidReason::Empty),
            ),
        };
        NumberResult {
            index: u32::try_from(self.index).unwrap_or(u32::MAX),
            input: Some(self.input),
            mobile: self.mobile,
            outcome,
            duplicate: self.duplicate,
            from_cache,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::batcher::{Batcher, BatcherConfig};
    use crate::checking::cache::{CacheConfig, ResultCache};
    use crate::checking::pipeline::Limits;
    use crate::checking::upstream::{RetryPolicy, Token, UpstreamClient, UpstreamClientConfig};

    /// A runtime on a real store in `dir`, whose upstream is never reached by these tests.
    async fn jobs_in(dir: &std::path::Path) -> Arc<Jobs> {
        let client = UpstreamClient::new(UpstreamClientConfig {
            url: "http://127.0.0.1:9/api/phonecheck".to_owned(),
            token: Token::new("unused"),
            timeout: Duration::from_secs(1),
            concurrency: 1,
            qps: None,
            retry: RetryPolicy::default(),
            shared_limit: None,
            replicas_hint: 1,
        })
        .expect("client");
        let cache = Arc::new(ResultCache::new(CacheConfig::default()));
        let batcher = Batcher::new(
            client,
            cache.clone(),
            BatcherConfig {
                max_batch: 2000,
                linger: Duration::from_millis(5),
                max_queued: 100_000,
            },
        );
        let limits = Limits {
            max_check_numbers: 10,
            max_stream_numbers: 10,
            max_bulk_chunk: 10,
        };
        let pipeline = Arc::new(Pipeline::new(batcher, cache, limits, 4000));
        let store = SqliteJobStore::open(dir).expect("store");
        let config = JobsConfig {
            max_chunk: 10,
            retention: Duration::from_secs(3600),
            ..JobsConfig::default()
        };
        Jobs::start(Arc::new(store), pipeline, config, None)
            .await
            .expect("runtime")
    }

    #[tokio::test]
    async fn a_job_deleted_before_its_runner_finds_it_frees_its_slot_at_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let jobs = jobs_in(dir.path()).await;
        // As the scheduler leaves it: a slot taken for a job that is gone by the time its
        // runner looks it up.
        let bell = Arc::new(Notify::new());
        jobs.running
            .lock()
            .insert("j_gone".to_owned(), (1, bell.clone()));
        let lease = Lease {
            job: "j_gone".to_owned(),
            holder: jobs.replica.clone(),
            generation: 1,
        };
        tokio::time::timeout(Duration::from_secs(2), jobs.clone().run(lease, bell))
            .await
            .expect("the runner returns without waiting out a store-error pause");
        assert!(jobs.running.lock().is_empty(), "the slot is free");
    }

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
