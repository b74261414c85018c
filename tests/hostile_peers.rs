//! Peers that misbehave on purpose, for real over loopback: an upstream answering 50 MB, or a
//! body that never ends. The call fails with a clear status, memory stays bounded (the server
//! stops reading at its limit), and the server keeps answering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use phonecheck::pb::CheckRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic_types::StatusExt;

use common::{connect, start_server, test_config};

/// How a hostile upstream answers.
#[derive(Clone, Copy)]
enum Answer {
    /// 50 MB, its length said up front.
    Huge,
    /// 50 MB, chunked, its length never said.
    HugeChunked,
    /// A chunked body that never ends: 1 KB every 10 ms.
    Endless,
}

const FIFTY_MB: u64 = 50 << 20;

/// An upstream on a free loopback port answering every call as `answer` says; returns its URL
/// and the bytes of body it managed to send in all (what the server read, plus what the
/// sockets' buffers held).
async fn hostile_upstream(answer: Answer) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/phonecheck", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let sent = counted.clone();
            tokio::spawn(async move {
                // The request's head and form: one read is enough to answer after.
                let mut request = vec![0; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let head: &[u8] = match answer {
                    Answer::Huge => &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"[..],
                    Answer::HugeChunked | Answer::Endless => &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
                };
                if socket.write_all(head).await.is_err() {
                    return;
                }
                let piece = vec![b' '; 64 * 1024];
                let mut written = 0_u64;
                while written < FIFTY_MB || matches!(answer, Answer::Endless) {
                    let result = match answer {
                        Answer::Huge => socket.write_all(&piece).await,
                        Answer::HugeChunked => {
                            let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                            chunk.extend_from_slice(&piece);
                            chunk.extend_from_slice(b"\r\n");
                            socket.write_all(&chunk).await
                        }
                        Answer::Endless => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            socket.write_all(b"400\r\n").await.and(
                                socket
                                    .write_all(&piece[..1024])
                                    .await
                                    .and(socket.write_all(b"\r\n").await),
                            )
                        }
                    };
                    if result.is_err() {
                        return;
                    }
                    let n = if matches!(answer, Answer::Endless) {
                        1024
                    } else {
                        piece.len() as u64
                    };
                    written += n;
                    sent.fetch_add(n, Ordering::Relaxed);
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn an_upstream_answer_too_long_or_endless_fails_the_call_clearly_and_bounded() {
    for (answer, reason, says) in [
        (Answer::Huge, "UPSTREAM_BAD_RESPONSE", "longer than 8 MiB"),
        (
            Answer::HugeChunked,
            "UPSTREAM_BAD_RESPONSE",
            "longer than 8 MiB",
        ),
        (Answer::Endless, "UPSTREAM_TIMEOUT", "did not answer within"),
    ] {
        let (url, sent) = hostile_upstream(answer).await;
        let mut config = test_config(url);
        config.upstream_timeout = Duration::from_secs(2);
        config.retry.max_retries = 0;
        let (addr, _stop) = start_server(config).await;
        let mut client = connect(addr).await;
        let mut request = tonic::Request::new(CheckRequest {
            mobiles: vec!["13800138000".into()],
            options: None,
        });
        request.set_timeout(Duration::from_secs(20));
        let status = client.check(request).await.unwrap_err();
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, reason, "{status:?}");
        assert!(status.message().contains(says), "{status:?}");
        // The server stopped reading at its limit: far less than 50 MB ever left the upstream
        // (the rest of what it sent sat in the sockets' buffers).
        let sent = sent.load(Ordering::Relaxed);
        assert!(
            sent < 32 << 20,
            "{sent} bytes were sent before the server let go"
        );
        // And it keeps answering: an input that needs no upstream.
        let answered = client
            .check(CheckRequest {
                mobiles: vec!["12345".into()],
                options: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answered.results.len(), 1);
    }
}

/// Connections to `addr` that each send `head` a byte every 200 ms and never finish it; each
/// ends (with how long it lasted) when the server closes it.
fn slow_loris(
    addr: std::net::SocketAddr,
    head: &'static [u8],
    count: usize,
) -> Vec<tokio::task::JoinHandle<Duration>> {
    (0..count)
        .map(|_| {
            tokio::spawn(async move {
                let started = tokio::time::Instant::now();
                let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
                let mut sink = [0; 1024];
                for byte in head.iter().cycle() {
                    if socket.write_all(&[*byte]).await.is_err() {
                        break;
                    }
                    // Anything the server says (a refusal) is read; its close ends the loop.
                    let read =
                        tokio::time::timeout(Duration::from_millis(200), socket.read(&mut sink));
                    if let Ok(Ok(0) | Err(_)) = read.await {
                        break;
                    }
                }
                started.elapsed()
            })
        })
        .collect()
}

#[tokio::test]
async fn slow_loris_clients_are_cut_off_while_everyone_else_is_answered() {
    let sim = common::simulator(Default::default()).await;
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    let (grpc, http, _stop) = common::start_server_with_http(config).await;
    let http = http.unwrap();
    // A request head that never ends, on the HTTP door; bytes that never become HTTP/2, on gRPC.
    let on_http = slow_loris(
        http,
        b"POST /api/phonecheck HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz",
        20,
    );
    let on_grpc = slow_loris(grpc, b"abcdefghijklmnopqrstuvwxyz", 20);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Everyone else is answered meanwhile, on both ports.
    let door = reqwest::Client::new()
        .post(format!("http://{http}/api/phonecheck"))
        .form(&[("token", "x"), ("mobiles", "13800138000")])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(door.status(), 200);
    assert!(door.text().await.unwrap().contains("\"code\":200"));
    let mut client = connect(grpc).await;
    let answered = client
        .check(CheckRequest {
            mobiles: vec!["13800138000".into()],
            options: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.results.len(), 1);
    // And the slow ones are cut off: the door's once the head's time is up.
    let limit = phonecheck::serving::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    for lasted in on_http {
        let lasted = tokio::time::timeout(limit, lasted)
            .await
            .expect("the door cut a slow head off")
            .unwrap();
        assert!(
            lasted >= phonecheck::serving::HEADER_READ_TIMEOUT - Duration::from_secs(1),
            "{lasted:?}"
        );
    }
    for lasted in on_grpc {
        tokio::time::timeout(Duration::from_secs(60), lasted)
            .await
            .expect("the gRPC port cut a connection that never spoke HTTP/2 off")
            .unwrap();
    }
}
