//! Check and CheckStream against a real server and the simulated upstream over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{CheckStreamRequest, NumberStatus, PhoneResult};

use common::{drain, numbers, start};

/// A list with every kind of input: a plain number, a repeat in another spelling, a number
/// with a prefix, an invalid one, an element holding three inputs (invalid, valid, and a
/// full-width repeat), an empty one, and one outside the mobile segments.
fn mixed_list() -> Vec<String> {
    [
        "13111111111",
        "+86 131-1111-1111",
        "0086 138 0013 8000",
        "12345",
        "abc, 8613900139000\n１３９００１３９０００",
        "",
        "12011111111",
    ]
    .map(String::from)
    .into()
}

/// What a result says of its input, by name.
#[derive(Debug, PartialEq)]
struct Answered<'a> {
    index: u32,
    input: &'a str,
    mobile: &'a str,
    status: NumberStatus,
    duplicate: bool,
}

fn answered(r: &PhoneResult) -> Answered<'_> {
    Answered {
        index: r.index,
        input: &r.input,
        mobile: &r.mobile,
        status: r.status(),
        duplicate: r.duplicate,
    }
}

#[tokio::test]
async fn check_answers_every_input_in_order_with_the_number_it_read() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let resp = env.check(mixed_list()).await;
    let got: Vec<Answered> = resp.results.iter().map(answered).collect();
    let invalid = |index, input| Answered {
        index,
        input,
        mobile: "",
        status: NumberStatus::Invalid,
        duplicate: false,
    };
    assert_eq!(got.len(), 9, "an element's three inputs count as three");
    assert_eq!(
        got[0],
        Answered {
            index: 0,
            input: "13111111111",
            mobile: "13111111111",
            status: NumberStatus::Real,
            duplicate: false
        }
    );
    assert_eq!(
        got[1],
        Answered {
            index: 1,
            input: "+86 131-1111-1111",
            mobile: "13111111111",
            status: NumberStatus::Real,
            duplicate: true
        }
    );
    assert_eq!(got[2].mobile, "13800138000");
    assert_eq!(got[3], invalid(3, "12345"));
    assert_eq!(got[4], invalid(4, "abc"));
    assert_eq!(
        (got[5].input, got[5].mobile),
        ("8613900139000", "13900139000")
    );
    assert_eq!((got[6].mobile, got[6].duplicate), ("13900139000", true));
    assert_eq!(
        got[6].status, got[5].status,
        "a repeat has its number's answer"
    );
    assert_eq!(got[7], invalid(7, ""));
    assert_eq!(got[8], invalid(8, "12011111111"));
    for r in &resp.results {
        if r.status() == NumberStatus::Invalid {
            assert!(!r.invalid_reason.is_empty(), "{r:?}");
            assert!(r.checked_at.is_none());
        } else {
            assert!(r.checked_at.is_some() && r.error.is_none(), "{r:?}");
            assert!(!r.carrier.is_empty() && !r.status_name.is_empty(), "{r:?}");
        }
    }
}

#[tokio::test]
async fn check_bills_only_unique_valid_numbers_in_one_upstream_call() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let resp = env.check(mixed_list()).await;
    let s = resp.summary.expect("summary");
    assert_eq!((s.total, s.unique, s.invalid, s.duplicates), (9, 3, 4, 2));
    assert_eq!((s.billed, s.upstream_calls), (3, 1));
    let by = s.by_status.expect("by_status");
    let checked = by.empty + by.real + by.suspended + by.not_in_database + by.silent + by.risk;
    assert_eq!((checked, by.invalid, by.failed), (5, 4, 0));

    let stats = env.sim.simulator.stats();
    assert_eq!((stats.calls, stats.billed), (1, 3));
    let seen = env.sim.simulator.numbers_seen();
    let expected: HashSet<String> = ["13111111111", "13800138000", "13900139000"]
        .map(String::from)
        .into();
    assert_eq!(
        seen, expected,
        "only unique valid numbers reach the upstream"
    );
}

#[tokio::test]
async fn check_gives_the_upstream_documents_own_example_field_by_field() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let resp = env.check(vec!["13111111111".to_owned()]).await;
    let first = &resp.results[0];
    assert_eq!(first.status(), NumberStatus::Real);
    assert_eq!(
        (
            first.status_name.as_str(),
            first.area.as_str(),
            first.province.as_str(),
            first.city.as_str(),
            first.carrier.as_str()
        ),
        ("实号", "山西-临汾", "山西", "临汾", "中国联通")
    );
}

/// CheckStream parses requests as it decodes them and writes results straight into its
/// replies; Check goes through the generated types. Both must give every field alike.
#[tokio::test]
async fn check_stream_answers_a_mixed_list_field_for_field_as_check_does() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let mobiles: Vec<String> = [
        "13111111111",
        "+86 131-1111-1111",
        " 13222222222 ",
        "12345,13333333333",
        "",
        "13222222222",
        "abc",
        "15400000000",
        "１３９００１３９０００",
    ]
    .map(String::from)
    .into();
    let unary = env.check(mobiles.clone()).await;
    let (mut streamed, summary) = drain(env.open_stream(mobiles).await).await;
    streamed.sort_by_key(|r| r.index);
    assert_eq!(streamed.len(), unary.results.len());
    for (s, u) in streamed.iter().zip(&unary.results) {
        // The second call is answered from the cache the first one filled.
        assert_eq!(s.from_cache, u.status() != NumberStatus::Invalid, "{s:?}");
        let mut s = s.clone();
        s.from_cache = false;
        assert_eq!(&s, u);
    }
    let inputs: Vec<(&str, &str, bool)> = streamed
        .iter()
        .map(|r| (r.input.as_str(), r.mobile.as_str(), r.duplicate))
        .collect();
    assert_eq!(
        inputs,
        [
            ("13111111111", "13111111111", false),
            ("+86 131-1111-1111", "13111111111", true),
            ("13222222222", "13222222222", false),
            ("12345", "", false),
            ("13333333333", "13333333333", false),
            ("", "", false),
            ("13222222222", "13222222222", true),
            ("abc", "", false),
            ("15400000000", "", false),
            ("１３９００１３９０００", "13900139000", false),
        ]
    );
    assert_eq!(
        streamed[8].invalid_reason,
        "segment 154 is not allocated to any mobile carrier"
    );
    let u = unary.summary.expect("summary");
    assert_eq!(summary.total, u.total);
    assert_eq!(
        (
            summary.unique,
            summary.invalid,
            summary.duplicates,
            summary.cache_hits
        ),
        (4, 4, 2, 4)
    );
    assert_eq!(summary.billed, 0, "all four were bought by the first call");
}

