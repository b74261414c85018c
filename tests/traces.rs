//! Traces exported over OTLP by a real `phonecheck serve` process to a real OTLP receiver
//! started here (the collector's own gRPC service and HTTP route, from the OTLP protobuf
//! definitions), with the simulated upstream recording the `traceparent` of each call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use parking_lot::Mutex;
use phonecheck::checking::upstream::simulator::{RunningSimulator, SimulatorConfig};
use phonecheck::pb::CheckRequest;
use prost::Message;
use tokio::net::TcpListener;

use common::otlp::{grpc_receiver, http_receiver};
use common::process::{phonecheck, start_and_read};
use common::{TOKEN, connect, eventually, simulator};
use std::process::Command;

/// The numbers the calls check: none may appear whole in what the receiver gets.
const FIRST: [&str; 3] = ["13800138001", "13800138002", "13800138003"];
const SECOND: [&str; 3] = ["13800138004", "13800138005", "13800138003"];

/// `phonecheck serve` on the simulator, with an HTTP listener, exporting to `endpoint` over
/// `protocol`, a batch leaving `linger_ms` after its first number.
fn serve(sim: &RunningSimulator, endpoint: &str, protocol: &str, linger_ms: &str) -> Command {
    let mut serve = phonecheck();
    serve
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ])
        .args([
            "--upstream-url",
            &sim.url(),
            "--linger-ms",
            linger_ms,
            "--qps",
            "0",
        ])
        .args(["--otlp-endpoint", endpoint, "--otlp-protocol", protocol])
        .env("ALAPI_TOKEN", TOKEN)
        // Spans leave every 100 ms instead of every 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "100");
    serve
}

fn traceparent(trace: u8, span: u8) -> String {
    format!(
        "00-{}-{}-01",
        format!("{trace:02x}").repeat(16),
        format!("{span:02x}").repeat(8)
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn int_attribute(span: &Span, key: &str) -> Option<i64> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            Value::IntValue(i) => Some(*i),
            Value::StringValue(s) => s.parse().ok(),
            _ => None,
        }
    })
}

