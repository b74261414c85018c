//! Test harness: a real simulator on 127.0.0.1:0 and a real phonecheck server on 127.0.0.1:0,
//! talking real HTTP and real gRPC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

pub mod otlp;
pub mod postgres;
pub mod process;

use std::net::SocketAddr;
use std::time::Duration;

use phonecheck::checking::upstream::Token;
use phonecheck::checking::upstream::simulator::{self, RunningSimulator, SimulatorConfig};
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{
    CheckRequest, CheckResponse, CheckStreamRequest, CheckStreamResponse, CheckSummary, PhoneResult,
};
use phonecheck::serving::Server;
use phonecheck::serving::config::{ServeArgs, ServeConfig};
use tokio::sync::oneshot;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Status, Streaming};

/// The token the test simulator accepts.
pub const TOKEN: &str = "test-token-7f3a9c";

pub struct TestEnv {
    pub sim: RunningSimulator,
    pub addr: SocketAddr,
    pub client: PhoneCheckClient<Channel>,
    _stop: oneshot::Sender<()>,
}

impl TestEnv {
    /// Checks `mobiles` in one `Check` call on a client of its own.
    pub async fn check(&self, mobiles: Vec<String>) -> CheckResponse {
        self.client
            .clone()
            .check(CheckRequest {
                mobiles,
                ..Default::default()
            })
            .await
            .expect("check answered")
            .into_inner()
    }

    /// Opens a CheckStream of `mobiles` on a client of its own.
    pub async fn open_stream(&self, mobiles: Vec<String>) -> Streaming<CheckStreamResponse> {
        self.client
            .clone()
            .check_stream(CheckStreamRequest {
                mobiles,
                ..Default::default()
            })
            .await
            .expect("stream accepted")
            .into_inner()
    }
}

/// Reads a stream to its end: every result, and the summary, which must come last.
pub async fn drain(mut stream: Streaming<CheckStreamResponse>) -> (Vec<PhoneResult>, CheckSummary) {
    let mut results = Vec::new();
    let mut summary = None;
    while let Some(msg) = stream.message().await.expect("no error status") {
        assert!(summary.is_none(), "the summary comes last");
        results.extend(msg.results);
        summary = msg.summary;
    }
    (results, summary.expect("a summary"))
}

/// A server configuration for tests: `serve`'s own defaults, parsed from its flags as the
/// binary parses them (so a new flag needs no edit here), on a free port, against `url`, with
/// no upstream rate limit, a 10 s upstream timeout, fast retries and a scratch data directory.
pub fn test_config(url: String) -> ServeConfig {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }
    // A directory of its own, made by the server that uses it and removed with it (see
    // `start_server`); a test that sets its own leaves nothing behind.
    let data_dir = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::env::temp_dir().join(format!("{SCRATCH_PREFIX}{}-{n}", std::process::id()))
    };
    let flags = [
        "serve",
        "--listen=127.0.0.1:0",
        &format!("--upstream-url={url}"),
        "--qps=0",
        "--upstream-timeout-ms=10000",
        "--retries=2",
        &format!("--data-dir={}", data_dir.display()),
    ];
    let args = Serve::try_parse_from(flags).expect("test flags parse").args;
    let mut config = args
        .into_config(Some(TOKEN.to_owned()))
        .expect("test flags are valid");
    config.retry.min_delay = Duration::from_millis(5);
    config.retry.max_delay = Duration::from_millis(20);
    config
}

/// Starts a simulator on a free loopback port that accepts [`TOKEN`].
pub async fn simulator(config: SimulatorConfig) -> RunningSimulator {
    simulator::spawn(SimulatorConfig {
        token: Some(Token::new(TOKEN)),
        ..config
    })
    .await
    .expect("start simulator")
}

/// Starts a simulator and a server; `tweak` adjusts the server's configuration.
pub async fn start(sim_config: SimulatorConfig, tweak: impl FnOnce(&mut ServeConfig)) -> TestEnv {
    let sim = simulator(sim_config).await;
    let mut config = test_config(sim.url());
    tweak(&mut config);
    let (addr, stop) = start_server(config).await;
    let client = connect(addr).await;
    TestEnv {
        sim,
        addr,
        client,
        _stop: stop,
    }
}

/// Starts a server for `config` on a free loopback port; it stops when the sender drops.
pub async fn start_server(config: ServeConfig) -> (SocketAddr, oneshot::Sender<()>) {
    let (addr, _, stop) = start_server_with_http(config).await;
    (addr, stop)
}

/// As [`start_server`], also serving the ALAPI-compatible HTTP door on a free loopback port
/// when `config.http_listen` is set; returns its address too. The server is the one `main`
/// runs: [`Server::bind`] then [`Server::run`].
pub async fn start_server_with_http(
    config: ServeConfig,
) -> (SocketAddr, Option<SocketAddr>, oneshot::Sender<()>) {
    let scratch = Scratch::of(&config);
    let server = Server::bind(config).await.expect("server binds");
    let (addr, http) = (server.grpc_addr(), server.http_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        // Dropped with the task: when the server stops, or when the test's runtime ends.
        let _scratch = scratch;
        server
            .run(async {
                let _ = stopped.await;
            })
            .await
            .expect("server");
    });
    (addr, http, stop)
}

/// The name [`test_config`]'s data directories start with.
const SCRATCH_PREFIX: &str = "phonecheck-test-";

/// A data directory made by [`test_config`], removed when dropped; other directories (a test's
/// own) are left alone.
struct Scratch(Option<std::path::PathBuf>);

impl Scratch {
    fn of(config: &ServeConfig) -> Scratch {
        let ours = config
            .data_dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(SCRATCH_PREFIX));
        Scratch(ours.then(|| config.data_dir.clone()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A client on a plaintext channel to `addr`, with large message limits.
pub async fn connect(addr: SocketAddr) -> PhoneCheckClient<Channel> {
    PhoneCheckClient::new(channel(addr).await)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024)
}

/// A plaintext channel to `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URL")
        .connect()
        .await
        .expect("connect")
}

/// The generated client with an API key on every call.
pub type KeyedClient = PhoneCheckClient<InterceptedService<Channel, BearerKey>>;

/// A client to `addr` that sends `authorization: Bearer KEY` on every call.
pub async fn connect_with_key(addr: SocketAddr, key: &str) -> KeyedClient {
    PhoneCheckClient::with_interceptor(channel(addr).await, BearerKey::new(key))
        .max_decoding_message_size(64 * 1024 * 1024)
}

/// Adds `authorization: Bearer KEY` to every call.
#[derive(Clone)]
pub struct BearerKey(MetadataValue<Ascii>);

impl BearerKey {
    pub fn new(key: &str) -> Self {
        BearerKey(format!("Bearer {key}").parse().expect("an ASCII key"))
    }
}

impl Interceptor for BearerKey {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// Polls `check` every few milliseconds until it returns `Some`, and returns that; panics
/// naming `what` if `timeout` passes first, so a test fails instead of hanging.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`eventually`] for code that is not async (a child process, a file).
pub fn eventually_blocking<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `n` distinct valid numbers, none of them trigger numbers.
pub fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("139{:08}", i * 13 + 7)).collect()
}

/// A `multipart/form-data` body by hand (its content type, its bytes): `fields`, then a file
/// part named `file` when `file` (its name, its bytes) is given, as `curl -F` sends one.
pub fn form(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "phonecheck-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, content)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
