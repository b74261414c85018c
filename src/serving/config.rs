//! The flags of `phonecheck serve`, with their environment fallbacks, validated once at
//! start-up into a [`ServeConfig`]. The flag and variable names are a contract (see
//! docs/configuration.md); bad configuration stops start-up with one line naming the flag.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::checking::cache::{BYTES_PER_ENTRY, CacheConfig};
use crate::checking::pipeline::Limits;
use crate::checking::segments::{Segments, SegmentsError};
use crate::checking::upstream::{RetryPolicy, Token, UPSTREAM_MAX_BATCH};
use crate::jobs::PostgresOptions;
use crate::usage::UsageConfig;

/// The real upstream endpoint.
pub const DEFAULT_UPSTREAM_URL: &str = "https://v2.alapi.cn/api/phonecheck";

/// Flags of `phonecheck serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to serve gRPC on.
    #[arg(long, env = "PHONECHECK_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// On SIGTERM or Ctrl-C, how long calls already running may take to finish (e.g. 30s, 2m)
    /// before the process stops anyway. New calls are refused meanwhile.
    #[arg(long, env = "PHONECHECK_SHUTDOWN_GRACE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,

    /// Serve gRPC over TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "PHONECHECK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "PHONECHECK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by this CA (PEM): mutual TLS.
    #[arg(long, env = "PHONECHECK_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Require an API key on every PhoneCheck call: one `name:key[:qps[:budget]]` a line, the
    /// budget `N/day` or `N/month` (reloaded on SIGHUP). Without it the API is open to anyone
    /// who can reach it.
    #[arg(long, env = "PHONECHECK_API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,

    /// The number blocks allocated to mobile carriers, one prefix (3 to 7 digits) a line,
    /// instead of the built-in table; numbers outside them are answered INVALID unbilled.
    #[arg(long, env = "PHONECHECK_SEGMENTS_FILE")]
    pub segments_file: Option<PathBuf>,

    /// Also serve the ALAPI-compatible HTTP endpoint (POST /api/phonecheck) on this address.
    #[arg(long, env = "PHONECHECK_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,

    /// Where durable jobs (CreateJob) are stored: a SQLite database in this directory,
    /// created when missing.
    #[arg(long, env = "PHONECHECK_DATA_DIR", default_value = "phonecheck-data")]
    pub data_dir: PathBuf,

    /// How long a job's results are kept after it ends (e.g. 7d, 12h).
    #[arg(long, env = "PHONECHECK_JOB_RETENTION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub job_retention: Duration,

    /// The time zone whose days (and months) the usage ledger counts in: an IANA name such
    /// as Asia/Shanghai.
    #[arg(long, env = "PHONECHECK_USAGE_TIMEZONE", default_value = "UTC", value_parser = parse_zone)]
    pub usage_timezone: jiff::tz::TimeZone,

    /// How long the usage ledger keeps a day (e.g. 400d).
    #[arg(long, env = "PHONECHECK_USAGE_RETENTION", default_value = "400d", value_parser = humantime::parse_duration)]
    pub usage_retention: Duration,

    /// Names of API keys (in --api-keys-file) that may read every caller's usage, not only
    /// their own (comma-separated).
    #[arg(long, env = "PHONECHECK_ADMIN_KEYS", value_delimiter = ',')]
    pub admin_keys: Vec<String>,

    /// Keep jobs in this PostgreSQL database (postgres://user:password@host:5432/db), shared
    /// by every replica, instead of SQLite in --data-dir.
    #[arg(long, env = "PHONECHECK_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Certificate authorities (PEM) to trust for TLS to the database, beside the system's.
    #[arg(long, env = "PHONECHECK_DATABASE_CA_FILE", requires = "database_url")]
    pub database_ca_file: Option<PathBuf>,

    /// Most connections to the database this replica opens.
    #[arg(long, env = "PHONECHECK_DATABASE_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub database_pool_size: u32,

    /// Report NOT_SERVING on health while the database is unreachable (by default live
    /// checks go on and only job calls fail).
    #[arg(long, env = "PHONECHECK_REQUIRE_DATABASE", requires = "database_url")]
    pub require_database: bool,

    /// Jobs this replica checks at the same time; the rest wait, oldest first.
    #[arg(long, env = "PHONECHECK_MAX_RUNNING_JOBS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_running_jobs: u32,

    /// How long a replica's claim on a running job lasts unless renewed: another replica takes
    /// over the jobs of one that died this long after (1s to 10m).
    #[arg(long, env = "PHONECHECK_JOB_LEASE", default_value = "30s", value_parser = parse_lease)]
    pub job_lease: Duration,

    /// The largest file the web console accepts (e.g. 200MB, 1GiB).
    #[arg(long, env = "PHONECHECK_MAX_UPLOAD", default_value = "200MB",
          value_parser = parse_size)]
    pub max_upload: u64,

    /// A file holding the secret that signs webhooks (HMAC-SHA256). With it, a job may carry
    /// a callback_url, announced when the job ends; without it, such a job is refused.
    #[arg(long, env = "PHONECHECK_WEBHOOK_SECRET_FILE")]
    pub webhook_secret_file: Option<PathBuf>,

    /// Allow callback URLs whose host is a loopback, private or link-local address (a
    /// receiver on this machine or network); refused by default.
    #[arg(
        long,
        env = "PHONECHECK_WEBHOOK_ALLOW_PRIVATE",
        requires = "webhook_secret_file"
    )]
    pub webhook_allow_private: bool,

    /// How long a webhook attempt waits for the receiver's answer before it counts as failed.
    #[arg(long, env = "PHONECHECK_WEBHOOK_TIMEOUT", default_value = "10s",
          value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// Serve Prometheus metrics (GET /metrics) on this address.
    #[arg(long, env = "PHONECHECK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Traces exported to an OpenTelemetry collector (`--otlp-endpoint` and the flags beside
    /// it); read by the binary when it sets up logs, before the server starts.
    #[command(flatten)]
    pub traces: crate::traces::TraceArgs,

    /// Most calls open at once on one client connection (HTTP/2 streams).
    #[arg(long, env = "PHONECHECK_MAX_CONCURRENT_STREAMS", default_value_t = ConnectionLimits::default().max_concurrent_streams,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_streams: u32,

    /// How often an idle client connection is pinged (HTTP/2 keepalive); one that does not
    /// answer within 20 s is closed, so dead clients do not hold calls open.
    #[arg(long, env = "PHONECHECK_HTTP2_KEEPALIVE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub http2_keepalive: Duration,

    /// Most distinct numbers queued for the upstream or in flight, over every caller: beyond
    /// it streams wait and Check calls get RESOURCE_EXHAUSTED (SERVER_BUSY), so memory stays
    /// bounded however many callers there are.
    #[arg(
        long,
        env = "PHONECHECK_MAX_QUEUED_NUMBERS",
        default_value_t = 1_000_000
    )]
    pub max_queued_numbers: usize,

    /// The upstream endpoint.
    #[arg(long, env = "ALAPI_URL", default_value = DEFAULT_UPSTREAM_URL)]
    pub upstream_url: String,

    /// A file holding the upstream token (else the ALAPI_TOKEN environment variable is used).
    #[arg(long, env = "ALAPI_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,

    /// Start the built-in simulated upstream on loopback and use it: no token, no network, no bill.
    #[arg(long)]
    pub demo: bool,

    /// Most numbers per upstream call (the upstream allows 2000).
    #[arg(long, env = "PHONECHECK_MAX_BATCH", default_value_t = 2000,
          value_parser = clap::value_parser!(u16).range(1..=UPSTREAM_MAX_BATCH as i64))]
    pub max_batch: u16,

    /// Most upstream calls started per second, across all callers (the upstream's QPS limit;
    /// 0 = no limit).
    #[arg(long, env = "PHONECHECK_UPSTREAM_QPS", default_value_t = 10)]
    pub qps: u32,

    /// How long, in milliseconds, a queued number waits for others to fill its batch
    /// (0 = send at once).
    #[arg(long, env = "PHONECHECK_LINGER_MS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub linger_ms: u64,

    /// Most upstream calls in flight at once.
    #[arg(long, env = "PHONECHECK_CONCURRENCY", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Longest wait for one upstream call, in milliseconds.
    #[arg(long, env = "PHONECHECK_UPSTREAM_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub upstream_timeout_ms: u64,

    /// Retries of an upstream call after a 429, 5xx, connection error or timeout.
    #[arg(long, env = "PHONECHECK_RETRIES", default_value_t = 3,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    pub retries: u8,

    /// Most inputs in one Check call.
    #[arg(long, env = "PHONECHECK_MAX_CHECK_NUMBERS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_check_numbers: u32,

    /// Most inputs in one CheckStream call.
    #[arg(long, env = "PHONECHECK_MAX_STREAM_NUMBERS", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub max_stream_numbers: u32,

    /// Most answers kept in the in-process result cache (0 = none); about 50 bytes each.
    #[arg(long, env = "PHONECHECK_CACHE_ENTRIES", default_value_t = 1_000_000)]
    pub cache_entries: u64,

    /// The in-process result cache's memory budget instead of a count (e.g. 512MiB): as many
    /// answers as fit at about 50 bytes each.
    #[arg(long, env = "PHONECHECK_CACHE_MEMORY", value_parser = parse_size)]
    pub cache_memory: Option<u64>,

    /// How long a cached answer stays fresh (e.g. 24h, 90m).
    #[arg(long, env = "PHONECHECK_CACHE_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub cache_ttl: Duration,

    /// How long a cached SUSPENDED or RISK answer stays fresh: these change when a bill is
    /// paid or a flag is lifted.
    #[arg(long, env = "PHONECHECK_CACHE_TTL_SHORT", default_value = "6h", value_parser = humantime::parse_duration)]
    pub cache_ttl_short: Duration,

    /// Share the result cache and the upstream rate limit with other replicas through this
    /// Redis (e.g. redis://10.0.0.5:6379/0). Needs the `redis` build feature.
    #[arg(long, env = "PHONECHECK_REDIS_URL")]
    pub redis_url: Option<String>,

    /// How many replicas share the upstream account: while Redis is unreachable, each keeps to
    /// --qps divided by this.
    #[arg(long, env = "PHONECHECK_REPLICAS_HINT", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replicas_hint: u32,

    /// Report NOT_SERVING on health while Redis is unreachable (by default the service keeps
    /// serving on its local cache and limit).
    #[arg(long, env = "PHONECHECK_REQUIRE_REDIS", requires = "redis_url")]
    pub require_redis: bool,

    /// Most inputs in one CheckBulk message (a bulk stream itself has no limit).
    #[arg(long, env = "PHONECHECK_MAX_BULK_CHUNK", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_bulk_chunk: u32,
}

