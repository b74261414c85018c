//! The result cache: every answer the upstream gives is kept for its time to live, so a number
//! asked again (the same list next week, another backend asking about the same customer, a call
//! repeated after failing half way) is answered without being billed again.
//!
//! It sits between the number parser and the batcher: the pipeline looks a
//! call's distinct numbers up before submitting the rest, and the batcher stores every answer
//! as soon as its batch succeeds, whoever asked and whether or not they are still there.
//!
//! In-process, it is a `quick_cache` cache (S3-FIFO: cheap reads, no per-entry clock or
//! bookkeeping) bounded by `--cache-entries`; an answer past its time to live is refused on
//! lookup and replaced by the next answer for its number, and until then it is evicted like any
//! cold entry. (moka was measured first: its per-entry timers and frequency sketch took 40% of
//! a fully cached stream and about twice the memory.) With the `redis` feature and
//! `--redis-url`, a shared cache in Redis backs it (`checking::shared_redis`): numbers missing locally
//! are fetched in one `MGET` per lookup, and answers are written there in one pipeline per batch.
//!
//! Time to live depends on the status: `--cache-ttl` (24 h) for most, `--cache-ttl-short` (6 h)
//! for SUSPENDED and RISK, which change when a bill is paid or a flag is lifted. Whether an
//! answer is fresh is judged on the [`Clock`] given in the configuration (tests move it), from
//! the answer's own `checked_at`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use quick_cache::sync::Cache;

use crate::checking::number::Mobile;
use crate::checking::upstream::{LineStatus, NumberReport};

/// Tells the time: the system's, or one a test moves.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock running `offset` ahead of the system's, moved forward by tests to age cached answers
/// without sleeping.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset_ms: AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// How the cache is sized and how long answers stay fresh.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Most answers kept in process (0 = no in-process cache).
    pub entries: u64,
    /// How long most answers stay fresh.
    pub ttl: Duration,
    /// How long SUSPENDED and RISK answers stay fresh.
    pub short_ttl: Duration,
    /// The clock freshness is judged on.
    pub clock: Arc<dyn Clock>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            entries: 1_000_000,
            ttl: Duration::from_secs(24 * 3600),
            short_ttl: Duration::from_secs(6 * 3600),
            clock: Arc::new(SystemClock),
        }
    }
}

impl CacheConfig {
    /// How long an answer of `status` stays fresh.
    pub fn ttl(&self, status: LineStatus) -> Duration {
        match status {
            LineStatus::Suspended | LineStatus::Risk => self.short_ttl.min(self.ttl),
            _ => self.ttl,
        }
    }
}

/// What a call accepts from the cache (`CheckOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freshness {
    /// Accept only answers at most this old.
    pub max_age: Option<Duration>,
    /// Accept nothing from the cache.
    pub skip: bool,
}

/// A lookup's outcome: numbers answered from the cache and numbers still to check, each with
/// the caller's tag.
#[derive(Debug)]
pub struct Lookup<T> {
    /// Fresh cached answers.
    pub hits: Vec<(Mobile, T, Arc<NumberReport>)>,
    /// Numbers with no fresh answer.
    pub misses: Vec<(Mobile, T)>,
}

/// A cache shared by every replica (Redis, with the `redis` feature). It may be unreachable:
/// then lookups find nothing and stores are dropped, and the in-process cache carries on.
pub trait SharedResults: Send + Sync + fmt::Debug {
    /// The stored answers for `mobiles`, in the same order; `None` where nothing is stored
    /// (or the store cannot be reached).
    fn get(&self, mobiles: &[Mobile]) -> BoxFuture<'_, Vec<Option<NumberReport>>>;
    /// Stores answers, each for its time to live.
    fn put(&self, entries: Vec<(Mobile, Arc<NumberReport>, Duration)>) -> BoxFuture<'_, ()>;
}

/// The cache. Cheap to share behind an `Arc`.
pub struct ResultCache {
    local: Option<Cache<Mobile, Arc<NumberReport>>>,
    config: CacheConfig,
    shared: Option<Arc<dyn SharedResults>>,
}

impl fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultCache")
            .field("config", &self.config)
            .field("entries", &self.local.as_ref().map(Cache::len))
            .finish_non_exhaustive()
    }
}

impl ResultCache {
    /// An in-process cache.
    pub fn new(config: CacheConfig) -> Self {
        let capacity = usize::try_from(config.entries).unwrap_or(usize::MAX);
        let local = (capacity > 0).then(|| Cache::new(capacity));
        ResultCache {
            local,
            config,
            shared: None,
        }
    }

