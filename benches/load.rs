//! End-to-end load run: `cargo bench --bench load`.
//!
//! Starts the simulated upstream (in this process) and the real `phonecheck serve` (a child
//! process, so its memory can be read) on loopback, and prints the figures below in one run
//! (`cargo bench --bench load -- P7 J1` runs only those named):
//!
//! - P1 coalescing: 10,000 concurrent one-number `Check` calls → upstream calls, p50/p99.
//! - P2 limit utilization: 200,000 numbers via `CheckStream`, upstream limited to 20 QPS with
//!   50 ms latency → achieved calls/s ÷ limit, and 429s seen.
//! - P3 proxy efficiency: numbers/s through the service ÷ numbers/s of plain reqwest posting the
//!   same batches straight to the upstream with the same concurrency.
//! - P4 memory: the server's peak RSS streaming 100,000 and 1,000,000 numbers.
//! - P5 unary overhead: p50 of a one-number `Check` (`--linger-ms 0`) − p50 of one direct call.
//! - P6 front-end cost: `Check` of one cached number at full speed, requests/s, ÷ requests/s of
//!   the same server's bare `grpc.health.v1.Health/Check` (tonic and nothing else), same
//!   generator, same run.
//! - P7 pipeline speed: 1,000,000 numbers that are all cached, through `CheckStream`, numbers/s.
//! - P8 cache footprint: resident bytes per cached answer, a million more answers kept.
//! - C1 CPU per number: the server's CPU-seconds (user + system, from /proc) for 1,000,000
//!   numbers through one `CheckBulk` with `--qps 0` and the cache off: the fair form of P3,
//!   which compares against a loop that only moves bytes.
//! - B1 bulk: the server's peak RSS and numbers/s for 1,000,000 and 5,000,000 numbers sent
//!   through one `CheckBulk` stream in chunks of 10,000 (memory must stay flat).
//! - J1 jobs: the same 1,000,000 numbers as a job (upload, check, download every result)
//!   and through one `CheckBulk`, on fresh servers with the cache off: numbers/s of each.
//! - J1 also runs on PostgreSQL (`--database-url`, a throwaway server) where one is
//!   installed: upload, check phase and download against SQLite's (goal: within 1.5x; the
//!   check phase >= 100,000 numbers/s), and on both the console's CSV download of the
//!   results: time to the first byte (goal: within 1 s) and in all.
//! - J2 replicas: two jobs of 500,000 numbers with an upstream answering in 100 ms and one
//!   upstream call in flight per replica, on one replica running both, then on two replicas
//!   sharing one PostgreSQL (one job each): the check phase's speed, from both jobs stored to
//!   both checked; three runs (`J2_RUNS`), goal >= 1.8x in each.
//! - J3 ten million: one job of 10,000,000 numbers on each store through upload, check,
//!   download and delete: the server's peak RSS (goal <= 128 MiB) and bytes on disk per
//!   stored row. Minutes long: only when asked for (`cargo bench --bench load -- J3`).
//! - L1 lists: `phonecheck check` (the CLI, a child process) on 100,000 and 1,000,000 rows of
//!   CSV (customer, phone, note → whole rows out) and of XLSX (→ an XLSX workbook with its
//!   status and summary sheets), against `--qps 0`: rows/s (goal: ≥ 100,000/s for CSV,
//!   ≥ 50,000/s for XLSX) and the CLI's peak RSS at each size (goal: flat once the list is
//!   longer than `--window`, 100,000 rows, which bounds what is in flight). CSV also at 2M.
//! - T1 traces: P5 and P7 with export off, then on (`--otlp-endpoint`, every span kept) to an
//!   OTLP/gRPC receiver in this process; the cost of tracing.
//! - S1 soak: 200 concurrent clients each opening one `CheckStream` of 1,000 numbers after
//!   another for 60 s (`SOAK_SECS` to change), numbers drawn from a pool of 200,000 (so the
//!   cache fills, then holds), every tenth stream with `skip_cache` (so the upstream path runs
//!   throughout): errors, numbers/s, and the server's RSS after a 5 s warm-up and at the end
//!   (goal: 0 errors, growth <= 10%). Only when asked for (`cargo bench --bench load -- S1`).
//!
//! Nothing leaves 127.0.0.1; every process it starts stops when it ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use phonecheck::checking::upstream::Token;
use phonecheck::checking::upstream::simulator::{self, RunningSimulator, SimulatorConfig};
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CheckBulkRequest, CheckRequest, CheckStreamRequest};
use tonic::transport::Channel;

#[path = "../tests/common/postgres.rs"]
mod postgres;

#[path = "../tests/common/otlp.rs"]
mod otlp;

const TOKEN: &str = "bench-token";

