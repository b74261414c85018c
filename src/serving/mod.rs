//! The serving side: everything that faces callers. [`Server`] binds the gRPC port, the
//! ALAPI-compatible HTTP door and the metrics endpoint, and runs them until a shutdown, with
//! the grace period that bounds it; `main` and the integration tests start the server through
//! it alike, so there is one wiring to get right.
//!
//! - [`config`]: `phonecheck serve`'s flags, validated into a [`ServeConfig`].
//! - `grpc`: the tonic service; translates protobuf to calls of the checking core and jobs.
//! - `alapi_door`: the inbound ALAPI-compatible HTTP door (`--http-listen`); translation only.
//! - `middleware`: what wraps every gRPC call: request ids, metrics, refusal while draining.
//! - `auth`: API keys, checked before a call reaches a handler.
//! - `status`: the one place where errors become gRPC statuses.
//! - `json_api`: the HTTP/JSON API (`/v1/…`, `/openapi.yaml`) on `--http-listen`, transcoded
//!   from the proto's `google.api.http` annotations onto the gRPC stack itself.
//!
//! The gRPC server itself carries the PhoneCheck service with its message limits and
//! compression, health (`grpc.health.v1`), and reflection in both `v1` and `v1alpha` (grpcurl
//! 1.8 speaks only v1alpha) with the descriptor sets of health and of `google.rpc` error
//! details registered, so that `grpcurl list` shows everything and can print error details.

pub(crate) mod alapi_door;
pub(crate) mod auth;
pub(crate) mod builds;
pub mod config;
pub(crate) mod console;
pub(crate) mod encoded_replies;
pub(crate) mod file_downloads;
pub(crate) mod grpc;
pub(crate) mod http_listener;
pub(crate) mod json_api;
pub(crate) mod middleware;
pub(crate) mod parsed_requests;
pub(crate) mod status;

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server as TonicServer;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Request, Status};

