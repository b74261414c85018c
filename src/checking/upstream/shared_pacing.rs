//! The upstream rate limit shared by replicas, and this replica's share of it while the shared
//! one is unreachable, with a safe hand-over between the two.
//!
//! Each mode keeps the limit on its own: the shared schedule spaces every replica's calls
//! together, and the fallback spaces this replica's calls at `--qps ÷ --replicas-hint`. The
//! danger is the moment one gives way to the other. When the shared limit goes away, other
//! replicas may still hold start times it gave them; when it comes back (empty, if Redis
//! restarted), it knows nothing of the calls made meanwhile. Either way, starting at once could
//! put more calls than `--qps` into one second. So on every change of mode, no call starts
//! for a hand-over time (every replica's calls in flight, at the full limit's spacing:
//! `--replicas-hint × --concurrency` starts), and a start time reserved before the change is
//! given up and reserved again after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use governor::DefaultDirectRateLimiter;
use parking_lot::Mutex;
use tokio::time::Instant;

use super::SharedRateLimit;

/// Which limit was last in force.
const UNKNOWN: u8 = 0;
const SHARED: u8 = 1;
const FALLBACK: u8 = 2;

/// The shared limit, the fallback, and the hand-over between them.
pub(super) struct SharedPacing {
    shared: Arc<dyn SharedRateLimit>,
    /// The spacing of the full limit.
    interval: Duration,
    /// This replica's share, while the shared limit is unreachable.
    fallback: Option<DefaultDirectRateLimiter>,
    /// How long no call starts after a change of mode.
    handover: Duration,
    mode: AtomicU8,
    quiet_until: Mutex<Option<Instant>>,
}

impl SharedPacing {
    /// Pacing at `interval` through `shared`, falling back to `fallback`; `in_flight` is how
    /// many calls all replicas together may hold reserved at once.
    pub(super) fn new(
        shared: Arc<dyn SharedRateLimit>,
        interval: Duration,
        fallback: Option<DefaultDirectRateLimiter>,
        in_flight: u32,
    ) -> Self {
        SharedPacing {
            shared,
            interval,
            fallback,
            handover: interval.saturating_mul(in_flight.max(1)),
            mode: AtomicU8::new(UNKNOWN),
            quiet_until: Mutex::new(None),
        }
    }

    /// Waits until one more call may start under whichever limit is in force, and spends it.
    pub(super) async fn until_ready(&self) {
        loop {
            if let Some(until) = self.quiet() {
                tokio::time::sleep_until(until).await;
            }
            match self.shared.reserve(self.interval).await {
                Some(wait) => {
                    if self.switch(SHARED) {
                        // Reserved before the hand-over: given up, reserved again after it.
                        continue;
                    }
                    tokio::time::sleep(wait).await;
                }
                None => {
                    if self.switch(FALLBACK) {
                        continue;
                    }
                    if let Some(fallback) = &self.fallback {
                        fallback.until_ready().await;
                    }
                }
            }
            // A change of mode while this call waited for its turn: its turn is void.
            if self.quiet().is_none() {
                return;
            }
        }
    }

    /// When the current hand-over ends, while one is under way.
    fn quiet(&self) -> Option<Instant> {
        let mut quiet = self.quiet_until.lock();
        match *quiet {
            Some(until) if until > Instant::now() => Some(until),
            _ => {
                *quiet = None;
                None
            }
        }
    }

    /// Records that `mode` is in force; true when that changed it from the other mode (the
    /// first finding is no change), starting a hand-over.
    fn switch(&self, mode: u8) -> bool {
        let was = self.mode.swap(mode, Ordering::AcqRel);
        if was == mode || was == UNKNOWN {
            return false;
        }
        *self.quiet_until.lock() = Some(Instant::now() + self.handover);
        tracing::debug!(handover = ?self.handover, shared = mode == SHARED, "upstream rate limit changed hands");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use std::sync::atomic::AtomicBool;

    /// A shared limit that is up or down as the test says, spacing nothing.
    #[derive(Debug)]
    struct Switchable(AtomicBool);

    impl SharedRateLimit for Switchable {
        fn reserve(&self, _interval: Duration) -> BoxFuture<'_, Option<Duration>> {
            let up = self.0.load(Ordering::Relaxed);
            Box::pin(async move { up.then_some(Duration::ZERO) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_call_starts_for_the_hand_over_after_either_change_of_mode() {
        let shared = Arc::new(Switchable(AtomicBool::new(true)));
        let pacing = SharedPacing::new(shared.clone(), Duration::from_millis(50), None, 4);
        let started = Instant::now();
        pacing.until_ready().await;
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "the first finding hands nothing over"
        );
        shared.0.store(false, Ordering::Relaxed);
        pacing.until_ready().await;
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(200),
            "down: 4 × 50 ms"
        );
        pacing.until_ready().await;
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(200),
            "then at the fallback's pace"
        );
        shared.0.store(true, Ordering::Relaxed);
        pacing.until_ready().await;
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(400),
            "back: 4 × 50 ms again"
        );
    }
}