/// How long connecting to the database, or waiting for a pooled connection, may take.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);

/// PostgreSQL for jobs.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// How to reach it.
    pub options: PostgresOptions,
    /// Report NOT_SERVING while it is unreachable.
    pub require: bool,
}

/// `--job-lease`: a duration from 1 s to 10 min (shorter renews too often to be safe on a
/// loaded machine; longer leaves a dead replica's jobs waiting too long).
fn parse_lease(text: &str) -> Result<Duration, String> {
    let lease = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if !(Duration::from_secs(1)..=Duration::from_secs(600)).contains(&lease) {
        return Err(format!("{text} is outside 1s..10m"));
    }
    Ok(lease)
}

/// Where the upstream is and how to reach it.
#[derive(Debug, Clone)]
pub enum UpstreamTarget {
    /// The built-in simulator, started by `serve`.
    Demo,
    /// A real (or externally run mock) upstream.
    Remote {
        /// The endpoint.
        url: String,
        /// The account token.
        token: Token,
    },
}

/// The server's validated configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to serve gRPC on.
    pub listen: SocketAddr,
    /// Address of the ALAPI-compatible HTTP endpoint, if any.
    pub http_listen: Option<SocketAddr>,
    /// The API keys file, if callers must authenticate.
    pub api_keys_file: Option<PathBuf>,
    /// A segments table read from `--segments-file`, to install before any number is parsed;
    /// `None` keeps the built-in one.
    pub segments: Option<Segments>,
    /// How long running calls may finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// The upstream to use.
    pub upstream: UpstreamTarget,
    /// Most numbers per upstream call.
    pub max_batch: usize,
    /// Most upstream calls in flight.
    pub concurrency: usize,
    /// Most upstream calls started per second; `None` = no limit.
    pub qps: Option<NonZeroU32>,
    /// How long a queued number waits for others to fill its batch.
    pub linger: Duration,
    /// Longest wait for one upstream call.
    pub upstream_timeout: Duration,
    /// How upstream calls are retried.
    pub retry: RetryPolicy,
    /// Inputs per call.
    pub limits: Limits,
    /// The result cache.
    pub cache: CacheConfig,
    /// Sharing with other replicas through Redis.
    pub redis: Option<RedisConfig>,
    /// TLS for the gRPC port, if configured.
    pub tls: Option<TlsFiles>,
    /// Address of the Prometheus metrics endpoint, if any.
    pub metrics_listen: Option<SocketAddr>,
    /// Where jobs are stored when no database is set (a SQLite file in this directory).
    pub data_dir: PathBuf,
    /// PostgreSQL for jobs instead of SQLite, when `--database-url` is set.
    pub database: Option<DatabaseConfig>,
    /// How long ended jobs are kept.
    pub job_retention: Duration,
    /// How the usage ledger counts days and how long it keeps them.
    pub usage: UsageConfig,
    /// Key names that may read every caller's usage.
    pub admin_keys: Vec<String>,
    /// Jobs this replica checks at the same time.
    pub max_running_jobs: usize,
    /// How long a claim on a running job lasts unless renewed.
    pub job_lease: Duration,
    /// Limits on client connections.
    pub connections: ConnectionLimits,
    /// Most distinct numbers queued for the upstream or in flight.
    pub max_queued_numbers: usize,
    /// Webhooks, when `--webhook-secret-file` is set.
    pub webhooks: Option<WebhookSettings>,
    /// The largest file the web console accepts, in bytes.
    pub max_upload: u64,
}