async fn check(
    addr: &str,
    mobiles: &[&str],
    parent: &str,
) -> tonic::Response<phonecheck::pb::CheckResponse> {
    let mut client = connect(addr.parse().unwrap()).await;
    let mut request = tonic::Request::new(CheckRequest {
        mobiles: mobiles.iter().map(|m| (*m).to_owned()).collect(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("traceparent", parent.parse().unwrap());
    client.check(request).await.expect("the check answers")
}

#[tokio::test]
async fn two_calls_sharing_a_batch_are_both_linked_to_it_and_the_upstream_sees_each_attempt() {
    // Every second upstream call fails with 429: the warm-up call is the first, so the shared
    // batch's first attempt is refused and its retry answers.
    let sim = simulator(SimulatorConfig {
        fail_every: Some(2),
        ..SimulatorConfig::default()
    })
    .await;
    let (endpoint, received) = grpc_receiver().await;
    // A batch leaves 300 ms after its first number, so the two calls share one.
    let (addr, _server) = start_and_read(
        serve(&sim, &endpoint, "grpc", "300"),
        "phonecheck listening (gRPC)",
        "addr=",
    );

    check(&addr, &["13900139000"], &traceparent(0x0a, 0x01)).await;
    let (one, two) = (traceparent(0x1a, 0x01), traceparent(0x2b, 0x02));
    let (first, second) = tokio::join!(check(&addr, &FIRST, &one), check(&addr, &SECOND, &two));
    assert_eq!(first.get_ref().results.len(), 3);
    assert_eq!(second.get_ref().results.len(), 3);

    let calls = eventually(
        "both calls' spans exported",
        Duration::from_secs(20),
        || {
            let calls: Vec<Span> = received
                .named("PhoneCheck/Check")
                .into_iter()
                .filter(|s| s.trace_id[0] != 0x0a)
                .collect();
            std::future::ready((calls.len() == 2).then_some(calls))
        },
    )
    .await;
    // Each call continues its caller's trace, as a child of the caller's span.
    for (parent, trace, span) in [(&one, 0x1a, 0x01), (&two, 0x2b, 0x02)] {
        let call = calls
            .iter()
            .find(|s| s.trace_id == vec![trace; 16])
            .unwrap_or_else(|| panic!("a call span in the trace of {parent}"));
        assert_eq!(
            call.parent_span_id,
            vec![span; 8],
            "parent of the call in {parent}"
        );
        assert_eq!(int_attribute(call, "inputs"), Some(3), "{parent}");
        assert_eq!(
            int_attribute(call, "rpc.grpc.status_code"),
            Some(0),
            "{parent}"
        );
    }

    // One batch carried both calls' numbers: its span links to both, and each call links back.
    let batch = eventually("the shared batch's span", Duration::from_secs(20), || {
        let batch = received
            .named("upstream batch")
            .into_iter()
            .find(|b| b.links.len() == 2);
        std::future::ready(batch)
    })
    .await;
    let mut linked: Vec<(Vec<u8>, Vec<u8>)> = batch
        .links
        .iter()
        .map(|l| (l.trace_id.clone(), l.span_id.clone()))
        .collect();
    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = calls
        .iter()
        .map(|c| (c.trace_id.clone(), c.span_id.clone()))
        .collect();
    linked.sort();
    expected.sort();
    assert_eq!(linked, expected, "the batch links to both calls");
    for call in &calls {
        assert!(
            call.links
                .iter()
                .any(|l| l.trace_id == batch.trace_id && l.span_id == batch.span_id),
            "the call of trace {} links to the batch it waited on",
            hex(&call.trace_id)
        );
    }
    assert_eq!(
        int_attribute(&batch, "numbers"),
        Some(5),
        "five distinct numbers"
    );
    // Each call's wait in the queue for it: a `queued` span under the call, three numbers each
    // (the one they share counted for both), ending as the batch left.
    for call in &calls {
        let queued = eventually(
            "the call's wait in the queue",
            Duration::from_secs(20),
            || {
                let queued = received
                    .named("queued")
                    .into_iter()
                    .find(|q| q.trace_id == call.trace_id && q.parent_span_id == call.span_id);
                std::future::ready(queued)
            },
        )
        .await;
        assert_eq!(int_attribute(&queued, "numbers"), Some(3));
        assert!(queued.start_time_unix_nano >= call.start_time_unix_nano);
        assert!(queued.end_time_unix_nano <= batch.start_time_unix_nano + 50_000_000);
    }

    // Its attempts are its children: a 429, then the answer.
    let attempts = eventually("the batch's two attempts", Duration::from_secs(20), || {
        let mut attempts: Vec<Span> = received
            .named("upstream attempt")
            .into_iter()
            .filter(|a| a.trace_id == batch.trace_id)
            .collect();
        attempts.sort_by_key(|a| int_attribute(a, "retry"));
        std::future::ready((attempts.len() == 2).then_some(attempts))
    })
    .await;
    for attempt in &attempts {
        assert_eq!(
            attempt.parent_span_id, batch.span_id,
            "an attempt is the batch's child"
        );
        assert_eq!(int_attribute(attempt, "numbers"), Some(5));
    }
    assert_eq!(int_attribute(&attempts[0], "upstream.code"), Some(429));
    assert_eq!(int_attribute(&attempts[1], "retry"), Some(1));
    assert_eq!(
        int_attribute(&attempts[1], "http.response.status_code"),
        Some(200)
    );

    // The upstream saw each attempt's own traceparent.
    let seen = sim.simulator.traceparents();
    for attempt in &attempts {
        let sent = format!("00-{}-{}-01", hex(&attempt.trace_id), hex(&attempt.span_id));
        assert!(
            seen.contains(&sent),
            "the upstream saw {sent} among {seen:?}"
        );
    }

    // Nothing secret or personal left the process: no number, no token.
    let bytes = String::from_utf8_lossy(&received.bytes.lock()).into_owned();
    for secret in FIRST.iter().chain(&SECOND).chain(&["13900139000", TOKEN]) {
        assert!(!bytes.contains(secret), "{secret} was exported");
    }
}

#[tokio::test]
async fn over_http_protobuf_the_door_continues_the_callers_trace() {
    const KEY: &str = "trace-test-key-5f2e9a7c1b";
    let sim = simulator(SimulatorConfig::default()).await;
    let (endpoint, received) = http_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("crm:{KEY}\n")).unwrap();
    let mut serve = serve(&sim, &endpoint, "http/protobuf", "5");
    serve.arg("--api-keys-file").arg(&keys);
    let (http, _server) = start_and_read(serve, "HTTP listening", "addr=");
    let parent = traceparent(0x3c, 0x03);
    let answer = reqwest::Client::new()
        .post(format!("http://{http}/api/phonecheck"))
        .header("traceparent", &parent)
        .form(&[("token", KEY), ("mobiles", "13800138001")])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());

    let door = eventually("the door's span", Duration::from_secs(20), || {
        let door = received
            .named("POST /api/phonecheck")
            .into_iter()
            .find(|s| s.trace_id == vec![0x3c; 16]);
        std::future::ready(door)
    })
    .await;
    assert_eq!(door.parent_span_id, vec![0x03; 8]);
    assert_eq!(int_attribute(&door, "http.response.status_code"), Some(200));
    // The console's API goes through the same layer.
    let listed = reqwest::Client::new()
        .get(format!("http://{http}/v1/jobs"))
        .header("traceparent", traceparent(0x3d, 0x03))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert!(listed.status().is_success(), "{}", listed.status());
    eventually("the console call's span", Duration::from_secs(20), || {
        let console = received
            .named("GET /v1/jobs")
            .into_iter()
            .find(|s| s.trace_id == vec![0x3d; 16] && s.parent_span_id == vec![0x03; 8]);
        std::future::ready(console)
    })
    .await;
    let batch = eventually("its batch, linked to it", Duration::from_secs(20), || {
        let batch = received.named("upstream batch").into_iter().find(|b| {
            b.links
                .iter()
                .any(|l| l.trace_id == door.trace_id && l.span_id == door.span_id)
        });
        std::future::ready(batch)
    })
    .await;
    assert_eq!(int_attribute(&batch, "numbers"), Some(1));
    // Neither the caller's key, nor the upstream's token, nor the number left the process.
    let bytes = String::from_utf8_lossy(&received.bytes.lock()).into_owned();
    for secret in [KEY, TOKEN, "13800138001"] {
        assert!(!bytes.contains(secret), "{secret} was exported");
    }
}

/// The trace of `call` as text, as a person reads it: the call, each batch it links to, and
/// each batch's attempts under it.
fn rendered(call: &Span, spans: &[Span]) -> String {
    let ms = |s: &Span| (s.end_time_unix_nano.saturating_sub(s.start_time_unix_nano)) / 1_000_000;
    let fields = |s: &Span, keys: &[&str]| -> String {
        keys.iter()
            .filter_map(|k| int_attribute(s, k).map(|v| format!(" {k}={v}")))
            .collect()
    };
    let mut text = format!(
        "{} trace={} parent={}{} ({} ms)\n",
        call.name,
        hex(&call.trace_id),
        hex(&call.parent_span_id),
        fields(
            call,
            &[
                "inputs",
                "invalid",
                "repeats",
                "cache_hits",
                "billed",
                "rpc.grpc.status_code"
            ]
        ),
        ms(call)
    );
    let waits: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent_span_id == call.span_id && s.name == "queued")
        .collect();
    text.push_str(&format!(
        "  |- queued: {} waits, {} ms in all\n",
        waits.len(),
        waits.iter().map(|w| ms(w)).sum::<u64>()
    ));
    for link in &call.links {
        let Some(batch) = spans.iter().find(|s| s.span_id == link.span_id) else {
            text.push_str(&format!(
                "  -> batch {} (not exported)\n",
                hex(&link.span_id)
            ));
            continue;
        };
        text.push_str(&format!(
            "  -> {} trace={}{} ({} ms)\n",
            batch.name,
            hex(&batch.trace_id),
            fields(
                batch,
                &["numbers", "callers", "queued_ms", "rate_limit_wait_ms"]
            ),
            ms(batch)
        ));
        for attempt in spans.iter().filter(|s| s.parent_span_id == batch.span_id) {
            text.push_str(&format!(
                "     `- {}{} ({} ms)\n",
                attempt.name,
                fields(
                    attempt,
                    &[
                        "retry",
                        "numbers",
                        "http.response.status_code",
                        "upstream.code"
                    ]
                ),
                ms(attempt)
            ));
        }
    }
    text
}

