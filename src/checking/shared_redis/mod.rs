//! What replicas share through Redis (the `redis` feature, on with `--redis-url`): the result
//! cache and the upstream rate limit.
//!
//! - Cache: one key per number, `phonecheck:v2:r:<number>`, holding the answer in the versioned
//!   binary form of [`value`], with the answer's time to live as the key's expiry. A lookup is
//!   one `MGET` per 10,000 numbers; a batch's answers are one pipeline of `SET … PX`. Numbers
//!   not found are looked up once more under the text keys of earlier builds
//!   (`phonecheck:v1:r:<number>`), which are read but never written.
//! - Rate limit: GCRA in a Lua script, run atomically by Redis on its own clock. Each call
//!   reserves the next free start time (`tat`), so all replicas together keep the spacing of
//!   `--qps`, and each waits for its turn without polling.
//! - Redis down: every operation has a short timeout; a failure makes lookups miss, stores
//!   drop, and the limit fall back to this replica's share (`--qps / --replicas-hint`). The
//!   change is logged once each way; a ping every second notices when Redis is back, and
//!   [`SharedStore::up`] says which it is (health follows it with `--require-redis`).
//!
//! The `redis` crate's `ConnectionManager` reconnects by itself; no RESP is written here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

use crate::checking::cache::SharedResults;
use crate::checking::checked_line::CheckedLine;
use crate::checking::number::Mobile;
use crate::checking::upstream::SharedRateLimit;

mod value;

/// How long one Redis operation may take before Redis counts as down.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(500);

/// Numbers per `MGET`.
const MGET_CHUNK: usize = 10_000;

/// Where answers live. The `v2` keys hold only [`value`]'s binary form: earlier builds read
/// their keys as text, and a binary value under them would fail their whole `MGET`.
const ANSWER_PREFIX: &str = "phonecheck:v2:r:";

/// Where earlier builds stored answers as text lines; read for what is missing under
/// [`ANSWER_PREFIX`], never written.
const TEXT_ANSWER_PREFIX: &str = "phonecheck:v1:r:";

/// The rate limit's key, shared with earlier builds so that a rolling upgrade keeps one limit.
const RATE_KEY: &str = "phonecheck:v1:gcra";

/// GCRA: reserve the next start time, `ARGV[1]` microseconds after the last one, on Redis's
/// clock; returns the microseconds to wait before starting.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1000)
return tat - now
";

/// Why Redis could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The URL is not a Redis URL.
    #[error("--redis-url: {0}")]
    BadUrl(String),
}

/// The connection to Redis and what is known of its health.
pub struct SharedStore {
    conn: ConnectionManager,
    gcra: redis::Script,
    /// [`UNKNOWN`], [`UP`] or [`DOWN`]: what the last operation found.
    health: AtomicU8,
    up: watch::Sender<bool>,
}

/// No operation has run yet.
const UNKNOWN: u8 = 0;
/// The last operation reached Redis.
const UP: u8 = 1;
/// The last operation could not reach Redis.
const DOWN: u8 = 2;

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore")
            .field("up", &(self.health.load(Ordering::Relaxed) == UP))
            .finish_non_exhaustive()
    }
}

impl SharedStore {
    /// Prepares the connection (made on first use, so a Redis that is down at start-up does not
    /// stop the service) and starts the health ping.
    pub fn open(url: &str) -> Result<Arc<Self>, SharedError> {
        let client = redis::Client::open(url).map_err(|e| SharedError::BadUrl(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OPERATION_TIMEOUT))
            .set_response_timeout(Some(OPERATION_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| SharedError::BadUrl(e.to_string()))?;
        let (up, _) = watch::channel(false);
        let store = Arc::new(SharedStore {
            conn,
            gcra: redis::Script::new(GCRA),
            health: AtomicU8::new(UNKNOWN),
            up,
        });
        tokio::spawn(ping(Arc::downgrade(&store)));
        Ok(store)
    }

    /// Follows whether Redis is reachable.
    pub fn up(&self) -> watch::Receiver<bool> {
        self.up.subscribe()
    }

    /// Runs one operation with a timeout, noting whether Redis answered.
    async fn run<T>(
        &self,
        what: &'static str,
        op: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        let result = match tokio::time::timeout(OPERATION_TIMEOUT, op).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {OPERATION_TIMEOUT:?}")),
        };
        self.note(what, result.as_ref().err());
        result.ok()
    }

