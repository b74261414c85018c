//! Webhooks against a real receiver on loopback: a job with a `callback_url` is announced
//! when it ends, signed with the server's secret; a 500 is retried within seconds; a deleted
//! job is not announced again; private addresses and other schemes are refused unless the
//! server allows them; a server without a secret refuses callbacks.
//!
//! The first delivery is also kept under `target/tmp/webhook-delivery/` (body, signature
//! header, secret), where CI checks it with the verification snippets of docs/webhooks.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{KeyInit, Mac};
use parking_lot::Mutex;
use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::pb::{CreateJobRequest, DeleteJobRequest, GetJobRequest, WebhookState};
use phonecheck::serving::config::WebhookSettings;
use tokio::time::Instant;
use tonic::Code;
use tonic::transport::Channel;

use common::{connect, eventually, numbers, start};

const SECRET: &[u8] = b"a webhook secret of some length";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Delivery {
    at: Instant,
    signature: String,
    body: Vec<u8>,
}

/// A receiver on 127.0.0.1 answering each request with the next status of `answers` (the
/// last one repeated), recording what it got.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    answers: Arc<Vec<u16>>,
    url: String,
}

impl Receiver {
    async fn start(answers: Vec<u16>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let receiver = Receiver {
            got: Arc::default(),
            answers: Arc::new(answers),
            url: format!("http://{addr}/hooks/phonecheck"),
        };
        let app = axum::Router::new()
            .route("/hooks/phonecheck", axum::routing::post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().clone()
    }
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let signature = headers
        .get("phonecheck-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut got = r.got.lock();
    got.push(Delivery {
        at: Instant::now(),
        signature,
        body: body.to_vec(),
    });
    let status = r.answers[(got.len() - 1).min(r.answers.len() - 1)];
    StatusCode::from_u16(status).unwrap()
}

/// Checks `signature` is `t=…,v1=HMAC-SHA256(secret, "{t}.{body}")`, with a recent t.
fn verify(signature: &str, body: &[u8]) {
    let (t, v1) = signature
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("a signature header: {signature:?}"));
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, want, "the signature is HMAC-SHA256 of t.body");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t: u64 = t.parse().unwrap();
    assert!(now.abs_diff(t) < 120, "t is now: {t} vs {now}");
}

fn settings(allow_private: bool) -> WebhookSettings {
    WebhookSettings {
        secret: SECRET.into(),
        allow_private,
        timeout: Duration::from_secs(3),
    }
}

async fn create(
    client: &mut PhoneCheckClient<Channel>,
    callback_url: &str,
    inputs: Vec<String>,
) -> Result<phonecheck::pb::Job, tonic::Status> {
    let request = CreateJobRequest {
        name: "hooked".to_owned(),
        mobiles: inputs,
        callback_url: callback_url.to_owned(),
        ..Default::default()
    };
    client
        .create_job(futures::stream::iter([request]))
        .await
        .map(tonic::Response::into_inner)
}

fn reason(status: &tonic::Status) -> String {
    tonic_types::StatusExt::get_details_error_info(status)
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_job_end_is_announced_signed_and_a_failure_is_retried() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
        c.webhooks = Some(settings(true));
    })
    .await;
    let mut client = connect(env.addr).await;
    let receiver = Receiver::start(vec![500, 200]).await;
    let mut inputs = numbers(3);
    inputs.push("junk".to_owned());
    let job = create(&mut client, &receiver.url, inputs).await.unwrap();
    assert_eq!(job.callback_url, receiver.url);

    let got = eventually(
        "the announcement and its retry",
        Duration::from_secs(40),
        || {
            let got = receiver.deliveries();
            async move { (got.len() >= 2).then_some(got) }
        },
    )
    .await;
    let gap = got[1].at - got[0].at;
    // The first retry is due 5–10 s after the failure (5 s and up to as much again of jitter);
    // the sender looks for due webhooks every second.
    assert!(
        gap >= Duration::from_secs(4) && gap < Duration::from_secs(12),
        "the first retry comes within 10 s (and a tick): {gap:?}"
    );
    for delivery in &got {
        verify(&delivery.signature, &delivery.body);
        let json: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(json["id"], job.id);
        assert_eq!(json["state"], "JOB_STATE_SUCCEEDED");
        assert_eq!(
            json["total"], "4",
            "the API's JSON: 64-bit counts as strings"
        );
        assert_eq!(json["invalid"], "1");
        assert_eq!(json["callback_url"], receiver.url);
    }

    let after = eventually("the delivery recorded", Duration::from_secs(10), || {
        let mut client = client.clone();
        let id = job.id.clone();
        async move {
            let job = client
                .get_job(GetJobRequest { id })
                .await
                .ok()?
                .into_inner();
            let webhook = job.webhook.clone()?;
            (webhook.state() == WebhookState::Delivered).then_some(webhook)
        }
    })
    .await;
    assert_eq!((after.attempts, after.last_status), (2, 200));
    assert!(after.last_error.is_empty());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.deliveries().len(), 2, "delivered: not sent again");

    // Kept for the verification snippets of docs/webhooks.md, which CI runs against it.
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("webhook-delivery");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join("body.json"), &got[1].body).unwrap();
    std::fs::write(kept.join("signature.txt"), &got[1].signature).unwrap();
    std::fs::write(kept.join("secret.txt"), SECRET).unwrap();
}

#[tokio::test]
async fn a_deleted_job_is_not_announced_again() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
        c.webhooks = Some(settings(true));
    })
    .await;
    let mut client = connect(env.addr).await;
    let receiver = Receiver::start(vec![500]).await;
    let job = create(&mut client, &receiver.url, numbers(2))
        .await
        .unwrap();
    eventually("the first attempt", Duration::from_secs(30), || {
        let n = receiver.deliveries().len();
        async move { (n >= 1).then_some(()) }
    })
    .await;
    let failed = eventually("the failure recorded", Duration::from_secs(10), || {
        let mut client = client.clone();
        let id = job.id.clone();
        async move {
            let job = client
                .get_job(GetJobRequest { id })
                .await
                .ok()?
                .into_inner();
            job.webhook.filter(|w| w.attempts >= 1)
        }
    })
    .await;
    assert_eq!(failed.state(), WebhookState::Pending);
    assert_eq!(failed.last_status, 500);
    assert!(failed.next_attempt_at.is_some());
    client
        .delete_job(DeleteJobRequest { id: job.id.clone() })
        .await
        .unwrap();
    let before = receiver.deliveries().len();
    // Longer than the first retry's delay (at most 10 s).
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(
        receiver.deliveries().len(),
        before,
        "no delivery after the delete"
    );
}

#[tokio::test]
async fn private_addresses_and_other_schemes_are_refused_and_no_secret_means_no_callbacks() {
    let env = start(SimulatorConfig::default(), |c| {
        c.webhooks = Some(settings(false));
    })
    .await;
    let mut client = connect(env.addr).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
        "http://localhost:9/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let refused = create(&mut client, url, numbers(1)).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{url}: {refused:?}");
        assert_eq!(reason(&refused), "CALLBACK_URL_REFUSED", "{url}");
    }
    let listed = client
        .list_jobs(phonecheck::pb::ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.jobs.is_empty(),
        "a refused job leaves nothing behind"
    );

    let plain = start(SimulatorConfig::default(), |_| {}).await;
    let mut client = connect(plain.addr).await;
    let refused = create(&mut client, "https://example.com/hook", numbers(1))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "WEBHOOKS_DISABLED");
    assert!(refused.message().contains("--webhook-secret-file"));
}