#[tokio::test]
async fn a_stream_of_ten_thousand_numbers_leads_to_every_upstream_call_that_answered_it() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (endpoint, received) = grpc_receiver().await;
    let mut serve = serve(&sim, &endpoint, "grpc", "20");
    serve
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info,phonecheck::serving::middleware=debug");
    let (addr, _server, logs) =
        common::process::start_logged(serve, "phonecheck listening (gRPC)", "(gRPC)\",\"addr\":\"");
    // The JSON line's word after the message: `(gRPC)","addr":"127.0.0.1:PORT","upstream"…`.
    let addr = addr.split('"').next().unwrap().to_owned();
    let mut client = connect(addr.parse().unwrap()).await;
    let numbers = common::numbers(10_000);
    let mut request = tonic::Request::new(phonecheck::pb::CheckStreamRequest {
        mobiles: numbers.clone(),
        ..Default::default()
    });
    let parent = traceparent(0x4d, 0x04);
    request
        .metadata_mut()
        .insert("traceparent", parent.parse().unwrap());
    let stream = client.check_stream(request).await.unwrap().into_inner();
    let (results, _) = common::drain(stream).await;
    assert_eq!(results.len(), 10_000);

    let call = eventually("the stream's span", Duration::from_secs(20), || {
        let call = received
            .named("PhoneCheck/CheckStream")
            .into_iter()
            .find(|s| s.trace_id == vec![0x4d; 16]);
        std::future::ready(call)
    })
    .await;
    assert_eq!(int_attribute(&call, "inputs"), Some(10_000));
    assert_eq!(int_attribute(&call, "billed"), Some(10_000));
    // Every upstream call that answered it is one link away.
    let spans = eventually(
        "every batch it waited on, with its attempt",
        Duration::from_secs(20),
        || {
            let spans = received.spans.lock().clone();
            let complete = call.links.iter().all(|l| {
                spans.iter().any(|b| b.span_id == l.span_id)
                    && spans.iter().any(|a| a.parent_span_id == l.span_id)
            });
            std::future::ready(complete.then_some(spans))
        },
    )
    .await;
    let batches: Vec<&Span> = call
        .links
        .iter()
        .filter_map(|l| spans.iter().find(|s| s.span_id == l.span_id))
        .collect();
    let carried: i64 = batches
        .iter()
        .filter_map(|b| int_attribute(b, "numbers"))
        .sum();
    assert_eq!(carried, 10_000, "the linked batches carried every number");
    assert_eq!(
        sim.simulator.stats().calls as usize,
        batches.len(),
        "one upstream call per batch, each linked"
    );
    println!("{}", rendered(&call, &spans));

    // The call's log lines name its trace.
    let trace = hex(&call.trace_id);
    let logged = logs.lock().clone();
    assert!(
        logged.iter().any(
            |l| l.contains("call finished") && l.contains(&format!("\"trace_id\":\"{trace}\""))
        ),
        "a JSON line of the call carries trace_id {trace}: {logged:#?}"
    );
    let bytes = String::from_utf8_lossy(&received.bytes.lock()).into_owned();
    assert!(
        numbers.iter().all(|n| !bytes.contains(n.as_str())),
        "a number was exported"
    );
}

