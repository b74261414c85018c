//! The result cache through the real server: a repeated list bills nothing, options narrow
//! what the cache may give, answers age out on the configured clock, and a call that failed
//! half way costs only what was not checked when repeated.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use phonecheck::checking::cache::ManualClock;
use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{CheckOptions, CheckRequest, CheckResponse, NumberStatus};
use tonic::Code;

use common::{TestEnv, drain, numbers, start};

async fn check(env: &TestEnv, mobiles: &[String], options: Option<CheckOptions>) -> CheckResponse {
    env.client
        .clone()
        .check(CheckRequest {
            mobiles: mobiles.to_vec(),
            options,
        })
        .await
        .expect("answered")
        .into_inner()
}

fn statuses(r: &CheckResponse) -> Vec<(String, i32)> {
    r.results
        .iter()
        .map(|r| (r.mobile.clone(), r.status))
        .collect()
}

#[tokio::test]
async fn the_same_list_twice_bills_nothing_the_second_time() {
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 500).await;
    let mut list = numbers(3000);
    list.push("junk".to_owned());
    list.push(list[0].clone());

    let first = check(&env, &list, None).await;
    let billed = env.sim.simulator.stats().billed;
    assert_eq!(billed, 3000);
    assert!(first.results.iter().all(|r| !r.from_cache));

    let second = check(&env, &list, None).await;
    assert_eq!(
        env.sim.simulator.stats().billed,
        billed,
        "nothing billed again"
    );
    assert_eq!(statuses(&second), statuses(&first), "same answers");
    for (a, b) in first.results.iter().zip(&second.results) {
        if b.mobile.is_empty() {
            continue;
        }
        assert!(b.from_cache, "{b:?}");
        assert_eq!(a.checked_at, b.checked_at, "the original check time");
    }
    let s = second.summary.expect("summary");
    assert_eq!((s.billed, s.cache_hits, s.upstream_calls), (0, 3000, 0));
    assert_eq!((s.invalid, s.duplicates), (1, 1));

    // Streams use the same cache.
    let stream = env.open_stream(list.clone()).await;
    let (results, summary) = drain(stream).await;
    assert_eq!(results.len(), list.len());
    assert_eq!((summary.billed, summary.cache_hits), (0, 3000));
    assert_eq!(env.sim.simulator.stats().billed, billed);
}