/// How job ends are announced.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The signing secret.
    pub secret: std::sync::Arc<[u8]>,
    /// Callbacks to loopback and private addresses are allowed.
    pub allow_private: bool,
    /// How long an attempt waits for an answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("allow_private", &self.allow_private)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// How many of its numbers one stream keeps queued or in flight: every upstream call in
    /// flight full, plus two batches waiting, so the upstream never idles for lack of numbers
    /// and a slow reader holds at most this many.
    pub fn stream_window(&self) -> usize {
        self.max_batch * (self.concurrency + 2)
    }
}

/// Limits on client connections, against clients that hold too much or vanish.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most calls open at once on one connection.
    pub max_concurrent_streams: u32,
    /// Interval of HTTP/2 keepalive pings on an idle connection.
    pub http2_keepalive: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_concurrent_streams: 1024,
            http2_keepalive: Duration::from_secs(60),
        }
    }
}

/// The PEM files of `--tls-cert`, `--tls-key` and `--tls-client-ca`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The CA client certificates must be signed by (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// Sharing with other replicas through Redis.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// The Redis URL.
    pub url: String,
    /// Replicas sharing the upstream account; the local limit while Redis is down is
    /// `qps / replicas_hint`.
    pub replicas_hint: u32,
    /// Health says NOT_SERVING while Redis is down.
    pub require: bool,
}