#[tokio::test]
async fn a_jobs_runs_link_to_the_call_that_made_it_and_its_webhook_carries_that_trace() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (endpoint, received) = grpc_receiver().await;
    // A webhook receiver on loopback, keeping the `traceparent` of each delivery.
    let hooks: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/hook", listener.local_addr().unwrap());
    let keep = hooks.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| async move {
            let parent = headers.get("traceparent").and_then(|v| v.to_str().ok());
            keep.lock().push(parent.unwrap_or("none").to_owned());
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a-webhook-secret-of-some-length").unwrap();
    let mut serve = serve(&sim, &endpoint, "grpc", "5");
    serve
        .arg("--webhook-secret-file")
        .arg(&secret)
        .arg("--webhook-allow-private");
    let (addr, _server) = start_and_read(serve, "phonecheck listening (gRPC)", "addr=");

    let mut client = connect(addr.parse().unwrap()).await;
    let mut request =
        tonic::Request::new(futures::stream::iter([phonecheck::pb::CreateJobRequest {
            mobiles: common::numbers(3000),
            callback_url: callback.clone(),
            ..Default::default()
        }]));
    request
        .metadata_mut()
        .insert("traceparent", traceparent(0x6f, 0x06).parse().unwrap());
    let job = client.create_job(request).await.unwrap().into_inner();

    let create = eventually("the CreateJob call's span", Duration::from_secs(20), || {
        let call = received
            .named("PhoneCheck/CreateJob")
            .into_iter()
            .find(|s| s.trace_id == vec![0x6f; 16]);
        std::future::ready(call)
    })
    .await;
    let run = eventually(
        "the job's run, linked to its creation",
        Duration::from_secs(30),
        || {
            let run = received.named("job run").into_iter().find(|r| {
                r.links
                    .iter()
                    .any(|l| l.trace_id == create.trace_id && l.span_id == create.span_id)
            });
            std::future::ready(run)
        },
    )
    .await;
    let stored: Vec<Span> = received
        .named("job batch stored")
        .into_iter()
        .filter(|s| s.parent_span_id == run.span_id)
        .collect();
    assert!(!stored.is_empty(), "its writes are children of the run");
    let answers: i64 = stored
        .iter()
        .filter_map(|s| int_attribute(s, "answers"))
        .sum();
    assert_eq!(
        answers,
        3000,
        "every answer stored under the run ({} writes)",
        stored.len()
    );
    let batches = received.named("upstream batch");
    assert!(
        batches.iter().any(|b| b
            .links
            .iter()
            .any(|l| l.trace_id == run.trace_id && l.span_id == run.span_id)),
        "the job's batches link to its run"
    );
    // Announced in the creating call's trace: the receiver can go on with it.
    let delivered = eventually("the webhook", Duration::from_secs(30), || {
        std::future::ready(hooks.lock().first().cloned())
    })
    .await;
    assert!(
        delivered.starts_with(&format!("00-{}-", "6f".repeat(16))),
        "job {}'s webhook came with {delivered}",
        job.id
    );
}