/// A `phonecheck serve` child process, killed on drop.
struct Server {
    child: Child,
    addr: String,
    /// Its HTTP address (the console), when started with `--http-listen`.
    http: Option<String>,
    /// Its job data directory, removed with it.
    data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(upstream: &RunningSimulator, flags: &[&str]) -> Server {
        let data = tempfile::tempdir().expect("a data dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
            .env("PHONECHECK_DATA_DIR", data.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url"])
            .arg(upstream.url())
            .args(flags)
            .env("ALAPI_TOKEN", TOKEN)
            .env("RUST_LOG", "error,phonecheck=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start phonecheck serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let wants_http = flags.contains(&"--http-listen");
        let (mut addr, mut http) = (None, None);
        while addr.is_none() || (wants_http && http.is_none()) {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read");
            if let Some(a) = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
            {
                if line.contains("HTTP listening") {
                    http = Some(a.to_owned());
                } else {
                    addr = Some(a.to_owned());
                }
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            addr: addr.expect("gRPC address"),
            http,
            data,
        }
    }

    /// Bytes the job database takes in its data directory (SQLite's file and its WAL).
    fn data_bytes(&self) -> u64 {
        std::fs::read_dir(self.data.path())
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Peak resident memory since start (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        self.memory_mib("VmHWM:")
    }

    /// CPU time the server has used since start, user and system, in seconds.
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(self.child.id())
    }

    /// Resident memory now (VmRSS), in MiB.
    fn rss_mib(&self) -> f64 {
        self.memory_mib("VmRSS:")
    }

    fn memory_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    async fn client(&self) -> PhoneCheckClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        PhoneCheckClient::new(channel)
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20)
    }
}

/// CPU time process `pid` has used since it started, user and system, in seconds (from
/// /proc/PID/stat, whose clock ticks are USER_HZ, 100 a second on Linux).
fn cpu_seconds_of(pid: u32) -> f64 {
    const USER_HZ: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: count fields from after its closing parenthesis,
    // where utime and stime are the 12th and 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    ticks / USER_HZ
}

/// Distinct valid numbers in allocated segments, never the simulator's trigger numbers (which
/// start with 199000).
fn numbers(n: usize, offset: usize) -> Vec<String> {
    const SEGMENTS: [&str; 6] = ["130", "150", "166", "173", "180", "190"];
    (offset..offset + n)
        .map(|i| format!("{}{:08}", SEGMENTS[i % SEGMENTS.len()], i))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn mock(config: SimulatorConfig) -> RunningSimulator {
    simulator::spawn(SimulatorConfig {
        token: Some(Token::new(TOKEN)),
        ..config
    })
    .await
    .expect("start mock upstream")
}

/// Streams `mobiles` through CheckStream; returns (answered, seconds).
async fn stream_all(client: &mut PhoneCheckClient<Channel>, mobiles: Vec<String>) -> (usize, f64) {
    let start = Instant::now();
    let mut stream = client
        .check_stream(CheckStreamRequest {
            mobiles,
            ..Default::default()
        })
        .await
        .expect("stream")
        .into_inner();
    let mut answered = 0;
    while let Some(msg) = stream.message().await.expect("message") {
        answered += msg.results.len();
    }
    (answered, start.elapsed().as_secs_f64())
}

/// One plain reqwest call straight to the mock upstream; returns the body's length.
async fn post_direct(http: &reqwest::Client, url: &str, mobiles: &str) -> usize {
    http.post(url)
        .form(&[("token", TOKEN), ("mobiles", mobiles)])
        .send()
        .await
        .expect("post")
        .bytes()
        .await
        .expect("body")
        .len()
}

async fn p1_coalescing() -> String {
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &[]);
    // Several connections, so that 10,000 calls are not queued behind one connection's
    // stream limit.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(server.client().await);
    }
    let calls: FuturesUnordered<_> = numbers(10_000, 0)
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let mut client = clients[i % clients.len()].clone();
            async move {
                let start = Instant::now();
                let r = client
                    .check(CheckRequest {
                        mobiles: vec![n],
                        ..Default::default()
                    })
                    .await;
                (r.is_ok(), start.elapsed())
            }
        })
        .collect();
    let results: Vec<_> = calls.collect().await;
    let ok = results.iter().filter(|r| r.0).count();
    let mut lat: Vec<_> = results.iter().map(|r| r.1).collect();
    lat.sort();
    let stats = sim.simulator.stats();
    format!(
        "P1 coalescing: 10,000 concurrent one-number Check calls ({ok} ok) -> {} upstream calls \
         (ideal 5, goal <= 6); latency p50 {:.0} ms, p99 {:.0} ms",
        stats.calls,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    )
}

async fn p2_limit_utilization() -> String {
    let sim = mock(SimulatorConfig {
        qps: Some(20),
        latency: Duration::from_millis(50),
        ..SimulatorConfig::default()
    })
    .await;
    let server = Server::start(&sim, &["--qps", "20"]);
    let mut client = server.client().await;
    let (answered, secs) = stream_all(&mut client, numbers(200_000, 0)).await;
    let stats = sim.simulator.stats();
    // The rate while calls flowed: intervals between the first and the last call.
    let span_ms = stats.last_call_ms.unwrap_or(0) - stats.first_call_ms.unwrap_or(0);
    let rate = (stats.calls.saturating_sub(1)) as f64 / (span_ms.max(1) as f64 / 1e3);
    format!(
        "P2 limit utilization: {answered} numbers in {secs:.2} s, {} calls in {:.2} s -> \
         {rate:.2} calls/s of 20 = {:.3} (goal >= 0.95); 429s seen: {} (goal 0)",
        stats.calls,
        span_ms as f64 / 1e3,
        rate / 20.0,
        stats.rate_limited
    )
}