/// A configuration problem, named by its flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--segments-file` could not be read or has a bad line.
    #[error("--segments-file: {0}")]
    Segments(SegmentsError),
    /// Neither a token nor `--demo`.
    #[error(
        "no upstream token: set ALAPI_TOKEN or pass --token-file FILE, \
         or run with --demo to use the built-in simulated upstream"
    )]
    NoToken,
    /// The token file could not be read.
    #[error("--token-file {path}: {source}")]
    TokenFile {
        /// The file given.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The token file or variable holds nothing.
    #[error("{0} holds an empty token")]
    EmptyToken(String),
    /// `--redis-url` on a build without the `redis` feature.
    #[error(
        "--redis-url needs phonecheck built with the redis feature (cargo build --release --features redis)"
    )]
    NoRedisFeature,
    /// The queue cap is below what a single call may queue at once.
    #[error(
        "--max-queued-numbers {given} is below what one call may queue ({needed}: the largest of \
         --max-check-numbers, --max-bulk-chunk and --max-batch × (--concurrency + 2)); raise it"
    )]
    QueueCapTooSmall {
        /// The cap given.
        given: usize,
        /// The least it may be.
        needed: usize,
    },
    /// `--database-url` is not a PostgreSQL URL (the URL is not repeated: it may hold a
    /// password).
    #[error("--database-url must start with postgres:// or postgresql://")]
    BadDatabaseUrl,
    /// The URL is not http(s).
    #[error("--upstream-url {0:?} must start with http:// or https://")]
    BadUrl(String),
    /// The webhook secret cannot be read or is empty.
    #[error("--webhook-secret-file {}: {problem}", path.display())]
    WebhookSecret {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// A time zone by its IANA name (the database is built in, so the host needs none).
fn parse_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name.trim())
        .map_err(|_| format!("{name:?} is not a time zone name like UTC or Asia/Shanghai"))
}