/// The names of a process's threads (Linux truncates them to 15 bytes).
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[tokio::test]
async fn with_export_off_no_exporter_runs() {
    if !std::path::Path::new("/proc/self/task").exists() {
        eprintln!("SKIPPED with_export_off_no_exporter_runs: no /proc to list threads");
        return;
    }
    let sim = simulator(SimulatorConfig::default()).await;
    let (endpoint, received) = grpc_receiver().await;
    let exporter = |pid: u32| {
        thread_names(pid)
            .iter()
            .any(|name| name.starts_with("OpenTelemetry"))
    };
    // Off: the flag absent (and the variable too: `phonecheck()` clears nothing else).
    let mut off = phonecheck();
    off.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--upstream-url",
        &sim.url(),
    ])
    .env("ALAPI_TOKEN", TOKEN)
    .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    let (addr, off) = start_and_read(off, "phonecheck listening (gRPC)", "addr=");
    check(&addr, &["13800138001"], &traceparent(0x7a, 0x07)).await;
    assert!(
        !exporter(off.pid()),
        "threads with export off: {:?}",
        thread_names(off.pid())
    );
    // On: the exporter's thread runs, and the call is exported.
    let (addr, on) = start_and_read(
        serve(&sim, &endpoint, "grpc", "5"),
        "phonecheck listening (gRPC)",
        "addr=",
    );
    check(&addr, &["13800138002"], &traceparent(0x7b, 0x07)).await;
    assert!(
        exporter(on.pid()),
        "threads with export on: {:?}",
        thread_names(on.pid())
    );
    eventually("the call exported", Duration::from_secs(20), || {
        let calls = received.named("PhoneCheck/Check");
        std::future::ready((!calls.is_empty()).then_some(()))
    })
    .await;
    assert!(
        received
            .spans
            .lock()
            .iter()
            .all(|s| s.trace_id != vec![0x7a; 16]),
        "nothing of the server without export reached the receiver"
    );
}

#[tokio::test]
async fn a_grpc_web_call_continues_the_callers_trace() {
    let sim = simulator(SimulatorConfig::default()).await;
    let (endpoint, received) = grpc_receiver().await;
    let (addr, _server) = start_and_read(
        serve(&sim, &endpoint, "grpc", "5"),
        "phonecheck listening (gRPC)",
        "addr=",
    );
    // One gRPC-Web frame over HTTP/1.1, as a browser's client sends it.
    let message = CheckRequest {
        mobiles: vec!["13800138001".to_owned()],
        ..Default::default()
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}/phonecheck.v1.PhoneCheck/Check"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("traceparent", traceparent(0x8c, 0x08))
        .body(frame)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let call = eventually("the gRPC-Web call's span", Duration::from_secs(20), || {
        let call = received
            .named("PhoneCheck/Check")
            .into_iter()
            .find(|s| s.trace_id == vec![0x8c; 16]);
        std::future::ready(call)
    })
    .await;
    assert_eq!(call.parent_span_id, vec![0x08; 8]);
    assert_eq!(int_attribute(&call, "inputs"), Some(1));
}