    /// An in-process cache backed by one shared with other replicas.
    pub fn with_shared(config: CacheConfig, shared: Arc<dyn SharedResults>) -> Self {
        ResultCache {
            shared: Some(shared),
            ..ResultCache::new(config)
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// True when `report` may be given to a caller asking with `freshness`.
    fn is_fresh(&self, report: &NumberReport, freshness: Freshness) -> bool {
        // An answer from the future (clocks of two replicas disagreeing) counts as new.
        let age = self
            .config
            .clock
            .now()
            .duration_since(report.checked_at)
            .unwrap_or_default();
        age < self.config.ttl(report.status) && freshness.max_age.is_none_or(|max| age <= max)
    }

    /// Splits `numbers` into those with a fresh cached answer and the rest, keeping each
    /// number's tag. With a shared cache, what is missing here is fetched from it in one
    /// round trip; if it cannot be reached, those numbers are misses.
    pub async fn lookup<T: Copy>(
        &self,
        numbers: &[(Mobile, T)],
        freshness: Freshness,
    ) -> Lookup<T> {
        let mut lookup = Lookup {
            hits: Vec::new(),
            misses: Vec::with_capacity(numbers.len()),
        };
        if freshness.skip || freshness.max_age == Some(Duration::ZERO) {
            lookup.misses.extend_from_slice(numbers);
            return lookup;
        }
        for &(mobile, tag) in numbers {
            let cached = self.local.as_ref().and_then(|c| c.get(&mobile));
            match cached.filter(|r| self.is_fresh(r, freshness)) {
                Some(report) => lookup.hits.push((mobile, tag, report)),
                None => lookup.misses.push((mobile, tag)),
            }
        }
        if let Some(shared) = &self.shared
            && !lookup.misses.is_empty()
        {
            let mobiles: Vec<Mobile> = lookup.misses.iter().map(|&(m, _)| m).collect();
            let found = shared.get(&mobiles).await;
            let mut misses = Vec::with_capacity(lookup.misses.len());
            for ((mobile, tag), report) in lookup.misses.into_iter().zip(found) {
                match report.filter(|r| self.is_fresh(r, freshness)) {
                    Some(report) => {
                        let report = Arc::new(report);
                        if let Some(local) = &self.local {
                            local.insert(mobile, report.clone());
                        }
                        lookup.hits.push((mobile, tag, report));
                    }
                    None => misses.push((mobile, tag)),
                }
            }
            lookup.misses = misses;
        }
        metrics::counter!(crate::metrics::CACHE_HITS).increment(lookup.hits.len() as u64);
        metrics::counter!(crate::metrics::CACHE_MISSES).increment(lookup.misses.len() as u64);
        lookup
    }

    /// Keeps the answers of one batch; with a shared cache, writes them there too, in the
    /// background (one pipeline per batch).
    pub fn store(&self, reports: &[(Mobile, Arc<NumberReport>)]) {
        if let Some(local) = &self.local {
            for (mobile, report) in reports {
                local.insert(*mobile, report.clone());
            }
        }
        if let Some(shared) = &self.shared
            && !reports.is_empty()
        {
            let shared = shared.clone();
            let entries: Vec<(Mobile, Arc<NumberReport>, Duration)> = reports
                .iter()
                .map(|(m, r)| (*m, r.clone(), self.config.ttl(r.status)))
                .collect();
            tokio::spawn(async move { shared.put(entries).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: LineStatus, checked_at: SystemTime) -> Arc<NumberReport> {
        Arc::new(NumberReport {
            status,
            status_name: status.label().into(),
            area: "".into(),
            carrier: "".into(),
            checked_at,
        })
    }

    fn mobile(n: u64) -> Mobile {
        (13_100_000_000 + n).to_string().parse().expect("valid")
    }

    fn cache(clock: Arc<ManualClock>) -> ResultCache {
        ResultCache::new(CacheConfig {
            entries: 100,
            ttl: Duration::from_secs(3600),
            short_ttl: Duration::from_secs(600),
            clock,
        })
    }

    #[tokio::test]
    async fn answers_age_out_by_status_on_the_given_clock() {
        let clock = Arc::new(ManualClock::default());
        let cache = cache(clock.clone());
        let now = SystemTime::now();
        cache.store(&[
            (mobile(1), report(LineStatus::Real, now)),
            (mobile(2), report(LineStatus::Risk, now)),
        ]);
        let asked = [(mobile(1), 0), (mobile(2), 1), (mobile(3), 2)];
        let tags = |l: &Lookup<i32>| -> (Vec<i32>, Vec<i32>) {
            (
                l.hits.iter().map(|h| h.1).collect(),
                l.misses.iter().map(|m| m.1).collect(),
            )
        };
        let fresh = cache.lookup(&asked, Freshness::default()).await;
        assert_eq!(tags(&fresh), (vec![0, 1], vec![2]));
        clock.advance(Duration::from_secs(601));
        let later = cache.lookup(&asked, Freshness::default()).await;
        assert_eq!(
            tags(&later),
            (vec![0], vec![1, 2]),
            "RISK lives 10 minutes here"
        );
        clock.advance(Duration::from_secs(3000));
        let much_later = cache.lookup(&asked, Freshness::default()).await;
        assert_eq!(tags(&much_later), (vec![], vec![0, 1, 2]));
    }

    #[tokio::test]
    async fn max_age_and_skip_narrow_what_is_accepted() {
        let clock = Arc::new(ManualClock::default());
        let cache = cache(clock.clone());
        cache.store(&[(mobile(1), report(LineStatus::Empty, SystemTime::now()))]);
        clock.advance(Duration::from_secs(120));
        let asked = [(mobile(1), ())];
        let within = Freshness {
            max_age: Some(Duration::from_secs(300)),
            skip: false,
        };
        assert_eq!(cache.lookup(&asked, within).await.hits.len(), 1);
        let too_old = Freshness {
            max_age: Some(Duration::from_secs(60)),
            skip: false,
        };
        assert_eq!(cache.lookup(&asked, too_old).await.misses.len(), 1);
        let skip = Freshness {
            max_age: None,
            skip: true,
        };
        assert_eq!(cache.lookup(&asked, skip).await.misses.len(), 1);
        let zero = Freshness {
            max_age: Some(Duration::ZERO),
            skip: false,
        };
        assert_eq!(cache.lookup(&asked, zero).await.misses.len(), 1);
    }

    #[tokio::test]
    async fn no_entries_means_no_cache() {
        let cache = ResultCache::new(CacheConfig {
            entries: 0,
            ..CacheConfig::default()
        });
        cache.store(&[(mobile(1), report(LineStatus::Real, SystemTime::now()))]);
        let lookup = cache.lookup(&[(mobile(1), ())], Freshness::default()).await;
        assert_eq!((lookup.hits.len(), lookup.misses.len()), (0, 1));
    }
}
