//! The scheduler: which jobs run here and when. It claims queued jobs (and jobs whose lease
//! lapsed on a replica that died) while this replica has room, turns a shared store's
//! announcements into wake-ups, and deletes jobs past their retention. Each task holds the
//! runtime weakly and ends when it is dropped.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use super::runner::Runner;
use super::{JobState, Jobs, RunningJob, SWEEP_EVERY, StoreEvent};

/// Claims queued jobs (and jobs whose lease lapsed), oldest first, while fewer than
/// `--max-running-jobs` run here; looks again when woken and at least every few seconds, so
/// jobs of a replica that died are taken over once their lease expires.
pub(super) async fn claim_jobs(jobs: Weak<Jobs>) {
    loop {
        let Some(this) = jobs.upgrade() else { return };
        let wake = this.scheduler_wake.clone();
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
                        let lease_check = Arc::new(Notify::new());
                        let held = RunningJob {
                            generation: lease.generation,
                            lease_check: lease_check.clone(),
                        };
                        if let Some(old) = running.insert(lease.job.clone(), held) {
                            // This replica's own earlier claim lapsed: its runner checks its
                            // lease, finds it gone and stops.
                            old.lease_check.notify_one();
                        }
                        tokio::spawn(Runner::new(this.clone(), lease, lease_check).run());
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
pub(super) async fn follow_store(
    jobs: Weak<Jobs>,
    mut events: tokio::sync::broadcast::Receiver<StoreEvent>,
) {
    loop {
        let event = events.recv().await;
        let Some(this) = jobs.upgrade() else { return };
        match event {
            Ok(StoreEvent::Changed { job, state }) => {
                this.announce_change();
                if state {
                    this.wake_scheduler();
                    this.check_lease(&job);
                }
            }
            Ok(StoreEvent::Missed) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                this.announce_change();
                this.wake_scheduler();
                this.check_every_lease();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Deletes jobs whose retention has passed, at start and then hourly.
pub(super) async fn sweep(jobs: Weak<Jobs>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let Some(this) = jobs.upgrade() else { return };
        let cutoff = SystemTime::now() - this.config.retention;
        let swept = this.store.delete_ended_before(cutoff, SWEEP_EVERY).await;
        match swept {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs past their retention deleted"),
            // A database down is said once by the store's own watch; the sweep runs again.
            Err(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "cannot delete expired jobs yet")
            }
            Err(e) => tracing::error!(error = %e, "cannot delete expired jobs"),
        }
    }
}