#[tokio::test]
async fn check_splits_large_requests_into_batches_of_at_most_max_batch() {
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 300).await;
    let resp = env.check(vec![numbers(1000).join(",")]).await;
    assert_eq!(resp.results.len(), 1000);
    assert!(
        resp.results
            .iter()
            .enumerate()
            .all(|(i, r)| r.index as usize == i)
    );
    let s = resp.summary.unwrap();
    assert_eq!((s.billed, s.upstream_calls), (1000, 4));
    let stats = env.sim.simulator.stats();
    assert_eq!(stats.max_batch, 300);
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
}

#[tokio::test]
async fn check_stream_answers_5000_numbers_each_index_once_in_batches_of_2000() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let mut mobiles = numbers(5000);
    mobiles.push("not-a-number".to_owned());
    mobiles.push(mobiles[0].clone());
    let total = mobiles.len() as u32;
    let mut stream = env.open_stream(mobiles).await;

    let mut seen = vec![0u32; total as usize];
    let mut last_done = 0;
    let mut summary = None;
    let mut messages = 0;
    while let Some(msg) = stream.message().await.expect("message") {
        messages += 1;
        assert!(summary.is_none(), "the summary comes last");
        let p = msg.progress.expect("progress");
        assert_eq!(p.total, total);
        assert!(p.done >= last_done, "progress never goes back");
        last_done = p.done;
        for r in &msg.results {
            seen[r.index as usize] += 1;
            assert!(r.error.is_none(), "{r:?}");
        }
        summary = msg.summary.or(summary);
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "every index answered exactly once"
    );
    assert_eq!(last_done, total);
    assert!(messages >= 4, "invalid, three batches, summary: {messages}");
    let s = summary.expect("summary");
    assert_eq!(
        (s.total, s.unique, s.invalid, s.duplicates, s.billed),
        (5002, 5000, 1, 1, 5000)
    );
    let stats = env.sim.simulator.stats();
    assert!(stats.max_batch <= 2000, "{stats:?}");
    assert_eq!((stats.calls, stats.billed), (3, 5000));
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
}

#[tokio::test]
async fn check_stream_takes_requests_larger_than_the_grpc_default_message_size() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    // 250,000 inputs in "+86 139…" spelling: over the 4 MiB that gRPC accepts by default.
    // (That 1,000,000 inputs fit the raised limit is a unit test of `max_message_bytes`.)
    let request = CheckStreamRequest {
        mobiles: (0..250_000u64).map(|i| format!("+86 139{i:08}")).collect(),
        ..Default::default()
    };
    assert!(prost::Message::encoded_len(&request) > 4 * 1024 * 1024);
    let (results, s) = drain(env.open_stream(request.mobiles).await).await;
    assert_eq!(results.len(), 250_000);
    assert_eq!((s.billed, s.upstream_calls), (250_000, 125));
}

#[tokio::test]
async fn a_number_in_an_unallocated_segment_is_invalid_and_never_billed() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    // 154 and 17406 were never given to a carrier; 199, 166 and 173 were.
    let mobiles: Vec<String> = [
        "15400000000",
        "+86 174 0612 3456",
        "19912345678",
        "16612345678",
        "17312345678",
    ]
    .map(String::from)
    .into();
    let resp = env.check(mobiles.clone()).await;
    let reasons: Vec<(NumberStatus, &str)> = resp
        .results
        .iter()
        .map(|r| (r.status(), r.invalid_reason.as_str()))
        .collect();
    assert_eq!(
        reasons[..2],
        [
            (
                NumberStatus::Invalid,
                "segment 154 is not allocated to any mobile carrier"
            ),
            (
                NumberStatus::Invalid,
                "segment 17406 is not allocated to any mobile carrier"
            ),
        ]
    );
    assert!(
        reasons[2..]
            .iter()
            .all(|(s, _)| *s != NumberStatus::Invalid),
        "{reasons:?}"
    );
    let s = resp.summary.expect("summary");
    assert_eq!((s.invalid, s.billed), (2, 3));
    let expected: HashSet<String> = ["19912345678", "16612345678", "17312345678"]
        .map(String::from)
        .into();
    assert_eq!(env.sim.simulator.numbers_seen(), expected);

    // The streamed path answers the same way, from the same table.
    let stream = env.open_stream(mobiles).await;
    let (results, summary) = drain(stream).await;
    let mut invalid: Vec<u32> = results
        .iter()
        .filter(|r| r.status() == NumberStatus::Invalid)
        .map(|r| r.index)
        .collect();
    invalid.sort_unstable();
    assert_eq!(invalid, [0, 1]);
    assert_eq!(summary.invalid, 2);
    assert_eq!(
        env.sim.simulator.stats().billed,
        3,
        "nothing more was billed"
    );
}