/// A size such as `200MB`, `1.5GiB` or `1000000` (bytes).
fn parse_size(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("{s:?} is not a size like 200MB ({e})"))
}

impl ServeArgs {
    /// Validates the flags; `token_env` is the value of `ALAPI_TOKEN`, if set.
    pub fn into_config(self, token_env: Option<String>) -> Result<ServeConfig, ConfigError> {
        let upstream = if self.demo {
            UpstreamTarget::Demo
        } else {
            let token = match (&self.token_file, token_env) {
                (Some(path), _) => {
                    let text =
                        std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFile {
                            path: path.clone(),
                            source,
                        })?;
                    non_empty(Token::new(text), format!("--token-file {}", path.display()))?
                }
                (None, Some(env)) => non_empty(Token::new(env), "ALAPI_TOKEN".to_owned())?,
                (None, None) => return Err(ConfigError::NoToken),
            };
            if !(self.upstream_url.starts_with("http://")
                || self.upstream_url.starts_with("https://"))
            {
                return Err(ConfigError::BadUrl(self.upstream_url));
            }
            UpstreamTarget::Remote {
                url: self.upstream_url,
                token,
            }
        };
        let redis = match self.redis_url {
            Some(url) if cfg!(feature = "redis") => Some(RedisConfig {
                url,
                replicas_hint: self.replicas_hint,
                require: self.require_redis,
            }),
            Some(_) => return Err(ConfigError::NoRedisFeature),
            None => None,
        };
        let config = ServeConfig {
            redis,
            metrics_listen: self.metrics_listen,
            data_dir: self.data_dir,
            database: match self.database_url {
                Some(url) => {
                    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                        return Err(ConfigError::BadDatabaseUrl);
                    }
                    Some(DatabaseConfig {
                        options: PostgresOptions {
                            url,
                            ca_file: self.database_ca_file,
                            pool_size: self.database_pool_size as usize,
                            timeout: DATABASE_TIMEOUT,
                            idle_transaction_timeout: self.job_lease,
                        },
                        require: self.require_database,
                    })
                }
                None => None,
            },
            job_retention: self.job_retention,
            usage: UsageConfig {
                zone: self.usage_timezone,
                retention_days: u32::try_from(self.usage_retention.as_secs() / 86_400)
                    .unwrap_or(u32::MAX)
                    .max(1),
            },
            admin_keys: self.admin_keys,
            max_running_jobs: self.max_running_jobs as usize,
            job_lease: self.job_lease,
            connections: ConnectionLimits {
                max_concurrent_streams: self.max_concurrent_streams,
                http2_keepalive: self.http2_keepalive,
            },
            max_queued_numbers: self.max_queued_numbers,
            max_upload: self.max_upload,
            webhooks: match self.webhook_secret_file {
                None => None,
                Some(path) => {
                    let secret = std::fs::read(&path).map_err(|e| ConfigError::WebhookSecret {
                        path: path.clone(),
                        problem: e.to_string(),
                    })?;
                    let secret = secret.trim_ascii();
                    if secret.len() < 16 {
                        return Err(ConfigError::WebhookSecret {
                            path,
                            problem: "the secret must be at least 16 bytes".to_owned(),
                        });
                    }
                    Some(WebhookSettings {
                        secret: secret.into(),
                        allow_private: self.webhook_allow_private,
                        timeout: self.webhook_timeout,
                    })
                }
            },
            listen: self.listen,
            http_listen: self.http_listen,
            api_keys_file: self.api_keys_file,
            segments: self
                .segments_file
                .as_deref()
                .map(Segments::load)
                .transpose()
                .map_err(ConfigError::Segments)?,
            shutdown_grace: self.shutdown_grace,
            tls: match (self.tls_cert, self.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert,
                    key,
                    client_ca: self.tls_client_ca,
                }),
                _ => None,
            },
            upstream,
            max_batch: usize::from(self.max_batch),
            concurrency: usize::from(self.concurrency),
            qps: NonZeroU32::new(self.qps),
            linger: Duration::from_millis(self.linger_ms),
            upstream_timeout: Duration::from_millis(self.upstream_timeout_ms),
            retry: RetryPolicy {
                max_retries: usize::from(self.retries),
                ..RetryPolicy::default()
            },
            limits: Limits {
                max_check_numbers: self.max_check_numbers as usize,
                max_stream_numbers: self.max_stream_numbers as usize,
                max_bulk_chunk: self.max_bulk_chunk as usize,
            },
            cache: CacheConfig {
                entries: self
                    .cache_memory
                    .map_or(self.cache_entries, |bytes| bytes / BYTES_PER_ENTRY),
                ttl: self.cache_ttl,
                short_ttl: self.cache_ttl_short,
                ..CacheConfig::default()
            },
        };
        let needed = config
            .limits
            .max_check_numbers
            .max(config.limits.max_bulk_chunk)
            .max(config.stream_window());
        if config.max_queued_numbers < needed {
            return Err(ConfigError::QueueCapTooSmall {
                given: config.max_queued_numbers,
                needed,
            });
        }
        Ok(config)
    }
}