use crate::checking::batcher::{Batcher, BatcherConfig};
use crate::checking::cache::ResultCache;
use crate::checking::pipeline::Pipeline;
use crate::checking::upstream::simulator::{self, RunningSimulator, SimulatorConfig};
use crate::checking::upstream::{Token, UpstreamClient, UpstreamClientConfig, UpstreamError};
use crate::jobs::uploads::Uploads;
use crate::jobs::webhooks::Webhooks;
use crate::jobs::{JobStore, JobStoreError, Jobs, JobsConfig, PostgresJobStore, SqliteJobStore};
use crate::serving::grpc::PhoneCheckServer;
use crate::usage::UsageLedger;
use auth::{ApiKeys, KeysFileError};
pub use config::{
    ConnectionLimits, DatabaseConfig, ServeArgs, ServeConfig, TlsFiles, UpstreamTarget,
};
use grpc::{PhoneCheckService, UsageAccess};
pub use http_listener::HEADER_READ_TIMEOUT;
use middleware::{CallLayer, CallerSlot, Draining, PlainHttpLayer};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A descriptor set could not be registered with reflection (a build problem).
    #[error("building the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// A TLS file could not be read.
    #[error("{flag} {}: {source}", path.display())]
    TlsFile {
        /// The flag naming it.
        flag: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The API keys file could not be used.
    #[error(transparent)]
    Keys(#[from] KeysFileError),
    /// The upstream client could not be built.
    #[error("building the upstream client: {0}")]
    Upstream(#[from] UpstreamError),
    /// The job store could not be opened or used.
    #[error(transparent)]
    Jobs(#[from] JobStoreError),
    /// Redis could not be set up.
    #[cfg(feature = "redis")]
    #[error(transparent)]
    Shared(#[from] crate::checking::shared_redis::SharedError),
    /// A listener could not be bound.
    #[error("{flag} {addr}: cannot bind: {source}")]
    Bind {
        /// The flag naming the address.
        flag: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The built-in demo upstream could not start.
    #[error("starting the demo upstream: {0}")]
    Demo(std::io::Error),
    /// The metrics recorder could not be installed.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
    /// The proto's HTTP annotations could not be made into the JSON API's routes.
    #[error("the JSON API: {0}")]
    JsonRoutes(#[from] json_api::RouteError),
}

/// A server bound to its addresses and ready to run: the gRPC port, and when configured the
/// ALAPI-compatible HTTP door and the metrics endpoint. Binding first lets a caller (or a test
/// on `127.0.0.1:0`) learn the addresses before anything is served.
#[derive(Debug)]
pub struct Server {
    grpc: Bound,
    http: Option<Bound>,
    /// The metrics endpoint, with the recorder installed before the parts were made.
    metrics: Option<(Bound, metrics_exporter_prometheus::PrometheusHandle)>,
    assembled: Assembled,
    shutdown_grace: Duration,
    max_message_bytes: usize,
    api_keys_file: Option<std::path::PathBuf>,
    /// The largest upload (`--max-upload`).
    max_upload: u64,
    /// The upstream is the built-in simulator (`--demo`).
    demo: bool,
    /// The built-in upstream of `--demo`, kept alive for as long as the server runs.
    _demo: Option<RunningSimulator>,
}

impl Server {
    /// Assembles the server for `config` and binds its listeners. In demo mode the built-in
    /// simulated upstream starts here, on a loopback port of its own.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServerError> {
        let mut demo = None;
        let (url, token) = match &config.upstream {
            UpstreamTarget::Remote { url, token } => (url.clone(), token.clone()),
            UpstreamTarget::Demo => {
                let token = Token::new("demo");
                let running = simulator::spawn(SimulatorConfig {
                    token: Some(token.clone()),
                    ..SimulatorConfig::default()
                })
                .await
                .map_err(ServerError::Demo)?;
                let url = running.url();
                tracing::warn!(%url, "DEMO MODE: results are simulated by the built-in mock upstream; nothing real is checked or billed");
                demo = Some(running);
                (url, token)
            }
        };
        // Opened before anything listens, so a bad store stops start-up with one line.
        let store: Arc<dyn JobStore> = match &config.database {
            Some(database) => Arc::new(PostgresJobStore::open(database.options.clone()).await?),
            None => Arc::new(SqliteJobStore::open(&config.data_dir)?),
        };
        // The recorder goes in before the parts are made, so what they record at their start
        // (the queue's capacity) is kept.
        let metrics = match config.metrics_listen {
            Some(addr) => Some((
                bind("--metrics-listen", addr).await?,
                crate::metrics::install()?,
            )),
            None => None,
        };
        let assembled = assemble(&config, url.clone(), token, store)?;
        let grpc = bind("--listen", config.listen).await?;
        let http = match config.http_listen {
            Some(addr) => Some(bind("--http-listen", addr).await?),
            None => None,
        };
        tracing::info!(addr = %grpc.addr, upstream = %url, qps = config.qps.map_or(0, |q| q.get()),
            max_batch = config.max_batch, linger_ms = config.linger.as_millis() as u64,
            concurrency = config.concurrency, tls = config.tls.is_some(),
            mutual_tls = config.tls.as_ref().is_some_and(|t| t.client_ca.is_some()),
            "phonecheck listening (gRPC)");
        Ok(Server {
            grpc,
            http,
            metrics,
            assembled,
            shutdown_grace: config.shutdown_grace,
            max_message_bytes: max_message_bytes(config.limits.max_stream_numbers),
            api_keys_file: config.api_keys_file.clone(),
            max_upload: config.max_upload,
            demo: matches!(config.upstream, UpstreamTarget::Demo),
            _demo: demo,
        })
    }

    /// The gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.addr
    }

    /// The ALAPI-compatible HTTP door's address, when `--http-listen` is set.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(|b| b.addr)
    }

    /// The metrics endpoint's address, when `--metrics-listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(b, _)| b.addr)
    }

    /// Serves until `shutdown` completes, then drains: health turns NOT_SERVING, new calls get
    /// UNAVAILABLE, open calls run to their end for at most the shutdown grace, and jobs store
    /// the answers of the batches they have out.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ServerError> {
        let Server {
            grpc,
            http,
            metrics,
            assembled,
            shutdown_grace,
            max_message_bytes,
            api_keys_file,
            max_upload,
            demo,
            _demo,
        } = self;
        let addr = grpc.addr;
        match &assembled.keys {
            Some(keys) => {
                tracing::info!(file = ?api_keys_file, "API keys required (reloaded on SIGHUP)");
                tokio::spawn(auth::reload_on_sighup(
                    keys.clone(),
                    assembled.ledger.clone(),
                ));
            }
            None if addr.ip().is_loopback() => tracing::info!(
                "no --api-keys-file: the API is open to anyone who can reach this loopback address"
            ),
            None => tracing::warn!(%addr,
                "NO API KEYS on a non-loopback address: anyone who can reach it spends the upstream account's money; set --api-keys-file"),
        }
        if let Some((Bound { listener, addr }, handle)) = metrics {
            tracing::info!(%addr, "metrics listening: GET /metrics");
            // Served until the process ends, so the last scrapes see the shutdown too.
            tokio::spawn(async move {
                if let Err(e) =
                    crate::metrics::serve(listener, handle, std::future::pending()).await
                {
                    tracing::error!(error = %e, "the metrics endpoint stopped");
                }
            });
        }
        let ledger = assembled.ledger.clone();
        tokio::spawn(ledger.clone().run(std::future::pending()));
        let (signalled, on_signal) = watch::channel(false);
        // The job runtime first: the gRPC service and the web console both speak to it.
        let jobs = Jobs::start(
            assembled.store.clone(),
            assembled.pipeline.clone(),
            assembled.jobs,
            assembled.webhooks.clone(),
        )
        .await?;
        let draining = Draining::default();
        // Both kept by this replica: files waiting to become jobs, downloads being built.
        let uploads = Uploads::new(std::env::temp_dir(), max_upload);
        let builds = builds::Builds::default();
        let phonecheck = phonecheck_service(
            &assembled,
            PhoneCheckService::new(
                assembled.pipeline.clone(),
                jobs.clone(),
                usage_access(&assembled),
                uploads,
                builds.clone(),
            ),
            max_message_bytes,
        );
        let http_addr = http.as_ref().map(|b| b.addr);
        if let Some(Bound { listener, addr }) = http {
            tracing::info!(%addr, "HTTP listening: the web console at /, the JSON API at /v1/ (/openapi.yaml), the ALAPI-compatible door at POST /api/phonecheck");
            let stack = json_api::GrpcStack::new(tower::Layer::layer(
                &CallLayer::new(draining.clone()),
                tonic::service::Routes::new(phonecheck.clone()),
            ));
            let json = json_api::router(json_api::JsonApi::new(
                stack,
                builds.clone(),
                json_api::Limits {
                    max_message_bytes,
                    max_chunk: assembled.jobs.max_chunk,
                    max_upload,
                },
            )?);
            let door = alapi_door::router(assembled.pipeline.clone(), assembled.keys.clone());
            let console = console::router(console::Console {
                keys_required: assembled.keys.is_some(),
                demo,
            });
            let mut stop = on_signal.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                let app = console
                    .merge(door)
                    .merge(json)
                    .layer(axum::middleware::from_fn(middleware::traced_http));
                http_listener::serve(listener, app, stopped).await;
            });
        }
        let serving = serve_grpc(
            grpc.listener,
            assembled,
            jobs,
            phonecheck,
            draining,
            http_addr,
            async move {
                shutdown.await;
                let _ = signalled.send(true);
            },
        );
        let mut grace = on_signal;
        tokio::select! {
            result = serving => result?,
            // tonic waits for every open connection to close; a client that never lets go
            // must not keep the process alive past the grace period.
            _ = async {
                let _ = grace.wait_for(|s| *s).await;
                tokio::time::sleep(shutdown_grace).await;
            } => tracing::warn!(grace = ?shutdown_grace, "open calls did not finish in time; stopping anyway"),
        }
        // Calls and jobs have stopped: what they spent since the last write is written now.
        if let Err(e) = ledger.flush().await {
            tracing::error!(error = %e, "the usage ledger's last second could not be written");
        }
        tracing::info!("phonecheck stopped");
        Ok(())
    }
}

