//! Test harness: a real simulator on 127.0.0.1:0 and a real phonecheck server on 127.0.0.1:0,
//! talking real HTTP and real gRPC.
#![allow(dead_code)]

pub mod process;

use std::net::SocketAddr;
use std::time::Duration;

use phonecheck::cache::CacheConfig;
use phonecheck::config::{ConnectionLimits, ServeConfig, UpstreamTarget};
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CheckStreamRequest, CheckStreamResponse, CheckSummary, PhoneResult};
use phonecheck::pipeline::Limits;
use phonecheck::server;
use phonecheck::upstream::simulator::{self, RunningSimulator, SimulatorConfig};
use phonecheck::upstream::{RetryPolicy, Token};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Streaming;
use tonic::transport::Channel;

/// The token the test simulator accepts.
pub const TOKEN: &str = "test-token-7f3a9c";

pub struct TestEnv {
    pub sim: RunningSimulator,
    pub addr: SocketAddr,
    pub client: PhoneCheckClient<Channel>,
    _stop: oneshot::Sender<()>,
}

impl TestEnv {
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

/// A server configuration for tests: fast retries, small limits where a test needs them.
pub fn test_config(url: String) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        http_listen: None,
        api_keys_file: None,
        shutdown_grace: Duration::from_secs(30),
        tls: None,
        upstream: UpstreamTarget::Remote {
            url,
            token: Token::new(TOKEN),
        },
        max_batch: 2000,
        concurrency: 4,
        qps: None,
        linger: Duration::from_millis(5),
        upstream_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        limits: Limits {
            max_check_numbers: 10_000,
            max_stream_numbers: 1_000_000,
            max_bulk_chunk: 10_000,
        },
        cache: CacheConfig::default(),
        redis: None,
        metrics_listen: None,
        data_dir: None,
        job_retention: Duration::from_secs(7 * 24 * 3600),
        connections: ConnectionLimits::default(),
        max_queued_numbers: 1_000_000,
    }
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
/// when `config.http_listen` is set; returns its address too.
pub async fn start_server_with_http(
    config: ServeConfig,
) -> (SocketAddr, Option<SocketAddr>, oneshot::Sender<()>) {
    let UpstreamTarget::Remote { url, token } = config.upstream.clone() else {
        panic!("tests use a remote upstream")
    };
    let assembled = server::build_pipeline(&config, url, token).expect("pipeline");
    let mut http = None;
    if let Some(http_listen) = config.http_listen {
        let listener = TcpListener::bind(http_listen).await.expect("bind http");
        http = Some(listener.local_addr().unwrap());
        let (pipeline, keys) = (assembled.pipeline.clone(), assembled.keys.clone());
        tokio::spawn(phonecheck::alapi::serve(
            listener,
            pipeline,
            keys,
            std::future::pending(),
        ));
    }
    let listener = TcpListener::bind(config.listen).await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let max_message = server::max_message_bytes(config.limits.max_stream_numbers);
    tokio::spawn(async move {
        server::serve(listener, assembled, max_message, async {
            let _ = stopped.await;
        })
        .await
        .expect("server");
    });
    (addr, http, stop)
}

pub async fn connect(addr: SocketAddr) -> PhoneCheckClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    PhoneCheckClient::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024)
}

/// `n` distinct valid numbers, none of them trigger numbers.
pub fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("139{:08}", i * 13 + 7)).collect()
}
