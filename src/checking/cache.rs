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

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;

use futures::future::BoxFuture;
use std::hash::BuildHasher;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, UnitWeighter};

use crate::checking::checked_line::{CheckedLine, LineStatus};
use crate::checking::number::Mobile;

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
    pub hits: Vec<(Mobile, T, Arc<CheckedLine>)>,
    /// Numbers with no fresh answer.
    pub misses: Vec<(Mobile, T)>,
}

/// A cache shared by every replica (Redis, with the `redis` feature). It may be unreachable:
/// then lookups find nothing and stores are dropped, and the in-process cache carries on.
pub trait SharedResults: Send + Sync + fmt::Debug {
    /// The stored answers for `mobiles`, in the same order; `None` where nothing is stored
    /// (or the store cannot be reached).
    fn get(&self, mobiles: &[Mobile]) -> BoxFuture<'_, Vec<Option<CheckedLine>>>;
    /// Stores answers, each for its time to live.
    fn put(&self, entries: Vec<(Mobile, Arc<CheckedLine>, Duration)>) -> BoxFuture<'_, ()>;
}

/// One cached answer in 8 bytes beside its 8-byte key: `checked_at` in whole seconds
/// (answers are stamped on whole seconds, see [`whole_seconds`]), the status in the top 3 bits
/// of the area's id, and the carrier and status name as one-byte ids. The labels themselves
/// live once in [`Labels`]. Its expiry needs no field of its own: it follows from `checked_at`
/// and the status's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed {
    checked_at: u32,
    status_and_area: u16,
    carrier: u8,
    status_name: u8,
}

/// Areas one [`Packed`] can name: 13 bits (China has a few hundred prefecture-level areas).
const MOST_AREAS: usize = 1 << 13;
/// Carriers, and status names, one can name: a byte each.
const MOST_SHORT: usize = 1 << 8;

/// The labels answers share by a small id, so an entry holds three small numbers instead of
/// three pointers: one table for areas, one for carriers, one for status names. They only
/// grow; a label past a table's room (an upstream gone strange) leaves its answers uncached in
/// process (they still go to callers and to the shared cache).
#[derive(Debug, Default)]
struct Labels {
    table: RwLock<LabelTables>,
}

#[derive(Debug, Default)]
struct LabelTables {
    areas: LabelTable,
    carriers: LabelTable,
    status_names: LabelTable,
}

#[derive(Debug, Default)]
struct LabelTable {
    ids: HashMap<Arc<str>, u16>,
    names: Vec<Arc<str>>,
}

impl LabelTable {
    fn find(&self, label: &Arc<str>) -> Option<u16> {
        self.ids.get(label).copied()
    }

    fn add(&mut self, label: &Arc<str>, most: usize) -> Option<u16> {
        if let Some(id) = self.find(label) {
            return Some(id);
        }
        if self.names.len() >= most {
            return None;
        }
        let id = u16::try_from(self.names.len()).ok()?;
        self.names.push(label.clone());
        self.ids.insert(label.clone(), id);
        Some(id)
    }

    fn name(&self, id: u16) -> Arc<str> {
        self.names
            .get(usize::from(id))
            .cloned()
            .unwrap_or_else(|| "".into())
    }
}

impl Labels {
    /// The ids of an answer's three labels, adding those not seen before.
    fn ids(&self, report: &CheckedLine) -> Option<(u16, u8, u8)> {
        let find = |t: &LabelTables| {
            Some((
                t.areas.find(&report.area)?,
                u8::try_from(t.carriers.find(&report.carrier)?).ok()?,
                u8::try_from(t.status_names.find(&report.status_name)?).ok()?,
            ))
        };
        if let Some(ids) = find(&self.table.read()) {
            return Some(ids);
        }
        let mut t = self.table.write();
        Some((
            t.areas.add(&report.area, MOST_AREAS)?,
            u8::try_from(t.carriers.add(&report.carrier, MOST_SHORT)?).ok()?,
            u8::try_from(t.status_names.add(&report.status_name, MOST_SHORT)?).ok()?,
        ))
    }
}

