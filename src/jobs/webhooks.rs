//! Webhooks: when a job with a `callback_url` ends (succeeded, failed, cancelled), the server
//! POSTs the job as JSON to that URL, signed, and retries until an answer 2xx comes or the
//! time allowed runs out.
//!
//! - **Signed.** `Phonecheck-Signature: t=UNIX_SECONDS,v1=HEX`, where v1 is HMAC-SHA256 over
//!   `"{t}.{body}"` with the secret of `--webhook-secret-file`: a receiver checks it came from
//!   us, and rejects an old `t` to refuse replays.
//! - **Durable.** What is due lives with the job in the store (the `hook_*` columns), so a
//!   restart loses nothing; on a shared store [`JobStore::claim_webhooks`] hands each due
//!   webhook to one replica, which holds it while it tries.
//! - **Retried.** A non-2xx answer, or none within `--webhook-timeout`, is tried again after an
//!   exponential delay with jitter (5 s, then doubling up to an hour, the first retry within
//!   10 s), until 24 hours after the job ended.
//! - **Guarded.** A callback whose host resolves to a loopback, private, link-local
//!   (cloud-metadata) or otherwise non-public address is refused, unless
//!   `--webhook-allow-private`; only http and https; redirects are not followed. The address
//!   is checked again at every delivery, and the connection goes to the address checked.
//!
//! The JSON is the job in the API's JSON mapping, which this module does not know: the side
//! that faces callers hands in a [`JobEncoder`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backon::BackoffBuilder;
use hmac::{KeyInit, Mac};
use tracing::Instrument;

use super::store::{JobRecord, JobStore, WebhookAttempt, WebhookState};

/// Turns a job into the body announced (the API's JSON for it).
pub type JobEncoder = Arc<dyn Fn(&JobRecord) -> Vec<u8> + Send + Sync>;

/// How webhooks are sent.
#[derive(Clone)]
pub struct Webhooks {
    /// The HMAC key of the signatures.
    pub secret: Arc<[u8]>,
    /// Allow callbacks to loopback and private addresses (tests, a receiver on the same
    /// network).
    pub allow_private: bool,
    /// How long an attempt waits for an answer.
    pub timeout: Duration,
    /// How long after the job ended retries go on.
    pub give_up_after: Duration,
    /// The body of a job's announcement.
    pub encode: JobEncoder,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("allow_private", &self.allow_private)
            .field("timeout", &self.timeout)
            .field("give_up_after", &self.give_up_after)
            .finish_non_exhaustive()
    }
}

/// Why a callback URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// It does not parse.
    #[error("callback_url {url:?} is not a URL ({reason})")]
    NotUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// Not http or https.
    #[error("callback_url must be http:// or https://, not {0}://")]
    Scheme(String),
    /// Its host does not resolve.
    #[error("callback_url's host {host} does not resolve ({reason})")]
    Unresolved {
        /// The host.
        host: String,
        /// Why.
        reason: String,
    },
    /// Its host is, or resolves to, an address that is not public.
    #[error(
        "callback_url's host {host} is {addr}, a loopback, private, link-local or metadata address; \
         the server allows those only with --webhook-allow-private"
    )]
    NotPublic {
        /// The host.
        host: String,
        /// The address it resolved to.
        addr: IpAddr,
    },
    /// The server has no `--webhook-secret-file`.
    #[error(
        "this server sends no webhooks (it has no --webhook-secret-file); leave callback_url empty"
    )]
    Disabled,
}

/// Checks `url` may be called back: http or https, a host that resolves only to public
/// addresses (any address with `allow_private`). Returns the URL and the addresses to use.
pub async fn check_callback_url(
    url: &str,
    allow_private: bool,
) -> Result<(reqwest::Url, Vec<SocketAddr>), CallbackError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| CallbackError::NotUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CallbackError::Scheme(parsed.scheme().to_owned()));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| CallbackError::NotUrl {
            url: url.to_owned(),
            reason: "no host".to_owned(),
        })?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| CallbackError::Unresolved {
                host: host.clone(),
                reason: e.to_string(),
            })?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(CallbackError::Unresolved {
            host,
            reason: "no address".to_owned(),
        });
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(CallbackError::NotPublic {
            host,
            addr: bad.ip(),
        });
    }
    Ok((parsed, addrs))
}

/// Whether `ip` is an ordinary public address: not loopback, private, link-local (where cloud
/// metadata services live), carrier-grade NAT, unspecified, broadcast, multicast or
/// documentation, in IPv4 or IPv6 (an IPv4-mapped IPv6 address counts as its IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// The `Phonecheck-Signature` header's value for `body` sent at `t` (Unix seconds).
pub fn signature(secret: &[u8], t: u64, body: &[u8]) -> String {
    // HMAC takes a key of any length: the error exists only for fixed-size MACs.
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Why a `Phonecheck-Signature` header does not vouch for a body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The header is not `t=UNIX_SECONDS,v1=HEX`.
    #[error("the signature header is not t=UNIX_SECONDS,v1=HEX")]
    Malformed,
    /// `t` is further from now than the tolerance: an old delivery replayed, or a bad clock.
    #[error(
        "the signature is {age_secs} s away from now, more than the {tolerance_secs} s allowed"
    )]
    Stale {
        /// Seconds between `t` and now.
        age_secs: u64,
        /// The most allowed.
        tolerance_secs: u64,
    },
    /// The HMAC does not match: another secret, or a changed body.
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Checks a delivery as a receiver should: `header` is [`signature`]'s value for `body` under
/// `secret`, made within `tolerance_secs` of `now` (Unix seconds); the HMAC is compared in
/// constant time.
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.trim().strip_prefix("t=")?, v.trim().strip_prefix("v1=")?)))
        .ok_or(SignatureError::Malformed)?;
    let t: u64 = t.parse().map_err(|_| SignatureError::Malformed)?;
    if v1.len() != 64 || !v1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignatureError::Malformed);
    }
    let expected: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&v1[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| SignatureError::Malformed)?;
    let age_secs = now.abs_diff(t);
    if age_secs > tolerance_secs {
        return Err(SignatureError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret) else {
        return Err(SignatureError::Mismatch);
    };
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hmac::Mac::verify_slice(mac, &expected).map_err(|_| SignatureError::Mismatch)
}

