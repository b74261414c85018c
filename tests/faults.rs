//! The fault matrix: the mock upstream misbehaves in one way at a time (and in all ways at
//! once), at a given rate of its calls, while a stream and unary calls check numbers through a
//! real server. Whatever happens, every input ends answered with the right status or failed
//! with one of the codes of docs/errors.md, no call hangs past its deadline, nothing panics, and no
//! number is billed twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Once;
use std::time::Duration;

use phonecheck::checking::checked_line::LineStatus;
use phonecheck::checking::upstream::simulator::{Faults, SimulatorConfig, expected_status};
use phonecheck::pb::{self, CheckRequest, CheckStreamRequest, PhoneResult};
use prost::Message;
use tonic::Code;

use common::{numbers, start};

thread_local! {
    /// Panics on this thread. Each case runs on a current-thread runtime, so its server's
    /// tasks panic on its own thread: cases running in parallel never see each other's.
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Installs (once per process) a hook counting panics per thread, and returns this thread's
/// count so far.
fn count_panics() -> usize {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            default(info);
        }));
    });
    PANICS.with(Cell::get)
}

/// The ErrorInfo reason of a result's error.
fn reason(error: &tonic_types::pb::Status) -> String {
    error
        .details
        .iter()
        .find(|d| d.type_url.ends_with("google.rpc.ErrorInfo"))
        .and_then(|d| tonic_types::pb::ErrorInfo::decode(d.value.as_slice()).ok())
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// How a number may fail under these faults (docs/errors.md): the upstream unreachable or
/// too slow after retries, an unreadable answer, a number left out of an answer.
const ALLOWED_FAILURES: [(Code, &str); 4] = [
    (Code::Unavailable, "UPSTREAM_UNAVAILABLE"),
    (Code::Unavailable, "UPSTREAM_TIMEOUT"),
    (Code::Internal, "UPSTREAM_BAD_RESPONSE"),
    (Code::Internal, "UPSTREAM_RESULT_MISSING"),
];

/// Checks one result: the simulator's own answer for its number, or an allowed failure.
/// Returns whether it was answered.
fn judge(result: &PhoneResult, outcomes: &mut HashMap<String, usize>) -> bool {
    if let Some(error) = &result.error {
        let code = Code::from_i32(error.code);
        let reason = reason(error);
        assert!(
            ALLOWED_FAILURES.contains(&(code, reason.as_str())),
            "{} failed with {code:?} {reason}: {}",
            result.mobile,
            error.message
        );
        *outcomes.entry(reason).or_default() += 1;
        return false;
    }
    let expected = LineStatus::from_code(expected_status(&result.mobile)).expect("a status");
    assert_eq!(
        result.status(),
        pb::NumberStatus::from(expected),
        "{}",
        result.mobile
    );
    *outcomes.entry("answered".to_owned()).or_default() += 1;
    true
}

async fn run_case(name: &str, faults: Faults) {
    let panics_before = count_panics();
    let env = start(
        SimulatorConfig {
            faults,
            ..SimulatorConfig::default()
        },
        |c| {
            // Many small batches, so each fault meets many calls.
            c.max_batch = 100;
            c.upstream_timeout = Duration::from_millis(500);
        },
    )
    .await;
    let list = numbers(3000);
    let deadline = Duration::from_secs(30);
    let mut outcomes = HashMap::new();
    let work = async {
        let mut request = tonic::Request::new(CheckStreamRequest {
            mobiles: list.clone(),
            ..Default::default()
        });
        request.set_timeout(deadline);
        let mut client = env.client.clone();
        let stream = async move {
            let mut stream = client.check_stream(request).await?.into_inner();
            let mut results = Vec::new();
            let mut summary = None;
            while let Some(message) = stream.message().await? {
                results.extend(message.results);
                summary = summary.or(message.summary);
            }
            Ok::<_, tonic::Status>((results, summary))
        };
        let unary = (0..10).map(|i| {
            let mut client = env.client.clone();
            let mobiles: Vec<String> = (0..50).map(|j| format!("138{:08}", i * 50 + j)).collect();
            async move {
                let mut request = tonic::Request::new(CheckRequest {
                    mobiles,
                    ..Default::default()
                });
                request.set_timeout(deadline);
                client.check(request).await
            }
        });
        tokio::join!(stream, futures::future::join_all(unary))
    };
    let (stream, unary) = tokio::time::timeout(deadline + Duration::from_secs(5), work)
        .await
        .unwrap_or_else(|_| panic!("{name}: a call hung past its deadline"));

    let (results, summary) = stream.unwrap_or_else(|e| panic!("{name}: the stream failed: {e:?}"));
    let summary = summary.unwrap_or_else(|| panic!("{name}: the stream has no summary"));
    let mut seen = vec![0u32; list.len()];
    let mut answered = 0u64;
    for result in &results {
        seen[result.index as usize] += 1;
        assert_eq!(result.input, list[result.index as usize]);
        answered += u64::from(judge(result, &mut outcomes));
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "{name}: every input answered exactly once"
    );
    assert_eq!(
        u64::from(summary.billed),
        answered,
        "{name}: billed = answered"
    );
    for call in unary {
        match call {
            Ok(response) => {
                for result in &response.get_ref().results {
                    judge(result, &mut outcomes);
                }
            }
            // A unary call fails as a whole with its first failed batch's status.
            Err(status) => assert!(
                matches!(status.code(), Code::Unavailable | Code::Internal),
                "{name}: {status:?}"
            ),
        }
    }
    let sim = &env.sim.simulator;
    assert!(
        sim.most_times_billed() <= 1,
        "{name}: a number was billed twice ({:?})",
        sim.stats()
    );
    assert_eq!(count_panics(), panics_before, "{name}: something panicked");
    // The server still answers.
    let mut client = env.client.clone();
    client
        .check(CheckRequest {
            mobiles: vec!["13111111111".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{name}: the server still answers: {e:?}"));
    eprintln!("{name}: {outcomes:?}, upstream {:?}", sim.stats());
}

const RATE: f64 = 0.3;

#[tokio::test]
async fn latency_spikes() {
    run_case(
        "latency spikes",
        Faults {
            latency_spike: RATE,
            spike: Duration::from_secs(1),
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn connection_reset_mid_body() {
    run_case(
        "reset mid-body",
        Faults {
            reset_mid_body: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn truncated_json() {
    run_case(
        "truncated JSON",
        Faults {
            truncated_json: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn data_shorter_than_the_batch() {
    run_case(
        "short data",
        Faults {
            short_data: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn duplicated_entries() {
    run_case(
        "duplicated entries",
        Faults {
            duplicated_entries: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn wrong_usage() {
    run_case(
        "wrong usage",
        Faults {
            wrong_usage: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn bad_gateway_html_pages() {
    run_case(
        "502 HTML",
        Faults {
            bad_gateway_html: RATE,
            ..Faults::default()
        },
    )
    .await;
}

#[tokio::test]
async fn everything_at_once() {
    let rate = 0.08;
    run_case(
        "all faults",
        Faults {
            seed: 7,
            latency_spike: rate,
            spike: Duration::from_secs(1),
            reset_mid_body: rate,
            truncated_json: rate,
            short_data: rate,
            duplicated_entries: rate,
            wrong_usage: rate,
            bad_gateway_html: rate,
        },
    )
    .await;
}
