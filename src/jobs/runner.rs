//! The runner: one job checked under its lease. It reads the job's pending numbers a chunk at
//! a time, answers what the result cache holds, submits the rest on the pipeline's background
//! ticket, and stores each batch's answers in one fenced write as they arrive. It renews the
//! lease a third of the way through it, and checks it at once when asked to (a lease check,
//! after a cancel or delete here or on another replica); numbers are never sent past it.

use std::sync::Arc;

use tokio::sync::Notify;
use tracing::Instrument;

use super::{
    JobAnswer, JobError, JobState, Jobs, Lease, PENDING_CHUNK, STORE_RETRY, UNREACHABLE_RETRY,
};
use crate::checking::cache::Freshness;
use crate::checking::spend::{Payer, Spend};
use crate::checking::submitter::WindowedSubmitter;
use crate::checking::upstream::UpstreamError;

/// One job running here: its lease, and the signal that makes it check the lease now.
pub(super) struct Runner {
    /// The runtime it reports to (store, pipeline, settings, wake-ups).
    jobs: Arc<Jobs>,
    /// Its claim on the job; every write carries it.
    lease: Lease,
    /// Notified when its lease should be checked at once.
    lease_check: Arc<Notify>,
}

impl Runner {
    /// A runner for the job `lease` holds; `lease_check` is the signal the runtime keeps for it.
    pub(super) fn new(jobs: Arc<Jobs>, lease: Lease, lease_check: Arc<Notify>) -> Runner {
        Runner {
            jobs,
            lease,
            lease_check,
        }
    }

    /// Runs one job under `lease` until it ends, is cancelled, loses its lease, or the store
    /// fails, then frees its slot.
    pub(super) async fn run(self) {
        let lease = &self.lease;
        match self.check_numbers().await {
            // Deleted between being claimed and being found: nothing to run, and nothing to
            // wait for before the slot goes to the next job.
            Ok(()) | Err(JobError::NotFound(_)) => {}
            Err(e) => {
                tracing::error!(job = %lease.job, error = %e, "job stopped by a store error; it is retried shortly");
                tokio::time::sleep(STORE_RETRY).await;
                // Given back so that any replica goes on at once; when the store is still
                // unreachable the lease expires instead, with the same effect.
                let _ = self.jobs.store.release(lease).await;
            }
        }
        {
            let mut running = self.jobs.running.lock();
            // A newer claim of the same job (this runner's lease lapsed) owns the slot now.
            if running
                .get(&lease.job)
                .is_some_and(|held| held.generation == lease.generation)
            {
                running.remove(&lease.job);
            }
        }
        self.jobs.announce_change();
        self.jobs.wake_scheduler();
    }