/// A listener and the address it is bound to (the port chosen, for `:0`).
#[derive(Debug)]
struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

/// Binds the address `flag` names; an error names the flag.
async fn bind(flag: &'static str, addr: SocketAddr) -> Result<Bound, ServerError> {
    let failed = |source| ServerError::Bind { flag, addr, source };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let addr = listener.local_addr().map_err(failed)?;
    Ok(Bound { listener, addr })
}

/// The parts the server runs: the pipeline, and what health follows.
#[derive(Debug)]
struct Assembled {
    /// The check pipeline.
    pub pipeline: Arc<Pipeline>,
    /// What must be reachable to serve (Redis with `--require-redis`, the database with
    /// `--require-database`): health says NOT_SERVING while one is not.
    pub ready: Vec<watch::Receiver<bool>>,
    /// The API keys callers must present, when `--api-keys-file` is set.
    pub keys: Option<Arc<ApiKeys>>,
    /// TLS for the gRPC port, when `--tls-cert` is set.
    pub tls: Option<ServerTlsConfig>,
    /// Limits on client connections.
    pub connections: ConnectionLimits,
    /// The job store, opened at bind (so a bad `--data-dir` or database stops start-up).
    pub store: Arc<dyn JobStore>,
    /// How jobs run.
    pub jobs: JobsConfig,
    /// How job ends are announced, when webhooks are on.
    pub webhooks: Option<Webhooks>,
    /// The usage ledger every call and job is charged to.
    pub ledger: Arc<UsageLedger>,
    /// Key names that may read every caller's usage.
    pub admin_keys: HashSet<String>,
}

