//! Several replicas sharing one Redis: real redis-server processes on free loopback ports, real
//! phonecheck servers, one simulated upstream with a QPS limit. Run with
//! `cargo test --features redis` (needs `redis-server` on the PATH).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "redis")]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::num::NonZeroU32;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use phonecheck::checking::upstream::simulator::{RunningSimulator, SimulatorConfig};
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CheckRequest, CheckResponse};
use phonecheck::serving::config::RedisConfig;
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use common::{connect, drain, numbers, start_server, test_config};

/// A redis-server child process on a loopback port, stopped on drop.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = RedisServer { port, child: None };
        server.run();
        server
    }

    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (apt install redis-server)");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        common::eventually_blocking("redis-server to listen", Duration::from_secs(30), || {
            TcpStream::connect(addr).ok()
        });
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Replica {
    client: PhoneCheckClient<Channel>,
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn replica(sim: &RunningSimulator, redis: &RedisServer, qps: u32, require: bool) -> Replica {
    let mut config = test_config(sim.url());
    config.qps = NonZeroU32::new(qps);
    config.max_batch = 100;
    config.redis = Some(RedisConfig {
        url: redis.url(),
        replicas_hint: 2,
        require,
    });
    let (addr, stop) = start_server(config).await;
    Replica {
        client: connect(addr).await,
        addr,
        _stop: stop,
    }
}

async fn mock(qps: Option<u32>) -> RunningSimulator {
    common::simulator(SimulatorConfig {
        qps,
        ..SimulatorConfig::default()
    })
    .await
}

async fn check(replica: &Replica, mobiles: Vec<String>) -> CheckResponse {
    replica
        .client
        .clone()
        .check(CheckRequest {
            mobiles,
            ..Default::default()
        })
        .await
        .expect("answered")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_checked_on_one_replica_is_a_cache_hit_on_the_other_and_together_they_cause_no_429()
{
    let redis = RedisServer::start();
    let sim = mock(Some(20)).await;
    let a = replica(&sim, &redis, 20, false).await;
    let b = replica(&sim, &redis, 20, false).await;

    let list = numbers(500);
    let first = check(&a, list.clone()).await;
    assert_eq!(first.summary.unwrap().billed, 500);
    // A's answers reach Redis in the background: wait for them.
    let second = common::eventually("A's answers in Redis", Duration::from_secs(30), || {
        let (b, list) = (&b, list.clone());
        async move {
            let second = check(b, list).await;
            (second.summary.as_ref().unwrap().cache_hits >= 500).then_some(second)
        }
    })
    .await;
    assert!(second.results.iter().all(|r| r.from_cache));
    assert_eq!(second.results[0].checked_at, first.results[0].checked_at);
    let billed_so_far = sim.simulator.stats().billed;
    assert!(billed_so_far >= 500);

    // Both replicas at full speed on new numbers, each allowed 20 calls/s: together they keep
    // to the one account's 20 calls/s, and the upstream never says 429.
    let calls_before = sim.simulator.stats().calls;
    let started = tokio::time::Instant::now();
    let stream_a = {
        let mut client = a.client.clone();
        tokio::spawn(async move {
            client
                .check_stream(phonecheck::pb::CheckStreamRequest {
                    mobiles: (0..3000).map(|i| format!("150{i:08}")).collect(),
                    ..Default::default()
                })
                .await
                .expect("stream")
                .into_inner()
        })
    };
    let stream_b = {
        let mut client = b.client.clone();
        tokio::spawn(async move {
            client
                .check_stream(phonecheck::pb::CheckStreamRequest {
                    mobiles: (0..3000).map(|i| format!("151{i:08}")).collect(),
                    ..Default::default()
                })
                .await
                .expect("stream")
                .into_inner()
        })
    };
    let (ra, _) = drain(stream_a.await.unwrap()).await;
    let (rb, _) = drain(stream_b.await.unwrap()).await;
    let load_secs = started.elapsed().as_secs_f64();
    assert!(ra.iter().chain(&rb).all(|r| r.checked_at.is_some()));
    let stats = sim.simulator.stats();
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    let calls = stats.calls - calls_before;
    assert_eq!(calls, 60);
    // Reported, not asserted (time is the machine's): the figure for the closing note.
    eprintln!(
        "two replicas under load: {calls} calls in {load_secs:.2} s = {:.2} calls/s (limit 20), 429s: {}",
        calls as f64 / load_secs,
        stats.rate_limited
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_keeps_serving_on_local_state_and_sharing_resumes_when_it_is_back() {
    let mut redis = RedisServer::start();
    let sim = mock(None).await;
    let a = replica(&sim, &redis, 0, false).await;
    let b = replica(&sim, &redis, 0, true).await;
    let health = HealthClient::new(common::channel(b.addr).await);
    let status = |health: &mut HealthClient<Channel>| {
        let mut health = health.clone();
        async move {
            health
                .check(HealthCheckRequest {
                    service: "phonecheck.v1.PhoneCheck".to_owned(),
                })
                .await
                .map(|r| r.into_inner().status())
                .unwrap_or(ServingStatus::Unknown)
        }
    };
    let serving = |want: ServingStatus| {
        let health = health.clone();
        move || {
            let mut health = health.clone();
            async move { (status(&mut health).await == want).then_some(()) }
        }
    };
    common::eventually(
        "B serving",
        Duration::from_secs(30),
        serving(ServingStatus::Serving),
    )
    .await;

    redis.stop();
    // Still answering, on local state.
    let during = check(&a, numbers(50)).await;
    assert!(during.results.iter().all(|r| r.checked_at.is_some()));
    let again = check(&a, numbers(50)).await;
    assert!(
        again.results.iter().all(|r| r.from_cache),
        "A's own cache still works"
    );
    // B requires Redis: its health says so (the ping notices within a second or so).
    common::eventually(
        "B not serving without Redis",
        Duration::from_secs(30),
        serving(ServingStatus::NotServing),
    )
    .await;
    // …but it still answers whoever calls.
    let on_b = check(&b, vec!["13111111111".to_owned()]).await;
    assert!(on_b.results[0].checked_at.is_some());

    redis.run();
    common::eventually(
        "B serving again",
        Duration::from_secs(30),
        serving(ServingStatus::Serving),
    )
    .await;
    // Sharing again: a number checked on A becomes a cache hit on B.
    let mut i = 0;
    loop {
        let n = format!("152{i:08}");
        check(&a, vec![n.clone()]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if check(&b, vec![n]).await.results[0].from_cache {
            break;
        }
        i += 1;
        assert!(i < 200, "the shared cache never came back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_running_streams_they_complete_within_the_limit_and_the_cache_refills() {
    let mut redis = RedisServer::start();
    // The upstream answers 429 above 20 calls/s; the replicas share those 20 through Redis, and
    // without it each keeps to 20 ÷ --replicas-hint (2).
    let sim = mock(Some(20)).await;
    let a = replica(&sim, &redis, 20, false).await;
    let b = replica(&sim, &redis, 20, false).await;
    let stream = |replica: &Replica, prefix: &'static str| {
        let mut client = replica.client.clone();
        tokio::spawn(async move {
            let stream = client
                .check_stream(phonecheck::pb::CheckStreamRequest {
                    mobiles: (0..6000).map(|i| format!("{prefix}{i:08}")).collect(),
                    ..Default::default()
                })
                .await
                .expect("stream")
                .into_inner();
            drain(stream).await
        })
    };
    let started = tokio::time::Instant::now();
    let (on_a, on_b) = (stream(&a, "153"), stream(&b, "156"));
    // 120 calls at 20 a second: about six seconds. Redis dies in the middle, SIGKILLed, and
    // comes back (empty: nothing was saved) two seconds later.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.stop();
    let killed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.run();
    let (ra, sa) = on_a.await.unwrap();
    let (rb, sb) = on_b.await.unwrap();
    let took = started.elapsed();
    assert_eq!((ra.len(), rb.len()), (6000, 6000), "every number answered");
    let failed: Vec<_> = ra
        .iter()
        .chain(&rb)
        .filter(|r| r.error.is_some() || r.checked_at.is_none())
        .collect();
    assert!(
        failed.is_empty(),
        "{} numbers failed, the first: {:?}; {:?}",
        failed.len(),
        failed.first(),
        sim.simulator.stats()
    );
    let billed = sa.billed + sb.billed;
    let stats = sim.simulator.stats();
    assert_eq!(
        stats.rate_limited, 0,
        "the upstream's limit was never passed: {stats:?}"
    );
    eprintln!(
        "Redis SIGKILLed {killed:.1?} into two 6,000-number streams, back 2 s later: both complete in {took:.1?}, {billed} billed for 12,000 numbers, {} calls, 429s: {}",
        stats.calls, stats.rate_limited
    );
    assert_eq!(billed, 12_000, "each number billed once");
    // The shared cache refills: what one replica checks now is a hit on the other.
    let mut i = 0;
    loop {
        let n = format!("155{i:08}");
        check(&a, vec![n.clone()]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if check(&b, vec![n]).await.results[0].from_cache {
            break;
        }
        i += 1;
        assert!(i < 200, "the shared cache never came back");
    }
}

/// A connection of our own to the test's Redis, to plant and read values as other builds would.
async fn raw(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("connected to the test's redis-server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_from_older_builds_are_read_and_values_from_newer_formats_are_refused_cleanly() {
    let redis = RedisServer::start();
    let sim = mock(None).await;
    let a = replica(&sim, &redis, 0, true).await;
    let mut conn = raw(&redis).await;

    // An earlier build's text line, under its own key: answered from it, nothing billed.
    let older = "13800138000";
    let a_minute_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60;
    redis::cmd("SET")
        .arg(format!("phonecheck:v1:r:{older}"))
        .arg(format!(
            "4\t{a_minute_ago}123456789\t沉默号\t山西-临汾\t中国联通"
        ))
        .arg("PX")
        .arg(600_000)
        .exec_async(&mut conn)
        .await
        .unwrap();
    // A later release's format byte, under this build's key: a miss, checked upstream.
    let newer = "13900139000";
    let newer_key = format!("phonecheck:v2:r:{newer}");
    redis::cmd("SET")
        .arg(&newer_key)
        .arg(b"\x02something this build cannot read".as_slice())
        .exec_async(&mut conn)
        .await
        .unwrap();

    let answer = check(&a, vec![older.to_owned(), newer.to_owned()]).await;
    let (from_text, refused) = (&answer.results[0], &answer.results[1]);
    assert!(from_text.from_cache, "{from_text:?}");
    assert_eq!(from_text.status_name, "沉默号");
    assert_eq!(from_text.area, "山西-临汾");
    assert_eq!(from_text.carrier, "中国联通");
    assert_eq!(
        from_text.checked_at.unwrap().seconds,
        i64::try_from(a_minute_ago).unwrap()
    );
    assert!(!refused.from_cache, "{refused:?}");
    assert!(refused.checked_at.is_some());
    assert_eq!(
        answer.summary.unwrap().billed,
        1,
        "only the refused one was bought"
    );
    assert_eq!(sim.simulator.stats().billed, 1);

    // The fresh answer replaced the unreadable value with this build's format, with an expiry.
    let stored: Vec<u8> =
        common::eventually("the fresh answer in Redis", Duration::from_secs(30), || {
            let (mut conn, key) = (conn.clone(), newer_key.clone());
            async move {
                let v: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                v.filter(|v| v.first() == Some(&1))
            }
        })
        .await;
    assert!(stored.len() < 64, "{} bytes", stored.len());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&newer_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0, "expires with its answer: {ttl}");
    // Nothing is written under the earlier builds' keys.
    let old_form: Option<Vec<u8>> = redis::cmd("GET")
        .arg(format!("phonecheck:v1:r:{newer}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(old_form, None);
    // Refusing a value is not Redis being down: a replica that requires Redis still serves.
    let health = HealthClient::new(common::channel(a.addr).await);
    let status = health
        .clone()
        .check(HealthCheckRequest {
            service: "phonecheck.v1.PhoneCheck".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::Serving);
}