fn non_empty(token: Token, source: String) -> Result<Token, ConfigError> {
    if token.is_empty() {
        Err(ConfigError::EmptyToken(source))
    } else {
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `phonecheck serve`'s flags alone, parsed as the binary parses them.
    #[derive(Debug, clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        use clap::Parser;
        let mut argv = vec!["serve"];
        argv.extend_from_slice(args);
        Serve::try_parse_from(argv).map(|s| s.args)
    }

    #[test]
    fn without_token_or_demo_says_how_to_fix_it() {
        let err = serve_args(&[]).unwrap().into_config(None).unwrap_err();
        let line = err.to_string();
        assert!(
            line.contains("ALAPI_TOKEN")
                && line.contains("--token-file")
                && line.contains("--demo"),
            "{line}"
        );
    }

    #[test]
    fn demo_needs_no_token_and_defaults_hold() {
        let c = serve_args(&["--demo"]).unwrap().into_config(None).unwrap();
        assert!(matches!(c.upstream, UpstreamTarget::Demo));
        assert_eq!(c.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(c.max_batch, 2000);
        assert_eq!(c.concurrency, 4);
        assert_eq!(c.qps.map(NonZeroU32::get), Some(10));
        assert_eq!(c.linger, Duration::from_millis(5));
        assert_eq!(c.limits.max_check_numbers, 10_000);
        assert_eq!(c.limits.max_stream_numbers, 1_000_000);
    }

    #[test]
    fn token_comes_from_file_or_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "file-token\n").unwrap();
        let c = serve_args(&["--token-file", file.to_str().unwrap()])
            .unwrap()
            .into_config(Some("env-token".into()))
            .unwrap();
        let UpstreamTarget::Remote { token, url } = c.upstream else {
            panic!("remote expected")
        };
        assert_eq!(token.expose(), "file-token");
        assert_eq!(url, DEFAULT_UPSTREAM_URL);

        let c = serve_args(&[])
            .unwrap()
            .into_config(Some("env-token".into()))
            .unwrap();
        let UpstreamTarget::Remote { token, .. } = c.upstream else {
            panic!("remote expected")
        };
        assert_eq!(token.expose(), "env-token");

        let err = serve_args(&[])
            .unwrap()
            .into_config(Some("  ".into()))
            .unwrap_err();
        assert_eq!(err.to_string(), "ALAPI_TOKEN holds an empty token");
        let missing = dir.path().join("nope");
        let err = serve_args(&["--token-file", missing.to_str().unwrap()])
            .unwrap()
            .into_config(None)
            .unwrap_err();
        assert!(err.to_string().starts_with("--token-file "), "{err}");
    }

    #[test]
    fn out_of_range_flags_are_named() {
        let err = serve_args(&["--demo", "--max-batch", "2001"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--max-batch"), "{err}");
        let err = serve_args(&["--demo", "--concurrency", "0"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--concurrency"), "{err}");
        let err = serve_args(&["--upstream-url", "ftp://x"])
            .unwrap()
            .into_config(Some("t".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--upstream-url"), "{err}");
    }
}