/// Builds the check pipeline for `config`, calling the upstream at `url` with `token` (which
/// may be the simulator's, in demo mode), sharing cache and rate limit through Redis when
/// configured.
fn assemble(
    config: &ServeConfig,
    url: String,
    token: Token,
    store: Arc<dyn JobStore>,
) -> Result<Assembled, ServerError> {
    // Changed below only when built with the redis feature.
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut client_config = UpstreamClientConfig {
        url,
        token,
        timeout: config.upstream_timeout,
        concurrency: config.concurrency,
        qps: config.qps,
        retry: config.retry,
        shared_limit: None,
        replicas_hint: 1,
    };
    // Changed below only when built with the redis feature.
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut cache = ResultCache::new(config.cache.clone());
    let mut ready = Vec::new();
    #[cfg(feature = "redis")]
    if let Some(redis) = &config.redis {
        let store = crate::checking::shared_redis::SharedStore::open(&redis.url)?;
        client_config.shared_limit = Some(store.clone());
        client_config.replicas_hint = redis.replicas_hint;
        cache = ResultCache::with_shared(config.cache.clone(), store.clone());
        if redis.require {
            ready.push(store.up());
        }
    }
    let client = UpstreamClient::new(client_config)?;
    let cache = Arc::new(cache);
    let ledger = UsageLedger::new(store.clone(), config.usage.clone());
    let batcher = Batcher::new(
        client,
        cache.clone(),
        ledger.clone(),
        BatcherConfig {
            max_batch: config.max_batch,
            linger: config.linger,
            max_queued: config.max_queued_numbers,
        },
    );
    let pipeline = Arc::new(
        Pipeline::new(batcher, cache, config.limits, config.stream_window())
            .with_ledger(ledger.clone()),
    );
    let keys = match &config.api_keys_file {
        Some(path) => Some(Arc::new(ApiKeys::load(path)?)),
        None => None,
    };
    if let Some(keys) = &keys {
        ledger.set_budgets(keys.budgets());
    }
    if config.database.as_ref().is_some_and(|d| d.require) {
        ready.extend(store.up());
    }
    let tls = config.tls.as_ref().map(tls_config).transpose()?;
    let jobs = JobsConfig {
        max_chunk: config.limits.max_bulk_chunk,
        retention: config.job_retention,
        max_running: config.max_running_jobs,
        lease: config.job_lease,
    };
    let webhooks = config.webhooks.as_ref().map(|w| Webhooks {
        secret: w.secret.clone(),
        allow_private: w.allow_private,
        timeout: w.timeout,
        give_up_after: Duration::from_secs(24 * 3600),
        encode: Arc::new(json_api::job_json),
    });
    Ok(Assembled {
        webhooks,
        ledger,
        admin_keys: config.admin_keys.iter().cloned().collect(),
        pipeline,
        ready,
        keys,
        tls,
        connections: config.connections,
        store,
        jobs,
    })
}