    /// Logs a change of health once (including the first finding), and tells the watchers.
    fn note(&self, what: &str, error: Option<&String>) {
        let up = error.is_none();
        let now = if up { UP } else { DOWN };
        if self.health.swap(now, Ordering::AcqRel) != now {
            match error {
                None => tracing::info!(
                    "Redis reachable: sharing the result cache and the upstream rate limit"
                ),
                Some(e) => tracing::warn!(operation = what, error = %e,
                    "Redis unreachable: using the local cache and this replica's share of --qps until it is back"),
            }
            self.up.send_replace(up);
        }
    }
}

/// Pings Redis every second while the store lives, so health recovers without traffic.
async fn ping(store: std::sync::Weak<SharedStore>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(store) = store.upgrade() else {
            return;
        };
        let mut conn = store.conn.clone();
        store
            .run("PING", redis::cmd("PING").query_async::<String>(&mut conn))
            .await;
    }
}

fn key(prefix: &str, mobile: Mobile) -> String {
    format!("{prefix}{}", mobile.digits())
}

/// Reads one value, counting what this release refuses.
fn read(stored: &[u8]) -> Option<CheckedLine> {
    match value::decode(stored) {
        Ok(report) => Some(report),
        Err(refused) => {
            let reason = match refused {
                value::Refused::UnknownFormat(_) => "unknown_format",
                value::Refused::Malformed => "malformed",
                value::Refused::UnknownStatus(_) => "unknown_status",
            };
            metrics::counter!(crate::metrics::SHARED_CACHE_REFUSED, "reason" => reason)
                .increment(1);
            tracing::debug!(%refused, "shared cache value refused; the number counts as a miss");
            None
        }
    }
}

impl SharedStore {
    /// `MGET`s the keys of `mobiles` under `prefix`, a chunk at a time; a chunk Redis could not
    /// answer is all misses.
    async fn mget(
        &self,
        prefix: &str,
        mobiles: &[Mobile],
        decode: impl Fn(&[u8]) -> Option<CheckedLine>,
    ) -> Vec<Option<CheckedLine>> {
        let mut found = Vec::with_capacity(mobiles.len());
        for chunk in mobiles.chunks(MGET_CHUNK) {
            let mut conn = self.conn.clone();
            let mut mget = redis::cmd("MGET");
            for &mobile in chunk {
                mget.arg(key(prefix, mobile));
            }
            let query = mget.query_async::<Vec<Option<Vec<u8>>>>(&mut conn);
            match self.run("MGET", query).await {
                Some(values) if values.len() == chunk.len() => {
                    found.extend(values.iter().map(|v| v.as_deref().and_then(&decode)));
                }
                _ => found.extend(chunk.iter().map(|_| None)),
            }
        }
        found
    }
}

impl SharedResults for SharedStore {
    fn get(&self, mobiles: &[Mobile]) -> BoxFuture<'_, Vec<Option<CheckedLine>>> {
        let mobiles = mobiles.to_vec();
        Box::pin(async move {
            let mut found = self.mget(ANSWER_PREFIX, &mobiles, read).await;
            let missing: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
            if !missing.is_empty() {
                let older: Vec<Mobile> = missing.iter().map(|&i| mobiles[i]).collect();
                let text = self
                    .mget(TEXT_ANSWER_PREFIX, &older, value::decode_text_line)
                    .await;
                for (i, report) in missing.into_iter().zip(text) {
                    found[i] = report;
                }
            }
            found
        })
    }

    fn put(&self, entries: Vec<(Mobile, Arc<CheckedLine>, Duration)>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let now = SystemTime::now();
            let mut pipe = redis::pipe();
            for (mobile, report, ttl) in &entries {
                let age = now.duration_since(report.checked_at).unwrap_or_default();
                let left = ttl.saturating_sub(age).as_millis();
                if left == 0 {
                    continue;
                }
                pipe.cmd("SET")
                    .arg(key(ANSWER_PREFIX, *mobile))
                    .arg(value::encode(report))
                    .arg("PX")
                    .arg(u64::try_from(left).unwrap_or(u64::MAX))
                    .ignore();
            }
            let mut conn = self.conn.clone();
            self.run("SET", pipe.query_async::<()>(&mut conn)).await;
        })
    }
}

impl SharedRateLimit for SharedStore {
    fn reserve(&self, interval: Duration) -> BoxFuture<'_, Option<Duration>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let micros = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX);
            let mut invocation = self.gcra.key(RATE_KEY);
            invocation.arg(micros);
            let wait: i64 = self.run("GCRA", invocation.invoke_async(&mut conn)).await?;
            Some(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
        })
    }
}
