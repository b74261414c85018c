//! Check and CheckStream against a real server and the simulated upstream over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{CheckStreamRequest, NumberStatus};

use common::{drain, numbers, start};

#[tokio::test]
async fn check_answers_every_input_in_order_and_bills_only_unique_valid_numbers() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let mobiles = vec![
        "13111111111".to_owned(),
        "+86 131-1111-1111".to_owned(), // duplicate of the first
        "0086 138 0013 8000".to_owned(),
        "12345".to_owned(),
        "abc, 8613900139000\n１３９００１３９０００".to_owned(), // invalid, valid, full-width duplicate
        "".to_owned(),
        "12011111111".to_owned(),
    ];
    let resp = env.check(mobiles).await;

    let got: Vec<(u32, &str, &str, NumberStatus, bool)> = resp
        .results
        .iter()
        .map(|r| {
            (
                r.index,
                r.input.as_str(),
                r.mobile.as_str(),
                r.status(),
                r.duplicate,
            )
        })
        .collect();
    use NumberStatus::Invalid;
    let doc = NumberStatus::Real;
    assert_eq!(got.len(), 9);
    assert_eq!(got[0], (0, "13111111111", "13111111111", doc, false));
    assert_eq!(got[1], (1, "+86 131-1111-1111", "13111111111", doc, true));
    assert_eq!(got[2].2, "13800138000");
    assert_eq!(got[3], (3, "12345", "", Invalid, false));
    assert_eq!(got[4], (4, "abc", "", Invalid, false));
    assert_eq!(got[5].1, "8613900139000");
    assert_eq!(got[5].2, "13900139000");
    assert_eq!((got[6].2, got[6].4), ("13900139000", true));
    assert_eq!(
        got[6].3, got[5].3,
        "a duplicate repeats its number's answer"
    );
    assert_eq!(got[7], (7, "", "", Invalid, false));
    assert_eq!(got[8], (8, "12011111111", "", Invalid, false));
    for r in &resp.results {
        if r.status() == Invalid {
            assert!(!r.invalid_reason.is_empty(), "{r:?}");
            assert!(r.checked_at.is_none());
        } else {
            assert!(r.checked_at.is_some() && r.error.is_none(), "{r:?}");
            assert!(!r.carrier.is_empty() && !r.status_name.is_empty(), "{r:?}");
        }
    }
    // The upstream document's own example, field by field.
    let first = &resp.results[0];
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