/// The largest request message accepted: enough for `max_stream_numbers` numbers in generous
/// spellings ("+86 131-1111-1111" and its field framing fit in 32 bytes), and never below the
/// gRPC default of 4 MiB.
pub fn max_message_bytes(max_stream_numbers: usize) -> usize {
    max_stream_numbers.saturating_mul(32).max(4 * 1024 * 1024)
}

/// How long an HTTP/2 keepalive ping may go unanswered before the connection is closed.
const KEEPALIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The PhoneCheck service as both doors call it: behind the API-key check, with its message
/// limit and compression.
type PhoneCheckStack = InterceptedService<PhoneCheckServer<PhoneCheckService>, Authenticate>;

/// Who may read which rows of `assembled`'s usage ledger.
fn usage_access(assembled: &Assembled) -> UsageAccess {
    UsageAccess {
        ledger: assembled.ledger.clone(),
        admins: assembled.admin_keys.clone(),
        keys_required: assembled.keys.is_some(),
    }
}

/// `service` behind `assembled`'s API keys, accepting messages up to `max_message_bytes`.
fn phonecheck_service(
    assembled: &Assembled,
    service: PhoneCheckService,
    max_message_bytes: usize,
) -> PhoneCheckStack {
    let phonecheck = PhoneCheckServer::new(service)
        .max_decoding_message_size(max_message_bytes)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    // Health and reflection stay open: load balancers and grpcurl need them without a key.
    InterceptedService::new(
        phonecheck,
        Authenticate {
            keys: assembled.keys.clone(),
        },
    )
}

/// The API-key check in front of the PhoneCheck service ([`authenticate`]).
#[derive(Debug, Clone)]
struct Authenticate {
    keys: Option<Arc<ApiKeys>>,
}

impl tonic::service::Interceptor for Authenticate {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        authenticate(self.keys.as_deref(), request)
    }
}

/// Serves the PhoneCheck API, health and reflection on `listener` until `shutdown` completes;
/// then health turns NOT_SERVING, new PhoneCheck calls get UNAVAILABLE, and the calls already
/// open run to their end (the caller bounds how long it waits for that).
async fn serve_grpc(
    listener: TcpListener,
    assembled: Assembled,
    jobs: Arc<Jobs>,
    phonecheck: PhoneCheckStack,
    draining: Draining,
    http: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let Assembled {
        pipeline,
        ready,
        tls,
        connections,
        ..
    } = assembled;
    let (jobs_to_pause, jobs_to_wait_for) = (jobs.clone(), jobs);
    tokio::spawn(log_totals(Arc::downgrade(&pipeline)));

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<PhoneCheckServer<PhoneCheckService>>()
        .await;
    let follow =
        (!ready.is_empty()).then(|| tokio::spawn(follow_readiness(health_reporter.clone(), ready)));

    let reflection_v1 = reflection_builder().build_v1()?;
    let reflection_v1alpha = reflection_builder().build_v1alpha()?;

    let mut builder = TonicServer::builder()
        .max_concurrent_streams(Some(connections.max_concurrent_streams))
        .http2_keepalive_interval(Some(connections.http2_keepalive))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        // gRPC-Web (browsers) arrives over HTTP/1.1; plain gRPC clients are not affected.
        .accept_http1(true)
        .layer(PlainHttpLayer::new(http))
        .layer(browser_cors())
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(CallLayer::new(draining.clone()))
        .add_service(phonecheck)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
            shutdown.await;
            draining.start();
            // Jobs stop sending at once; their batches out are stored before the end (below).
            tokio::spawn(async move { jobs_to_pause.pause().await });
            if let Some(follow) = follow {
                follow.abort();
            }
            // Clients still connected (and watching health) learn to go elsewhere while open
            // calls finish.
            health_reporter
                .set_not_serving::<PhoneCheckServer<PhoneCheckService>>()
                .await;
        })
        .await?;
    // Every connection is closed; wait for the jobs to store what they have out (pause is
    // idempotent: this is the same wait the shutdown started).
    jobs_to_wait_for.pause().await;
    Ok(())
}