async fn p3_proxy_efficiency() -> String {
    const N: usize = 400_000;
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &["--qps", "0", "--concurrency", "4"]);
    let mut client = server.client().await;
    let (answered, secs) = stream_all(&mut client, numbers(N, 0)).await;
    let service_rate = answered as f64 / secs;

    // Plain reqwest: the same 2000-number batches, 4 at a time, straight to the mock.
    let http = reqwest::Client::new();
    let url = Arc::new(sim.url());
    let batches: Vec<String> = numbers(N, N).chunks(2000).map(|c| c.join(",")).collect();
    let start = Instant::now();
    let mut posted = futures::stream::iter(batches)
        .map(|mobiles| {
            let (http, url) = (http.clone(), url.clone());
            async move { post_direct(&http, &url, &mobiles).await }
        })
        .buffer_unordered(4);
    while posted.next().await.is_some() {}
    let direct_rate = N as f64 / start.elapsed().as_secs_f64();
    format!(
        "P3 proxy efficiency: service {service_rate:.0} numbers/s, direct reqwest \
         {direct_rate:.0} numbers/s -> {:.3} (goal >= 0.9)",
        service_rate / direct_rate
    )
}

async fn p4_memory() -> String {
    let mut peaks = Vec::new();
    for n in [100_000, 1_000_000] {
        let sim = mock(SimulatorConfig::default()).await;
        let server = Server::start(&sim, &["--qps", "0", "--cache-entries", "0"]);
        let mut client = server.client().await;
        let (answered, _) = stream_all(&mut client, numbers(n, 0)).await;
        assert_eq!(answered, n);
        peaks.push(server.peak_rss_mib());
    }
    format!(
        "P4 memory: server peak RSS {:.1} MiB at 100k, {:.1} MiB at 1M (goal <= 64) -> growth \
         {:.0}% (goal <= 20%)",
        peaks[0],
        peaks[1],
        (peaks[1] / peaks[0] - 1.0) * 100.0
    )
}

async fn p5_unary_overhead() -> String {
    let (s, d) = unary_p50s(&[]).await;
    format!(
        "P5 unary overhead: p50 Check {:.3} ms - p50 direct call {:.3} ms = {:.3} ms (goal <= 1 ms)",
        s.as_secs_f64() * 1e3,
        d.as_secs_f64() * 1e3,
        (s.as_secs_f64() - d.as_secs_f64()) * 1e3
    )
}