#[tokio::test]
async fn max_age_and_skip_cache_behave_as_documented() {
    let clock = Arc::new(ManualClock::default());
    let env = start(SimulatorConfig::default(), |c| {
        c.cache.clock = clock.clone();
        c.cache.ttl = Duration::from_secs(24 * 3600);
    })
    .await;
    let list = numbers(50);
    check(&env, &list, None).await;
    clock.advance(Duration::from_secs(600));
    let options = |max_age: Option<u64>, skip: bool| {
        Some(CheckOptions {
            max_age: max_age.map(|s| prost_types::Duration {
                seconds: s as i64,
                nanos: 0,
            }),
            skip_cache: skip,
            validate_only: false,
        })
    };

    // Ten minutes old: accepted within an hour, refused within five minutes.
    let within = check(&env, &list, options(Some(3600), false)).await;
    assert!(within.results.iter().all(|r| r.from_cache));
    assert_eq!(env.sim.simulator.stats().billed, 50);
    let fresher = check(&env, &list, options(Some(300), false)).await;
    assert!(fresher.results.iter().all(|r| !r.from_cache));
    assert_eq!(env.sim.simulator.stats().billed, 100);

    // Those answers are new now: accepted again within five minutes.
    let again = check(&env, &list, options(Some(300), false)).await;
    assert!(again.results.iter().all(|r| r.from_cache));
    assert_eq!(env.sim.simulator.stats().billed, 100);

    // skip_cache asks the upstream, and refreshes the cache.
    let skipped = check(&env, &list, options(None, true)).await;
    assert!(skipped.results.iter().all(|r| !r.from_cache));
    assert_eq!(skipped.summary.unwrap().billed, 50);
    let after = check(&env, &list, None).await;
    assert!(after.results.iter().all(|r| r.from_cache));
    assert_eq!(
        after.results[0].checked_at, skipped.results[0].checked_at,
        "the refreshed answer is the one cached"
    );
    assert_eq!(env.sim.simulator.stats().billed, 150);

    // A negative max_age is refused, naming the field.
    let status = env
        .client
        .clone()
        .check(CheckRequest {
            mobiles: list.clone(),
            options: Some(CheckOptions {
                max_age: Some(prost_types::Duration {
                    seconds: -1,
                    nanos: 0,
                }),
                skip_cache: false,
                validate_only: false,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("options.max_age"), "{status:?}");
}

#[tokio::test]
async fn answers_expire_after_their_time_to_live_shorter_for_suspended_and_risk() {
    let clock = Arc::new(ManualClock::default());
    let env = start(SimulatorConfig::default(), |c| {
        c.cache.clock = clock.clone();
        c.cache.ttl = Duration::from_secs(24 * 3600);
        c.cache.short_ttl = Duration::from_secs(6 * 3600);
    })
    .await;
    let list = numbers(400);
    let first = check(&env, &list, None).await;
    let short: usize = first
        .results
        .iter()
        .filter(|r| matches!(r.status(), NumberStatus::Suspended | NumberStatus::Risk))
        .count();
    assert!(
        short > 0 && short < 400,
        "the simulator gives a mix of statuses"
    );

    clock.advance(Duration::from_secs(7 * 3600));
    let later = check(&env, &list, None).await;
    let refreshed = later.results.iter().filter(|r| !r.from_cache).count();
    assert_eq!(refreshed, short, "only SUSPENDED and RISK answers aged out");
    assert_eq!(env.sim.simulator.stats().billed, 400 + short as u64);

    clock.advance(Duration::from_secs(24 * 3600));
    let next_day = check(&env, &list, None).await;
    assert!(next_day.results.iter().all(|r| !r.from_cache));
    assert_eq!(env.sim.simulator.stats().billed, 800 + short as u64);
}

#[tokio::test]
async fn a_call_that_failed_half_way_bills_only_the_rest_when_repeated() {
    let env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
        c.linger = Duration::from_millis(50);
    })
    .await;
    let mut list = numbers(1000);
    // "Quota used up" the first time the upstream sees this number: in the 5th batch.
    list[450] = "19900010102".to_owned();
    let status = env
        .client
        .clone()
        .check(CheckRequest {
            mobiles: list.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    let billed_first = env.sim.simulator.stats().billed;
    assert!((100..1000).contains(&billed_first), "{billed_first}");

    let repeat = check(&env, &list, None).await;
    let s = repeat.summary.expect("summary");
    assert_eq!(
        u64::from(s.cache_hits),
        billed_first,
        "what was paid for comes from the cache"
    );
    assert_eq!(
        u64::from(s.billed),
        1000 - billed_first,
        "only the rest is billed"
    );
    assert_eq!(env.sim.simulator.stats().billed, 1000);
    assert_eq!(
        env.sim.simulator.most_times_billed(),
        1,
        "nothing paid twice"
    );
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let env = start(SimulatorConfig::default(), |c| c.cache.entries = 0).await;
    let list = numbers(10);
    check(&env, &list, None).await;
    let second = check(&env, &list, None).await;
    assert!(second.results.iter().all(|r| !r.from_cache));
    assert_eq!(env.sim.simulator.stats().billed, 20);
}

#[tokio::test]
async fn bulk_streams_use_the_cache_and_take_options_from_the_first_message() {
    use phonecheck::pb::CheckBulkRequest;

    let env = start(SimulatorConfig::default(), |_| {}).await;
    let list = numbers(300);
    check(&env, &list, None).await;
    let bulk = |options: Option<CheckOptions>| {
        let chunks = vec![
            CheckBulkRequest {
                mobiles: list[..100].to_vec(),
                options,
            },
            CheckBulkRequest {
                mobiles: list[100..].to_vec(),
                ..Default::default()
            },
        ];
        let mut client = env.client.clone();
        async move {
            let mut stream = client
                .check_bulk(tokio_stream::iter(chunks))
                .await
                .expect("bulk")
                .into_inner();
            let (mut cached, mut summary) = (0, None);
            while let Some(msg) = stream.message().await.expect("message") {
                cached += msg.results.iter().filter(|r| r.from_cache).count();
                summary = msg.summary.or(summary);
            }
            (cached, summary.expect("summary"))
        }
    };
    let (cached, summary) = bulk(None).await;
    assert_eq!((cached, summary.cache_hits, summary.billed), (300, 300, 0));
    let skip = Some(CheckOptions {
        skip_cache: true,
        ..Default::default()
    });
    let (cached, summary) = bulk(skip).await;
    assert_eq!((cached, summary.cache_hits, summary.billed), (0, 0, 300));
    assert_eq!(env.sim.simulator.stats().billed, 600);
}