impl Packed {
    /// `report` packed, or `None` when its time or a label does not fit.
    fn pack(report: &CheckedLine, labels: &Labels) -> Option<Packed> {
        let checked_at =
            u32::try_from(report.checked_at.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
        let (area, carrier, status_name) = labels.ids(report)?;
        let status = u16::try_from(report.status.code()).ok()?;
        Some(Packed {
            checked_at,
            status_and_area: status << 13 | area,
            carrier,
            status_name,
        })
    }

    fn status(self) -> Option<LineStatus> {
        LineStatus::from_code(i64::from(self.status_and_area >> 13))
    }

    fn checked_at(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::from(self.checked_at))
    }
}

impl LabelTables {
    fn unpack(&self, packed: Packed) -> Option<CheckedLine> {
        Some(CheckedLine {
            status: packed.status()?,
            status_name: self.status_names.name(u16::from(packed.status_name)),
            area: self.areas.name(packed.status_and_area & 0x1FFF),
            carrier: self.carriers.name(u16::from(packed.carrier)),
            checked_at: packed.checked_at(),
        })
    }
}

/// `at` rounded down to a whole second: what answers are stamped with, so that a cached answer
/// reads back exactly as it was given.
pub fn whole_seconds(at: SystemTime) -> SystemTime {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Resident bytes one cached answer costs, measured (P8 in docs/benchmarks.md): the 8-byte key,
/// the 8-byte packed answer, and quick_cache's own slot and index. `--cache-memory` divides by it.
pub const BYTES_PER_ENTRY: u64 = 50;

/// The cache. Cheap to share behind an `Arc`.
pub struct ResultCache {
    /// The entries, and the hasher they are placed by (see [`ResultCache::get_in_hash_order`]).
    local: Option<(Cache<Mobile, Packed>, DefaultHashBuilder)>,
    labels: Labels,
    config: CacheConfig,
    shared: Option<Arc<dyn SharedResults>>,
}

impl fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultCache")
            .field("config", &self.config)
            .field("entries", &self.local.as_ref().map(|(c, _)| c.len()))
            .finish_non_exhaustive()
    }
}