/// The delay before attempt `attempt + 1` (after `attempt` failed ones): 5 s, doubling, at
/// most an hour, with jitter.
fn retry_delay(attempt: u32) -> Duration {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(5))
        .with_factor(2.0)
        .with_max_delay(Duration::from_secs(3600))
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt.saturating_sub(1) as usize)
        .unwrap_or(Duration::from_secs(3600))
}

/// How long a replica holds a due webhook while it tries it.
const HOLD: Duration = Duration::from_secs(60);

/// Webhooks tried at once.
const AT_ONCE: usize = 16;

/// Delivers due webhooks until the runtime is dropped: every second, those that are due.
pub(super) async fn run(store: Arc<dyn JobStore>, hooks: Webhooks, alive: std::sync::Weak<()>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            return;
        }
        let due = match store.claim_webhooks(HOLD, AT_ONCE).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: the job store failed; trying again");
                continue;
            }
        };
        let attempts = due.into_iter().map(|job| {
            let (store, hooks) = (store.clone(), hooks.clone());
            async move {
                let attempt = deliver(&hooks, &job).await;
                let state = attempt.state;
                match store.record_webhook(&job.id, attempt).await {
                    Ok(true) => {
                        tracing::info!(job = %job.id, state = ?state, "webhook attempt recorded")
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(job = %job.id, error = %e, "webhook outcome not stored")
                    }
                }
            }
        });
        futures::future::join_all(attempts).await;
    }
}

/// One attempt to announce `job`'s end.
async fn deliver(hooks: &Webhooks, job: &JobRecord) -> WebhookAttempt {
    let url = job.callback_url.clone().unwrap_or_default();
    let body = (hooks.encode)(job);
    let failed = |status: u16, error: String| {
        let attempts = job.webhook.as_ref().map_or(0, |w| w.attempts) + 1;
        let ended = job.finished_at.unwrap_or(job.updated_at);
        let next = SystemTime::now() + retry_delay(attempts);
        let too_late = next
            .duration_since(ended)
            .is_ok_and(|d| d > hooks.give_up_after);
        WebhookAttempt {
            state: if too_late {
                WebhookState::GaveUp
            } else {
                WebhookState::Pending
            },
            status,
            error: Some(error),
            next: (!too_late).then_some(next),
        }
    };
    let (parsed, addrs) = match check_callback_url(&url, hooks.allow_private).await {
        Ok(checked) => checked,
        Err(e) => return failed(0, e.to_string()),
    };
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(hooks.timeout)
        .user_agent(concat!("phonecheck-webhook/", env!("CARGO_PKG_VERSION")));
    if let Some(host) = parsed.host_str() {
        client = client.resolve_to_addrs(host, &addrs);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(e) => return failed(0, e.to_string()),
    };
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let span = crate::traces::webhook_span(&job.id, job.trace_parent.as_deref());
    let sent = client
        .post(parsed)
        .headers(crate::traces::headers_for(&span))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Phonecheck-Signature", signature(&hooks.secret, t, &body))
        .header("Phonecheck-Job-Id", job.id.as_str())
        .body(body)
        .send()
        .instrument(span.clone())
        .await;
    if let Ok(answer) = &sent {
        span.record("http.response.status_code", answer.status().as_u16());
    }
    match sent {
        Ok(answer) if answer.status().is_success() => WebhookAttempt {
            state: WebhookState::Delivered,
            status: answer.status().as_u16(),
            error: None,
            next: None,
        },
        Ok(answer) => {
            let status = answer.status();
            failed(status.as_u16(), format!("the receiver answered {status}"))
        }
        Err(e) if e.is_timeout() => failed(0, format!("no answer within {:?}", hooks.timeout)),
        Err(e) => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            failed(0, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "203.0.114.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // HMAC-SHA256("secret", "1700000000.{}"), computed with Python's hmac module.
        assert_eq!(
            signature(b"secret", 1_700_000_000, b"{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(
            signature(b"other", 1_700_000_000, b"{}"),
            signature(b"secret", 1_700_000_000, b"{}")
        );
    }

    #[test]
    fn the_first_retry_comes_within_ten_seconds_and_later_ones_grow() {
        for _ in 0..50 {
            let first = retry_delay(1);
            assert!(first >= Duration::from_secs(5) && first < Duration::from_secs(10));
        }
        assert!(retry_delay(5) > Duration::from_secs(60));
        assert!(retry_delay(40) <= Duration::from_secs(7200));
    }

    #[tokio::test]
    async fn callback_urls_are_checked() {
        assert!(matches!(
            check_callback_url("ftp://example.com/x", true).await,
            Err(CallbackError::Scheme(_))
        ));
        assert!(matches!(
            check_callback_url("not a url", true).await,
            Err(CallbackError::NotUrl { .. })
        ));
        assert!(matches!(
            check_callback_url("http://169.254.169.254/latest/meta-data", false).await,
            Err(CallbackError::NotPublic { .. })
        ));
        assert!(matches!(
            check_callback_url("http://[::1]:9/hook", false).await,
            Err(CallbackError::NotPublic { .. })
        ));
        assert!(
            check_callback_url("http://127.0.0.1:9/hook", true)
                .await
                .is_ok()
        );
    }
}