    /// Renews `lease`; on success numbers may be sent until the new expiry. False when the
    /// lease is gone (cancelled, deleted, taken over). An unreachable store is not an error
    /// here: what was held stays held until it lapses, and nothing is sent after that.
    async fn renew(&self, submitter: &mut WindowedSubmitter) -> Result<bool, JobError> {
        let lease = &self.lease;
        let ttl = self.jobs.config.lease;
        let asked = tokio::time::Instant::now();
        match self.jobs.store.renew(lease, ttl).await {
            Ok(true) => {
                submitter.hold_until(asked + ttl);
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
        answers: Vec<JobAnswer>,
        billed: u64,
        from_cache: bool,
        failed: Option<Arc<crate::checking::upstream::UpstreamError>>,
        held_until: tokio::time::Instant,
    ) -> Result<bool, JobError> {
        let lease = &self.lease;
        let span = crate::traces::stored_batch_span(answers.len(), billed);
        loop {
            let attempt = self
                .jobs
                .store
                .record(lease, answers.clone(), billed, from_cache, failed.clone())
                .instrument(span.clone())
                .await;
            match attempt {
                Ok(true) => {
                    self.jobs.announce_change();
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

    /// Sends the job's pending numbers and stores their answers until it ends, pauses or is
    /// no longer ours.
    async fn check_numbers(&self) -> Result<(), JobError> {
        let claimed = tokio::time::Instant::now();
        let job = self.jobs.find(self.lease.job.as_str()).await?;
        // Its batches link to this span, as they would to a live call's.
        let span = crate::traces::job_run_span(&job.id, job.trace_parent.as_deref());
        self.check_found(job, claimed).instrument(span).await
    }

    /// [`Runner::check_numbers`] once the job is found.
    async fn check_found(
        &self,
        job: super::JobRecord,
        claimed: tokio::time::Instant,
    ) -> Result<(), JobError> {
        let (jobs, lease) = (&*self.jobs, &self.lease);
        let id = lease.job.as_str();
        // The scheduler counts the states again (metrics).
        jobs.wake_scheduler();
        jobs.announce_change();
        tracing::info!(job = %id, inputs = job.total, done = job.done, generation = lease.generation, "job running");
        let freshness = Freshness {
            max_age: job.max_age,
            skip: job.skip_cache,
        };
        let payer = Payer::new(&job.owner);
        let mut submitter = jobs.pipeline.background_submitter(payer.clone());
        submitter.hold_until(claimed + jobs.config.lease);
        let renew_every = jobs.config.lease / 3;
        let mut renewal = tokio::time::interval_at(claimed + renew_every, renew_every);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut after = None;
        let mut exhausted = false;
        let mut stopping = jobs.stopping.subscribe();
        // The cap its creator set: numbers billed, and numbers out that may be, never pass it.
        let cap = job.max_billed;
        let mut billed = job.billed;
        loop {
            while !exhausted && !*stopping.borrow() && submitter.has_room() {
                let room = cap.map_or(PENDING_CHUNK as u64, |cap| {
                    cap.saturating_sub(billed + submitter.outstanding() as u64)
                        .min(PENDING_CHUNK as u64)
                });
                if room == 0 {
                    break;
                }
                let pending = jobs.store.pending(id, after, room as usize).await?;
                let Some(last) = pending.last() else {
                    exhausted = true;
                    break;
                };
                after = Some(*last);
                let tagged: Vec<_> = pending.into_iter().map(|m| (m, 0u32)).collect();
                let lookup = jobs.pipeline.cache().lookup(&tagged, freshness).await;
                if !lookup.hits.is_empty() {
                    let spend = Spend {
                        cache_hits: lookup.hits.len() as u64,
                        ..Spend::default()
                    };
                    jobs.pipeline.ledger().record(&payer, spend);
                    let answers = lookup
                        .hits
                        .into_iter()
                        .map(|(m, _, report)| JobAnswer::Checked(m, report))
                        .collect();
                    let held_until = submitter.held_until();
                    if !self.record(answers, 0, true, None, held_until).await? {
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
                if let Some(cap) = cap.filter(|&cap| !exhausted && billed >= cap) {
                    // At its cap: done if nothing is left to send, else FAILED until resumed
                    // with a higher one.
                    if jobs.store.pending(id, after, 1).await?.is_empty() {
                        exhausted = true;
                    } else {
                        let capped = Arc::new(UpstreamError::JobCapReached { cap });
                        let held_until = submitter.held_until();
                        if self
                            .record(Vec::new(), 0, false, Some(capped), held_until)
                            .await?
                        {
                            tracing::warn!(job = %id, cap, "job stopped at its cap; resume it with a higher one to go on");
                        }
                        return Ok(());
                    }
                }
                if exhausted {
                    let ended = jobs.store.finish(lease, JobState::Succeeded).await?;
                    if ended {
                        tracing::info!(job = %id, "job succeeded");
                    }
                    return Ok(());
                }
                if *stopping.borrow() {
                    // Paused for a shutdown with everything it sent stored: given back, so
                    // another replica (or the next start) goes on with it.
                    jobs.store.release(lease).await?;
                    return Ok(());
                }
            }
            let was_doomed = submitter.doomed().is_some();
            let woke = tokio::select! {
                () = self.lease_check.notified() => Woke::LeaseCheck,
                _ = renewal.tick() => Woke::LeaseCheck,
                _ = stopping.changed(), if !*stopping.borrow() => continue,
                delivery = submitter.recv() => Woke::Delivery(delivery),
            };
            let delivery = match woke {
                Woke::LeaseCheck => {
                    if !self.renew(&mut submitter).await? {
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
                    Err(e) if e.stops_the_caller() => None,
                    Err(e) => Some(JobAnswer::Failed(a.mobile, e)),
                })
                .collect();
            let held_until = submitter.held_until();
            billed += delivery.billed;
            if !self
                .record(
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
    /// A lease check (asked for after a cancel or delete, here or elsewhere) or the renewal
    /// timer: renew the lease, or stop when it is gone.
    LeaseCheck,
    /// A delivery of answers (or `None` once nothing is outstanding).
    Delivery(Option<crate::checking::batcher::Delivery>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::batcher::{Batcher, BatcherConfig};
    use crate::checking::cache::{CacheConfig, ResultCache};
    use crate::checking::pipeline::Limits;
    use crate::checking::pipeline::Pipeline;
    use crate::checking::upstream::{RetryPolicy, Token, UpstreamClient, UpstreamClientConfig};
    use crate::jobs::{JobsConfig, RunningJob, SqliteJobStore};
    use std::time::Duration;

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
            Arc::new(crate::checking::spend::NoLedger),
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
        let lease_check = Arc::new(Notify::new());
        jobs.running.lock().insert(
            "j_gone".to_owned(),
            RunningJob {
                generation: 1,
                lease_check: lease_check.clone(),
            },
        );
        let lease = Lease {
            job: "j_gone".to_owned(),
            holder: jobs.replica.clone(),
            generation: 1,
        };
        tokio::time::timeout(
            Duration::from_secs(2),
            Runner::new(jobs.clone(), lease, lease_check).run(),
        )
        .await
        .expect("the runner returns without waiting out a store-error pause");
        assert!(jobs.running.lock().is_empty(), "the slot is free");
    }
}