/// Health follows `ready` (Redis, the database reachable): SERVING while all are, NOT_SERVING
/// while one is not, for the PhoneCheck service and the server as a whole ("").
async fn follow_readiness(
    reporter: tonic_health::server::HealthReporter,
    mut ready: Vec<watch::Receiver<bool>>,
) {
    loop {
        let mut serving = true;
        for one in &mut ready {
            serving &= *one.borrow_and_update();
        }
        let status = if serving {
            tonic_health::ServingStatus::Serving
        } else {
            tonic_health::ServingStatus::NotServing
        };
        reporter
            .set_service_status(PHONECHECK_SERVICE, status)
            .await;
        reporter.set_service_status("", status).await;
        let changes = ready.iter_mut().map(|one| Box::pin(one.changed()));
        let (changed, _, _) = futures::future::select_all(changes).await;
        if changed.is_err() {
            return;
        }
    }
}

/// The PhoneCheck service's name, as health checks ask for it.
const PHONECHECK_SERVICE: &str = "phonecheck.v1.PhoneCheck";

/// How often the running totals are logged (when they changed).
const TOTALS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Logs the running totals (billed, cache hits, …) once a minute while they change, until the
/// pipeline is gone.
async fn log_totals(pipeline: std::sync::Weak<Pipeline>) {
    let mut last = [0; 7];
    let mut every = tokio::time::interval(TOTALS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(pipeline) = pipeline.upgrade() else {
            return;
        };
        let now = pipeline.totals().snapshot();
        if now != last {
            let [
                calls,
                inputs,
                billed,
                cache_hits,
                invalid,
                duplicates,
                upstream_calls,
            ] = now;
            tracing::info!(
                calls,
                inputs,
                billed,
                cache_hits,
                invalid,
                duplicates,
                upstream_calls,
                "billing totals since start"
            );
            last = now;
        }
    }
}

/// Reads the PEM files of `--tls-cert`, `--tls-key` and `--tls-client-ca`.
fn tls_config(files: &TlsFiles) -> Result<ServerTlsConfig, ServerError> {
    let read = |flag: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|source| ServerError::TlsFile {
            flag,
            path: path.to_owned(),
            source,
        })
    };
    let identity = Identity::from_pem(
        read("--tls-cert", &files.cert)?,
        read("--tls-key", &files.key)?,
    );
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &files.client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read("--tls-client-ca", ca)?));
    }
    Ok(tls)
}

/// Lets a PhoneCheck call through when no keys are configured or it carries a valid one, with
/// the key's name left in its [`CallerSlot`] for the service, the metrics and the logs.
fn authenticate(keys: Option<&ApiKeys>, request: Request<()>) -> Result<Request<()>, Status> {
    let Some(keys) = keys else {
        return Ok(request);
    };
    match keys.check(request.metadata()) {
        Ok(name) => {
            tracing::Span::current().record("caller", name.as_str());
            if let Some(slot) = request.extensions().get::<CallerSlot>() {
                slot.set(&name);
            }
            tracing::debug!(caller = %name, "authenticated");
            Ok(request)
        }
        Err(e) => {
            tracing::info!(error = %e, "call refused");
            Err(Status::from(e))
        }
    }
}

/// CORS for gRPC-Web calls from pages on other origins: any origin may call (callers are
/// authenticated by API key, not by origin), with the headers gRPC-Web needs.
fn browser_cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    let header = |name: &'static str| http::HeaderName::from_static(name);
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([
            header("grpc-status"),
            header("grpc-message"),
            header("grpc-status-details-bin"),
        ])
        .max_age(std::time::Duration::from_secs(24 * 3600))
}

/// The builder is not `Clone`, so each reflection version gets its own.
fn reflection_builder() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::CheckStreamRequest;
    use prost::Message;

    #[test]
    fn a_million_generously_spelled_numbers_fit_the_message_limit() {
        let request = CheckStreamRequest {
            mobiles: vec!["+86 (139) 1234-5678".to_owned(); 1_000_000],
            ..Default::default()
        };
        assert!(request.encoded_len() <= max_message_bytes(1_000_000));
        assert_eq!(max_message_bytes(10), 4 * 1024 * 1024);
    }
}
