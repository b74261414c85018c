//! The `phonecheck` binary as users start it: real processes, real ports, real signals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use phonecheck::pb::CheckRequest;
use phonecheck::pb::phone_check_client::PhoneCheckClient;

use common::process::{phonecheck, start_and_read, start_logged, terminate};

#[test]
fn serve_without_a_token_fails_with_one_line_saying_how_to_fix_it() {
    let out = phonecheck().arg("serve").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("ALAPI_TOKEN") && lines[0].contains("--demo"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_are_named() {
    let out = phonecheck()
        .args(["serve", "--demo", "--max-batch", "5000"])
        .output()
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-batch"));
}

#[test]
fn a_port_in_use_is_named_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = phonecheck()
        .args(["serve", "--demo", "--listen", &addr])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("phonecheck: "))
        .unwrap_or_default();
    assert!(
        line.contains(&format!("--listen {addr}: cannot bind")),
        "{stderr}"
    );
    assert_eq!(line.matches("in use").count(), 1, "said once: {line}");
}

#[tokio::test]
async fn serve_demo_answers_and_stops_cleanly_on_sigterm() {
    let mut cmd = phonecheck();
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0"]);
    let (addr, child) = start_and_read(cmd, "phonecheck listening", "addr=");
    let mut client = PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let resp = client
        .check(CheckRequest {
            mobiles: vec!["+86 131-1111-1111".into(), "12345".into()],
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(resp.results.len(), 2);
    assert_eq!(resp.results[0].status_name, "实号");
    assert_eq!(resp.summary.unwrap().billed, 1);
    assert!(terminate(child).await.success());
}

#[tokio::test]
async fn mock_upstream_speaks_the_wire_format_and_enforces_its_qps() {
    let mut cmd = phonecheck();
    cmd.args([
        "mock-upstream",
        "--listen",
        "127.0.0.1:0",
        "--qps",
        "1",
        "--token",
        "t0k",
    ]);
    let (url, child) = start_and_read(cmd, "mock upstream listening", "url=");
    let http = reqwest::Client::new();
    let call = |token: &'static str| {
        http.post(&url)
            .form(&[("token", token), ("mobiles", "13111111111")])
            .send()
    };
    let wrong: serde_json::Value = call("nope").await.unwrap().json().await.unwrap();
    assert_eq!(wrong["code"], 100);
    let first: serde_json::Value = call("t0k").await.unwrap().json().await.unwrap();
    assert_eq!(first["code"], 200);
    assert_eq!(first["data"][0]["area"], "山西-临汾");
    let second = call("t0k").await.unwrap();
    assert_eq!(second.status().as_u16(), 429);
    assert!(terminate(child).await.success());
}

#[tokio::test]
async fn a_stream_still_running_after_the_shutdown_grace_does_not_hold_the_process() {
    let mut cmd = phonecheck();
    // One upstream call a second of 2000 numbers: 20,000 numbers take ten seconds.
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--qps", "1"])
        .args(["--shutdown-grace", "2s"]);
    let (addr, child) = start_and_read(cmd, "phonecheck listening", "addr=");
    let mut client = PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let numbers: Vec<String> = (0..20_000).map(|i| format!("139{i:08}")).collect();
    let mut stream = client
        .check_stream(phonecheck::pb::CheckStreamRequest {
            mobiles: numbers,
            ..Default::default()
        })
        .await
        .expect("stream")
        .into_inner();
    stream
        .message()
        .await
        .expect("a first batch")
        .expect("message");
    // Far below the default grace of 30 s: the flag is what lets the process go.
    let status = tokio::time::timeout(Duration::from_secs(25), terminate(child))
        .await
        .expect("stopped within the grace period, not the default 30 s");
    assert!(status.success());
    // The open stream ends with an error instead of hanging.
    let mut ended = false;
    while let Ok(next) = tokio::time::timeout(Duration::from_secs(10), stream.message()).await {
        match next {
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => {
                ended = true;
                break;
            }
        }
    }
    assert!(ended, "the stream ended when the server stopped");
}

#[tokio::test]
async fn logs_never_hold_the_upstream_token_api_keys_or_full_numbers() {
    const UPSTREAM_TOKEN: &str = "upstream-token-very-secret-42";
    const API_KEY: &str = "caller-key-also-very-secret-7";
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("crm:{API_KEY}\n")).unwrap();

    let mut mock = phonecheck();
    mock.args([
        "mock-upstream",
        "--listen",
        "127.0.0.1:0",
        "--token",
        UPSTREAM_TOKEN,
    ]);
    let (url, mock) = start_and_read(mock, "mock upstream listening", "url=");

    let mut serve = phonecheck();
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream-url", &url])
        .args(["--api-keys-file", keys.to_str().unwrap(), "--retries", "0"])
        .env("ALAPI_TOKEN", UPSTREAM_TOKEN)
        .env("RUST_LOG", "info");
    let (addr, server, logs) = start_logged(serve, "phonecheck listening", "addr=");
    let mut client = PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let numbers = [
        "13111111111",
        "+86 139-1234-5678",
        "19900000102",
        "19900000502",
    ];
    for (key, mobile) in [
        (Some(API_KEY), numbers[0]),
        (Some(API_KEY), numbers[1]),
        (Some(API_KEY), numbers[2]), // quota used up upstream
        (Some(API_KEY), numbers[3]), // an HTML 502 page
        (Some("caller-key-but-wrong-1234"), numbers[0]),
        (None, numbers[0]),
    ] {
        let mut request = tonic::Request::new(CheckRequest {
            mobiles: vec![mobile.to_owned()],
            ..Default::default()
        });
        if let Some(key) = key {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {key}").parse().unwrap());
        }
        let _ = client.check(request).await;
    }
    assert!(terminate(server).await.success());
    drop(mock);
    let logs = logs.lock().join("\n");
    assert!(
        logs.contains("phonecheck stopped"),
        "the whole run is captured:\n{logs}"
    );
    assert!(
        logs.contains("call refused"),
        "refusals are logged:\n{logs}"
    );
    for secret in [UPSTREAM_TOKEN, API_KEY, "caller-key-but-wrong-1234"] {
        assert!(!logs.contains(secret), "{secret} leaked:\n{logs}");
    }
    for full in [
        "13111111111",
        "13912345678",
        "139-1234-5678",
        "19900000102",
        "19900000502",
    ] {
        assert!(!logs.contains(full), "{full} leaked:\n{logs}");
    }
}

#[tokio::test]
async fn a_segments_file_replaces_the_built_in_table_and_a_bad_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    // A carrier opened 154 before a release caught up; this table lists it and 131 only.
    let table = dir.path().join("segments.txt");
    std::fs::write(&table, "# test table\n131\n154\n").unwrap();
    let mut cmd = phonecheck();
    cmd.args([
        "serve",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--segments-file",
    ])
    .arg(&table);
    let (addr, child) = start_and_read(cmd, "phonecheck listening", "addr=");
    let mut client = PhoneCheckClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let resp = client
        .check(CheckRequest {
            mobiles: vec![
                "15400000000".into(),
                "13111111111".into(),
                "13811111111".into(),
            ],
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    let reasons: Vec<&str> = resp
        .results
        .iter()
        .map(|r| r.invalid_reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        ["", "", "segment 138 is not allocated to any mobile carrier"]
    );
    assert_eq!(resp.summary.unwrap().billed, 2);
    assert!(terminate(child).await.success());

    std::fs::write(&table, "131\n13x\n").unwrap();
    let out = phonecheck()
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--segments-file",
        ])
        .arg(&table)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--segments-file") && stderr.contains("line 2") && stderr.contains("13x"),
        "{stderr}"
    );
}