impl ResultCache {
    /// An in-process cache.
    pub fn new(config: CacheConfig) -> Self {
        let capacity = usize::try_from(config.entries).unwrap_or(usize::MAX);
        let local = (capacity > 0).then(|| {
            let hasher = DefaultHashBuilder::default();
            let cache = Cache::with(
                capacity,
                capacity as u64,
                UnitWeighter,
                hasher.clone(),
                DefaultLifecycle::default(),
            );
            (cache, hasher)
        });
        ResultCache {
            local,
            labels: Labels::default(),
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
    fn is_fresh(&self, report: &CheckedLine, freshness: Freshness) -> bool {
        let now = self.config.clock.now();
        self.is_fresh_at(now, report.checked_at, report.status, freshness)
    }

    /// [`Self::is_fresh`] from an answer's time and status alone, so a packed entry is judged
    /// before it is unpacked.
    fn is_fresh_at(
        &self,
        now: SystemTime,
        checked_at: SystemTime,
        status: LineStatus,
        freshness: Freshness,
    ) -> bool {
        // An answer from the future (clocks of two replicas disagreeing) counts as new.
        let age = now.duration_since(checked_at).unwrap_or_default();
        age < self.config.ttl(status) && freshness.max_age.is_none_or(|max| age <= max)
    }

    /// The packed entries of `numbers`, in their order, read in the order of their hashes: the
    /// reads then walk each shard's table from one end to the other instead of jumping about a
    /// million entries, which the profile of the cached path (P7) showed as its largest cost.
    fn get_in_hash_order<T>(&self, numbers: &[(Mobile, T)]) -> Vec<Option<Packed>> {
        let Some((local, hasher)) = &self.local else {
            return vec![None; numbers.len()];
        };
        let mut order: Vec<(u64, u32)> = numbers
            .iter()
            .enumerate()
            .map(|(i, (mobile, _))| (hasher.hash_one(mobile), i as u32))
            .collect();
        order.sort_unstable_by_key(|&(hash, _)| hash);
        let mut found = vec![None; numbers.len()];
        for (_, i) in order {
            found[i as usize] = local.get(&numbers[i as usize].0);
        }
        found
    }

    /// Keeps one answer in process, packed; an answer whose labels or time do not fit a
    /// [`Packed`] is not kept here (it is still given to its callers and the shared cache).
    fn keep(&self, mobile: Mobile, report: &CheckedLine) {
        let Some(local) = &self.local else {
            return;
        };
        let packed = Packed::pack(report, &self.labels);
        if let Some(packed) = packed {
            local.0.insert(mobile, packed);
        }
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
        {
            // One read of the label table and of the clock for the whole lookup.
            let labels = self.labels.table.read();
            let now = self.config.clock.now();
            let found = self.get_in_hash_order(numbers);
            for (&(mobile, tag), cached) in numbers.iter().zip(found) {
                match cached
                    .filter(|p| {
                        p.status().is_some_and(|status| {
                            self.is_fresh_at(now, p.checked_at(), status, freshness)
                        })
                    })
                    .and_then(|p| labels.unpack(p))
                {
                    Some(report) => lookup.hits.push((mobile, tag, Arc::new(report))),
                    None => lookup.misses.push((mobile, tag)),
                }
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
                        self.keep(mobile, &report);
                        lookup.hits.push((mobile, tag, Arc::new(report)));
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
    pub fn store(&self, reports: &[(Mobile, Arc<CheckedLine>)]) {
        for (mobile, report) in reports {
            self.keep(*mobile, report);
        }
        if let Some(shared) = &self.shared
            && !reports.is_empty()
        {
            let shared = shared.clone();
            let entries: Vec<(Mobile, Arc<CheckedLine>, Duration)> = reports
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

    fn report(status: LineStatus, checked_at: SystemTime) -> Arc<CheckedLine> {
        Arc::new(CheckedLine {
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
    async fn a_cached_answer_reads_back_exactly_as_it_was_given() {
        // An entry is its 8-byte key and 8 bytes of answer, whatever the labels hold.
        assert_eq!(std::mem::size_of::<(Mobile, Packed)>(), 16);
        let cache = cache(Arc::new(ManualClock::default()));
        let at = whole_seconds(SystemTime::now());
        let given = |area: &str| {
            Arc::new(CheckedLine {
                status: LineStatus::Silent,
                status_name: "沉默号".into(),
                area: area.into(),
                carrier: "中国移动".into(),
                checked_at: at,
            })
        };
        cache.store(&[(mobile(1), given("山西-临汾")), (mobile(2), given("北京"))]);
        let lookup = cache
            .lookup(&[(mobile(1), ()), (mobile(2), ())], Freshness::default())
            .await;
        let back: Vec<&CheckedLine> = lookup.hits.iter().map(|h| h.2.as_ref()).collect();
        assert_eq!(back, [given("山西-临汾").as_ref(), given("北京").as_ref()]);
        // The status name and carrier are shared by both answers.
        let labels = cache.labels.table.read();
        let sizes = (
            labels.areas.names.len(),
            labels.carriers.names.len(),
            labels.status_names.names.len(),
        );
        assert_eq!(sizes, (2, 1, 1));
    }

    #[test]
    fn answers_are_stamped_on_whole_seconds() {
        let at = UNIX_EPOCH + Duration::from_millis(1_790_000_000_999);
        assert_eq!(
            whole_seconds(at),
            UNIX_EPOCH + Duration::from_secs(1_790_000_000)
        );
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