/// P5's two medians on a server started with `extra` flags: a one-number `Check`, and one
/// direct call to the simulator.
async fn unary_p50s(extra: &[&str]) -> (Duration, Duration) {
    const CALLS: usize = 500;
    let sim = mock(SimulatorConfig::default()).await;
    let flags: Vec<&str> = ["--qps", "0", "--linger-ms", "0"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let server = Server::start(&sim, &flags);
    let mut client = server.client().await;
    let http = reqwest::Client::new();
    let url = sim.url();
    let mut via_service = Vec::with_capacity(CALLS);
    let mut direct = Vec::with_capacity(CALLS);
    for (i, n) in numbers(CALLS, 0).into_iter().enumerate() {
        let start = Instant::now();
        client
            .check(CheckRequest {
                mobiles: vec![n],
                ..Default::default()
            })
            .await
            .expect("check");
        via_service.push(start.elapsed());
        let other = numbers(1, CALLS + i).remove(0);
        let start = Instant::now();
        post_direct(&http, &url, &other).await;
        direct.push(start.elapsed());
    }
    via_service.sort();
    direct.sort();
    (percentile(&via_service, 0.5), percentile(&direct, 0.5))
}

/// Streams `n` distinct numbers through one CheckBulk in chunks of 10,000, made as they are
/// sent; returns (answered, billed per the summary, seconds).
async fn bulk_all(client: &mut PhoneCheckClient<Channel>, n: usize) -> (usize, u32, f64) {
    const CHUNK: usize = 10_000;
    let start = Instant::now();
    let chunks = futures::stream::iter((0..n).step_by(CHUNK)).map(move |first| CheckBulkRequest {
        mobiles: numbers(CHUNK.min(n - first), first),
        ..Default::default()
    });
    let mut stream = client.check_bulk(chunks).await.expect("bulk").into_inner();
    let (mut answered, mut billed) = (0, 0);
    while let Some(msg) = stream.message().await.expect("message") {
        answered += msg.results.len();
        if let Some(summary) = msg.summary {
            billed = summary.billed;
        }
    }
    (answered, billed, start.elapsed().as_secs_f64())
}

/// Runs `total` calls of `call` from 64 concurrent tasks over 4 connections; returns calls/s.
async fn hammer<F, Fut>(server: &Server, total: usize, call: F) -> f64
where
    F: Fn(Channel) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    const TASKS: usize = 64;
    let mut channels = Vec::new();
    for _ in 0..4 {
        let channel = Channel::from_shared(format!("http://{}", server.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        channels.push(channel);
    }
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let (channel, call) = (channels[t % channels.len()].clone(), call.clone());
            tokio::spawn(async move {
                for _ in 0..total / TASKS {
                    call(channel.clone()).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    (total / TASKS * TASKS) as f64 / start.elapsed().as_secs_f64()
}

async fn p6_front_end_cost() -> String {
    const CALLS: usize = 100_000;
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &["--qps", "0"]);
    let mut client = server.client().await;
    let number = numbers(1, 0).remove(0);
    client
        .check(CheckRequest {
            mobiles: vec![number.clone()],
            ..Default::default()
        })
        .await
        .expect("warm the cache");
    let cached = hammer(&server, CALLS, move |channel| {
        let number = number.clone();
        async move {
            let r = PhoneCheckClient::new(channel)
                .check(CheckRequest {
                    mobiles: vec![number],
                    ..Default::default()
                })
                .await
                .expect("check");
            assert!(r.get_ref().results[0].from_cache);
        }
    })
    .await;
    let bare = hammer(&server, CALLS, |channel| async move {
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("health");
    })
    .await;
    assert_eq!(
        sim.simulator.stats().calls,
        1,
        "one upstream call, to warm the cache"
    );
    format!(
        "P6 front-end cost: Check of one cached number {cached:.0} req/s, bare tonic (health \
         Check, same server) {bare:.0} req/s -> {:.3} (goal >= 0.5)",
        cached / bare
    )
}

async fn p7_cached_pipeline() -> String {
    let (rate, cpu, client_cpu, rss) = cached_stream(&[]).await;
    format!(
        "P7 cached pipeline: 1,000,000 cached numbers via CheckStream -> {rate:.0} \
         numbers/s (goal >= 1,000,000/s); CPU-s: server {cpu:.2}, bench client \
         {client_cpu:.2} (encoding the request, decoding the results); server peak RSS with \
         1M answers cached {rss:.1} MiB",
    )
}

/// P7 on a server started with `extra` flags: numbers a second, the server's and the bench's
/// CPU-seconds, and the server's peak RSS in MiB.
async fn cached_stream(extra: &[&str]) -> (f64, f64, f64, f64) {
    const N: usize = 1_000_000;
    let sim = mock(SimulatorConfig::default()).await;
    let flags: Vec<&str> = ["--qps", "0", "--cache-entries", "1100000"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let server = Server::start(&sim, &flags);
    let mut client = server.client().await;
    stream_all(&mut client, numbers(N, 0)).await;
    let calls = sim.simulator.stats().calls;
    let list = numbers(N, 0);
    let (cpu_before, client_before) = (server.cpu_seconds(), cpu_seconds_of(std::process::id()));
    let (answered, secs) = stream_all(&mut client, list).await;
    let cpu = server.cpu_seconds() - cpu_before;
    // The bench process: the client, and the simulator (idle here: nothing reaches it).
    let client_cpu = cpu_seconds_of(std::process::id()) - client_before;
    assert_eq!(answered, N);
    assert_eq!(sim.simulator.stats().calls, calls, "all from the cache");
    (N as f64 / secs, cpu, client_cpu, server.peak_rss_mib())
}

/// T1: P5 and P7 with traces off, then exported (every span kept) to an OTLP/gRPC receiver
/// in this process.
async fn t1_traces() -> String {
    let (endpoint, received) = otlp::grpc_receiver().await;
    let on = [
        "--otlp-endpoint",
        endpoint.as_str(),
        "--otlp-sample-ratio",
        "1",
    ];
    // Off and on alternate, three rounds each: one run of either swings by a fifth on this
    // machine, more than what is measured.
    const ROUNDS: usize = 3;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (mut checks, mut rates): ([Vec<f64>; 2], [Vec<f64>; 2]) = Default::default();
    for _ in 0..ROUNDS {
        for (i, flags) in [&[][..], &on[..]].into_iter().enumerate() {
            checks[i].push(ms(unary_p50s(flags).await.0));
            rates[i].push(cached_stream(flags).await.0);
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let list = |v: &[f64], digits: usize| {
        v.iter()
            .map(|x| format!("{x:.digits$}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "T1 traces ({ROUNDS} rounds, off and on alternating): P5 p50 Check off {:.3} ms [{}], on \
         {:.3} ms [{}] -> {:+.1}%; P7 off {:.0} numbers/s [{}], on {:.0} [{}] -> {:+.1}% (goal: \
         on costs <= 5%); {} spans received",
        median(&checks[0]),
        list(&checks[0], 3),
        median(&checks[1]),
        list(&checks[1], 3),
        (median(&checks[1]) / median(&checks[0]) - 1.0) * 100.0,
        median(&rates[0]),
        list(&rates[0], 0),
        median(&rates[1]),
        list(&rates[1], 0),
        (median(&rates[0]) / median(&rates[1]) - 1.0) * 100.0,
        received.spans.lock().len()
    )
}

async fn p8_cache_footprint() -> String {
    const N: usize = 1_000_000;
    const CHUNK: usize = 100_000;
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &["--qps", "0", "--cache-entries", "2200000"]);
    let mut client = server.client().await;
    // A first stream of the same size brings the runtime, buffers and label table to their
    // working size, so the difference below is the answers alone.
    for offset in (0..N).step_by(CHUNK) {
        stream_all(&mut client, numbers(CHUNK, 10_000_000 + offset)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.rss_mib();
    // A million new answers, in streams of 100,000 so that a stream's own buffers (P4) stay
    // small beside them.
    for offset in (0..N).step_by(CHUNK) {
        stream_all(&mut client, numbers(CHUNK, offset)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_mib();
    assert_eq!(sim.simulator.stats().billed, 2 * N as u64);
    format!(
        "P8 cache footprint: resident memory {before:.1} -> {after:.1} MiB for 1,000,000 more \
         cached answers -> {:.0} bytes per answer (goal <= 64)",
        (after - before) * 1024.0 * 1024.0 / N as f64
    )
}

async fn b1_bulk() -> String {
    let mut runs = Vec::new();
    for n in [1_000_000, 5_000_000] {
        let sim = mock(SimulatorConfig::default()).await;
        // The result cache has its own bound (--cache-entries; P8 shows its size): off here,
        // so that this measures what the stream itself holds.
        let server = Server::start(&sim, &["--qps", "0", "--cache-entries", "0"]);
        let mut client = server.client().await;
        let (answered, billed, secs) = bulk_all(&mut client, n).await;
        assert_eq!((answered, billed as usize), (n, n));
        runs.push((server.peak_rss_mib(), n as f64 / secs));
    }
    format!(
        "B1 bulk: CheckBulk server peak RSS {:.1} MiB at 1M ({:.0} numbers/s), {:.1} MiB at 5M \
         ({:.0} numbers/s) (goal <= 64) -> growth {:.0}% (goal <= 20%)",
        runs[0].0,
        runs[0].1,
        runs[1].0,
        runs[1].1,
        (runs[1].0 / runs[0].0 - 1.0) * 100.0
    )
}

async fn c1_cpu_per_million() -> String {
    const N: usize = 1_000_000;
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &["--qps", "0", "--cache-entries", "0"]);
    let mut client = server.client().await;
    // A first stream warms the connection and the runtime; the measured one follows.
    bulk_all(&mut client, 10_000).await;
    let before = server.cpu_seconds();
    let (answered, billed, secs) = bulk_all(&mut client, N).await;
    assert_eq!((answered, billed as usize), (N, N));
    let cpu = server.cpu_seconds() - before;
    format!(
        "C1 CPU per number: CheckBulk of 1,000,000 numbers (--qps 0, cache off) took the server \
         {cpu:.2} CPU-seconds in {secs:.2} s of wall time -> {:.2} CPU-s per 1M numbers, \
         {:.0} numbers per CPU-second",
        cpu * 1_000_000.0 / N as f64,
        N as f64 / cpu
    )
}

async fn s1_soak() -> String {
    const CLIENTS: usize = 200;
    const PER_STREAM: usize = 1000;
    const POOL: usize = 200_000;
    const WARM_UP: Duration = Duration::from_secs(5);
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let sim = mock(SimulatorConfig {
        latency: Duration::from_millis(20),
        ..SimulatorConfig::default()
    })
    .await;
    let server = Arc::new(Server::start(&sim, &["--qps", "0"]));
    // A few connections, as a fleet of backends would use.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(server.client().await);
    }
    let start = Instant::now();
    let end = start + WARM_UP + Duration::from_secs(secs);
    let rss_after_warm_up = {
        let server = server.clone();
        tokio::spawn(async move {
            tokio::time::sleep(WARM_UP).await;
            server.rss_mib()
        })
    };
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mut client = clients[c % clients.len()].clone();
            tokio::spawn(async move {
                let (mut streams, mut answered, mut errors) = (0u64, 0u64, Vec::new());
                let mut offset = c * 7919;
                while Instant::now() < end {
                    let mobiles = numbers(PER_STREAM, offset % (POOL - PER_STREAM));
                    offset += PER_STREAM * 13;
                    let request = CheckStreamRequest {
                        mobiles,
                        options: Some(phonecheck::pb::CheckOptions {
                            skip_cache: streams % 10 == 9,
                            ..Default::default()
                        }),
                    };
                    let result = async {
                        let mut stream = client.check_stream(request).await?.into_inner();
                        let mut n = 0;
                        while let Some(msg) = stream.message().await? {
                            n += msg.results.iter().filter(|r| r.error.is_none()).count();
                        }
                        Ok::<_, tonic::Status>(n)
                    }
                    .await;
                    streams += 1;
                    match result {
                        Ok(n) if n == PER_STREAM => answered += n as u64,
                        Ok(n) => errors.push(format!("{} of {PER_STREAM} answered", n)),
                        Err(status) => errors.push(format!("{status:?}")),
                    }
                }
                (streams, answered, errors)
            })
        })
        .collect();
    let (mut streams, mut answered, mut errors) = (0, 0, Vec::new());
    for task in tasks {
        let (s, a, e) = task.await.expect("soak client");
        streams += s;
        answered += a;
        errors.extend(e);
    }
    let took = start.elapsed().as_secs_f64();
    let (warm, last) = (rss_after_warm_up.await.expect("rss"), server.rss_mib());
    format!(
        "S1 soak: {CLIENTS} concurrent CheckStream clients for {secs} s (+5 s warm-up): {streams} \
         streams, {answered} numbers answered ({:.0} numbers/s), {} errors{}; upstream billed \
         {}; server RSS {warm:.1} MiB after warm-up -> {last:.1} MiB at the end: growth {:.1}% \
         (goal: 0 errors, <= 10%); peak {:.1} MiB",
        answered as f64 / took,
        errors.len(),
        errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        sim.simulator.stats().billed,
        (last / warm - 1.0) * 100.0,
        server.peak_rss_mib()
    )
}

/// How long a 1,000,000-number job took in each phase on one server.
struct JobFigures {
    /// The job's id.
    id: String,
    upload: f64,
    checked: f64,
    total: f64,
    billed: u64,
    peak_rss: f64,
}

impl JobFigures {
    fn download(&self) -> f64 {
        self.total - self.checked
    }

    /// From the end of the upload to the job's success: the runner's and the store's pace.
    fn check_phase(&self) -> f64 {
        self.checked - self.upload
    }
}

/// Uploads `n` numbers (from `first`) as a job on `server`, waits for it to succeed, and
/// downloads every result.
async fn run_job(server: &Server, n: usize, first: usize) -> JobFigures {
    use phonecheck::pb::{CreateJobRequest, GetJobResultsRequest};
    const CHUNK: usize = 10_000;
    let mut client = server.client().await;
    let start = Instant::now();
    let chunks =
        futures::stream::iter((first..first + n).step_by(CHUNK)).map(|from| CreateJobRequest {
            mobiles: numbers(CHUNK, from),
            ..Default::default()
        });
    let job = client.create_job(chunks).await.expect("job").into_inner();
    let upload = start.elapsed().as_secs_f64();
    let job = wait_for_job(&mut client, &job.id).await;
    let checked = start.elapsed().as_secs_f64();
    let mut results = client
        .get_job_results(GetJobResultsRequest {
            id: job.id.clone(),
            from_index: 0,
        })
        .await
        .expect("results")
        .into_inner();
    let mut downloaded = 0;
    while let Some(msg) = results.message().await.expect("results message") {
        downloaded += msg.results.len();
    }
    assert_eq!(downloaded, n);
    JobFigures {
        id: job.id.clone(),
        upload,
        checked,
        total: start.elapsed().as_secs_f64(),
        billed: job.billed,
        peak_rss: server.peak_rss_mib(),
    }
}

/// Polls the job until it succeeds (panics if it fails).
async fn wait_for_job(client: &mut PhoneCheckClient<Channel>, id: &str) -> phonecheck::pb::Job {
    use phonecheck::pb::{GetJobRequest, JobState};
    loop {
        let now = client
            .get_job(GetJobRequest { id: id.to_owned() })
            .await
            .expect("get job")
            .into_inner();
        if now.state() == JobState::Succeeded {
            return now;
        }
        assert!(now.state() != JobState::Failed, "{now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A throwaway PostgreSQL server for the job runs, or why there is none.
async fn postgres(figure: &str) -> Option<postgres::TestPostgres> {
    postgres::TestPostgres::start(figure).await
}

/// Downloads job `id`'s results as CSV as the console does (`GET /v1/jobs/{id}/results`,
/// `Accept: text/csv; bom=true`); returns (seconds to the first byte of the body, seconds in
/// all, bytes).
async fn console_csv(server: &Server, id: &str) -> (f64, f64, u64) {
    let http = server.http.as_deref().expect("started with --http-listen");
    let url = format!("http://{http}/v1/jobs/{id}/results");
    let start = Instant::now();
    let mut response = reqwest::Client::new()
        .get(&url)
        .header("accept", "text/csv; bom=true")
        .send()
        .await
        .expect("download");
    assert!(response.status().is_success(), "{}", response.status());
    let mut first = None;
    let mut bytes = 0u64;
    while let Some(chunk) = response.chunk().await.expect("body") {
        first.get_or_insert_with(|| start.elapsed().as_secs_f64());
        bytes += chunk.len() as u64;
    }
    (
        first.unwrap_or(f64::NAN),
        start.elapsed().as_secs_f64(),
        bytes,
    )
}

async fn j1_jobs() -> String {
    const N: usize = 1_000_000;
    let flags = [
        "--qps",
        "0",
        "--cache-entries",
        "0",
        "--http-listen",
        "127.0.0.1:0",
    ];
    let bulk_rate = {
        let sim = mock(SimulatorConfig::default()).await;
        let server = Server::start(&sim, &flags);
        let mut client = server.client().await;
        let (answered, _, secs) = bulk_all(&mut client, N).await;
        assert_eq!(answered, N);
        N as f64 / secs
    };
    let line = |store: &str, f: &JobFigures, csv: (f64, f64, u64)| {
        format!(
            "\n  {store}: upload {:.1} s, checked after {:.1} s (check phase {:.1} s: {:.0} \
             numbers/s), download {:.1} s -> {:.0} numbers/s end to end ({:.0}/s to checked); \
             job billed {}; server peak RSS {:.1} MiB; the console's CSV download: first byte \
             after {:.3} s, {:.1} MB in {:.2} s",
            f.upload,
            f.checked,
            f.check_phase(),
            N as f64 / f.check_phase(),
            f.download(),
            N as f64 / f.total,
            N as f64 / f.checked,
            f.billed,
            f.peak_rss,
            csv.0,
            csv.2 as f64 / 1e6,
            csv.1
        )
    };
    let (sqlite, sqlite_csv) = {
        let sim = mock(SimulatorConfig::default()).await;
        let server = Server::start(&sim, &flags);
        let f = run_job(&server, N, 0).await;
        let csv = console_csv(&server, &f.id).await;
        (f, csv)
    };
    let mut out = format!(
        "J1 jobs: 1,000,000 numbers as a job (upload, check, download every result); the same \
         list through CheckBulk: {bulk_rate:.0} numbers/s{}",
        line("SQLite", &sqlite, sqlite_csv)
    );
    match postgres("J1 on PostgreSQL").await {
        Some(pg) => {
            let sim = mock(SimulatorConfig::default()).await;
            let url = pg.url();
            let server = Server::start(&sim, &[&flags[..], &["--database-url", &url]].concat());
            let f = run_job(&server, N, 0).await;
            let csv = console_csv(&server, &f.id).await;
            out.push_str(&line("PostgreSQL", &f, csv));
            out.push_str(&format!(
                "\n  PostgreSQL / SQLite: upload {:.2}x, check phase {:.2}x, download {:.2}x \
                 (goal: each <= 1.5x; check phase >= 100,000 numbers/s)",
                f.upload / sqlite.upload,
                f.check_phase() / sqlite.check_phase(),
                f.download() / sqlite.download()
            ));
        }
        None => out.push_str("\n  PostgreSQL: skipped (no server installed)"),
    }
    out
}

/// Bytes the job tables take in the PostgreSQL database at `url` (tables, indexes, TOAST).
async fn postgres_job_bytes(url: &str) -> u64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the bench's PostgreSQL");
    tokio::spawn(connection);
    let bytes: i64 = client
        .query_one(
            "SELECT pg_total_relation_size('inputs') + pg_total_relation_size('numbers')
                 + pg_total_relation_size('answers') + pg_total_relation_size('jobs')",
            &[],
        )
        .await
        .expect("sizes")
        .get(0);
    u64::try_from(bytes).unwrap_or(0)
}

async fn j3_ten_million() -> String {
    use phonecheck::pb::DeleteJobRequest;
    const N: usize = 10_000_000;
    let flags = ["--qps", "0", "--cache-entries", "0"];
    let run = |store: &'static str, server: Server, pg_url: Option<String>| async move {
        let f = run_job(&server, N, 0).await;
        let bytes = match &pg_url {
            Some(url) => postgres_job_bytes(url).await,
            None => server.data_bytes(),
        };
        let mut client = server.client().await;
        let start = Instant::now();
        client
            .delete_job(DeleteJobRequest { id: f.id.clone() })
            .await
            .expect("delete");
        let deleted = start.elapsed().as_secs_f64();
        format!(
            "\n  {store}: upload {:.0} s, check phase {:.0} s ({:.0} numbers/s), download {:.0} s, \
             delete {:.1} s; server peak RSS {:.1} MiB (goal <= 128); {:.0} bytes on disk per \
             stored row ({:.2} GB)",
            f.upload,
            f.check_phase(),
            N as f64 / f.check_phase(),
            f.download(),
            deleted,
            server.peak_rss_mib(),
            bytes as f64 / N as f64,
            bytes as f64 / 1e9
        )
    };
    let mut out = "J3 ten million: one job of 10,000,000 numbers (upload, check with --qps 0, \
                   download every result, delete)"
        .to_owned();
    let sim = mock(SimulatorConfig::default()).await;
    out.push_str(&run("SQLite", Server::start(&sim, &flags), None).await);
    match postgres("J3 on PostgreSQL").await {
        Some(pg) => {
            let url = pg.url();
            let server = Server::start(&sim, &[&flags[..], &["--database-url", &url]].concat());
            out.push_str(&run("PostgreSQL", server, Some(url)).await);
        }
        None => out.push_str("\n  PostgreSQL: skipped (no server installed)"),
    }
    out
}

async fn j2_replicas() -> String {
    const N: usize = 500_000;
    let Some(pg) = postgres("J2").await else {
        return "J2 replicas: skipped (no PostgreSQL server installed)".to_owned();
    };
    let runs: usize = std::env::var("J2_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    // An upstream answering in 100 ms and one call in flight per replica (--concurrency 1):
    // each replica is bound by its own upstream connection (20,000 numbers/s), well below
    // what this machine stores, as replicas are when the upstream is slow and the account's
    // limit is not what binds. Two replicas then have twice the connections.
    let config = || SimulatorConfig {
        latency: Duration::from_millis(100),
        ..SimulatorConfig::default()
    };
    let two_jobs = |servers: Vec<Server>, first: usize| async move {
        let start = Instant::now();
        let mut client = servers[0].client().await;
        let mut ids = Vec::new();
        for k in 0..2 {
            use phonecheck::pb::CreateJobRequest;
            let chunks = futures::stream::iter(
                (first + k * N..first + (k + 1) * N).step_by(10_000),
            )
            .map(|from| CreateJobRequest {
                mobiles: numbers(10_000, from),
                ..Default::default()
            });
            ids.push(
                client
                    .create_job(chunks)
                    .await
                    .expect("job")
                    .into_inner()
                    .id,
            );
        }
        let uploaded = start.elapsed().as_secs_f64();
        for id in &ids {
            wait_for_job(&mut client, id).await;
        }
        let took = start.elapsed().as_secs_f64();
        drop(servers);
        // The check phase: from both jobs stored to both checked (the uploads go through one
        // replica in both set-ups).
        took - uploaded
    };
    let flags = ["--qps", "0", "--cache-entries", "0", "--concurrency", "1"];
    let mut ratios = Vec::new();
    let mut lines = Vec::new();
    for run in 0..runs {
        let one = {
            let sim = mock(config()).await;
            let url = pg.database(&format!("j2_one_{run}")).await;
            let server = Server::start(
                &sim,
                &[
                    &flags[..],
                    &["--database-url", &url, "--max-running-jobs", "2"],
                ]
                .concat(),
            );
            two_jobs(vec![server], 0).await
        };
        let two = {
            let sim = mock(config()).await;
            let url = pg.database(&format!("j2_two_{run}")).await;
            let servers = (0..2)
                .map(|_| {
                    Server::start(
                        &sim,
                        &[
                            &flags[..],
                            &["--database-url", &url, "--max-running-jobs", "1"],
                        ]
                        .concat(),
                    )
                })
                .collect();
            two_jobs(servers, 0).await
        };
        ratios.push(one / two);
        lines.push(format!(
            "\n  run {}: check phase on one replica running both {one:.1} s ({:.0} numbers/s); \
             on two replicas sharing one PostgreSQL, one job each, {two:.1} s ({:.0} numbers/s): \
             {:.2}x",
            run + 1,
            2.0 * N as f64 / one,
            2.0 * N as f64 / two,
            one / two
        ));
    }
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(0.0, f64::max);
    format!(
        "J2 replicas: two jobs of 500,000 numbers, upstream latency 100 ms, --concurrency 1 per \
         replica; {runs} runs, the check phase's speed on two replicas / one: {low:.2}x to \
         {high:.2}x (goal: >= 1.8x in every run){}",
        lines.concat()
    )
}

/// Writes a customer list of `n` rows (customer, phone, note) as CSV or, for a `.xlsx`
/// path, as a workbook (numbers stored as numbers, as Excel users keep them).
fn customer_list(path: &std::path::Path, n: usize) {
    let phones = numbers(n, 0);
    if path.extension().is_some_and(|e| e == "xlsx") {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory().unwrap();
        sheet.write_row(0, 0, ["客户", "手机号", "备注"]).unwrap();
        for (i, phone) in phones.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, format!("客户{i}")).unwrap();
            sheet
                .write_number(row, 1, phone.parse::<f64>().unwrap())
                .unwrap();
            sheet.write_string(row, 2, "2026 campaign, wave 3").unwrap();
        }
        book.save(path).unwrap();
    } else {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        writeln!(out, "客户,手机号,备注").unwrap();
        for (i, phone) in phones.iter().enumerate() {
            writeln!(out, "客户{i},{phone},\"2026 campaign, wave 3\"").unwrap();
        }
    }
}

/// Runs `phonecheck check` on `input` into `out`; returns (seconds, the CLI's peak RSS in MiB).
/// The peak is the kernel's own count (`/usr/bin/time -f %M`) when that program is there, else
/// the highest VmHWM seen while polling, which can miss the last moments.
fn check_file(server: &Server, input: &std::path::Path, out: &std::path::Path) -> (f64, f64) {
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M"]).arg(env!("CARGO_BIN_EXE_phonecheck"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_phonecheck"))
    };
    let start = Instant::now();
    let mut child = command
        .args(["check", "-q", "--server"])
        .arg(format!("http://{}", server.addr))
        .arg(input)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start phonecheck check");
    let mut peak = 0.0f64;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        if let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        {
            peak = peak.max(kb / 1024.0);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = start.elapsed().as_secs_f64();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert!(
        status.success(),
        "phonecheck check {}: {stderr}",
        input.display()
    );
    if timed {
        let kb: f64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("time's %M");
        peak = kb / 1024.0;
    }
    (secs, peak)
}

async fn l1_lists() -> String {
    let sim = mock(SimulatorConfig::default()).await;
    let server = Server::start(&sim, &["--qps", "0", "--cache-entries", "0"]);
    let dir = tempfile::tempdir().expect("a scratch dir");
    let mut lines = Vec::new();
    // An XLSX sheet holds at most 1,048,576 rows: the workbook sizes stop at 1M.
    let runs: [(&str, f64, &[usize]); 2] = [
        ("csv", 100_000.0, &[100_000, 1_000_000, 2_000_000]),
        ("xlsx", 50_000.0, &[100_000, 500_000, 1_000_000]),
    ];
    for (kind, goal, sizes) in runs {
        let mut figures = Vec::new();
        for &n in sizes {
            let input = dir.path().join(format!("in-{n}.{kind}"));
            customer_list(&input, n);
            let out = dir.path().join(format!("out-{n}.{kind}"));
            let (secs, peak) = tokio::task::block_in_place(|| check_file(&server, &input, &out));
            let _ = std::fs::remove_file(&input);
            let _ = std::fs::remove_file(&out);
            figures.push(format!(
                "{}k rows {:.1} s = {:.0} rows/s, peak RSS {:.1} MiB",
                n / 1000,
                secs,
                n as f64 / secs,
                peak
            ));
        }
        lines.push(format!(
            "L1 lists: {kind} in, {kind} out, whole rows (goal >= {goal:.0} rows/s at 1M, memory flat): {}",
            figures.join("; ")
        ));
    }
    lines.join("\n")
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| a.to_uppercase())
        .filter(|a| {
            [
                "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "C1", "B1", "J1", "J2", "J3", "L1",
                "S1", "T1",
            ]
            .contains(&a.as_str())
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let wanted = |p: &str| only.is_empty() || only.iter().any(|o| o == p);
    runtime.block_on(async {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("phonecheck load run on {cores} cores (loopback, simulated upstream)");
        if wanted("P1") {
            println!("{}", p1_coalescing().await);
        }
        if wanted("P2") {
            println!("{}", p2_limit_utilization().await);
        }
        if wanted("P3") {
            println!("{}", p3_proxy_efficiency().await);
        }
        if wanted("P4") {
            println!("{}", p4_memory().await);
        }
        if wanted("P5") {
            println!("{}", p5_unary_overhead().await);
        }
        if wanted("P6") {
            println!("{}", p6_front_end_cost().await);
        }
        if wanted("P7") {
            println!("{}", p7_cached_pipeline().await);
        }
        if wanted("T1") {
            println!("{}", t1_traces().await);
        }
        if wanted("P8") {
            println!("{}", p8_cache_footprint().await);
        }
        if wanted("C1") {
            println!("{}", c1_cpu_per_million().await);
        }
        if wanted("B1") {
            println!("{}", b1_bulk().await);
        }
        if wanted("J1") {
            println!("{}", j1_jobs().await);
        }
        if wanted("J2") {
            println!("{}", j2_replicas().await);
        }
        if wanted("L1") {
            println!("{}", l1_lists().await);
        }
        // Minutes long: only when named.
        if only.iter().any(|o| o == "J3") {
            println!("{}", j3_ten_million().await);
        }
        if only.iter().any(|o| o == "S1") {
            println!("{}", s1_soak().await);
        }
    });
}
