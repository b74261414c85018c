//! What happens around every gRPC call before a service sees it ([`CallLayer`]):
//!
//! - a request id: the caller's `x-request-id` when it is a sensible one, else a new one; it
//!   is returned in the response headers and carried by the call's tracing span, so one id
//!   ties a client's report to the server's logs;
//! - the call's span continuing the caller's trace (`traceparent`) when traces are exported
//!   ([`crate::traces`]);
//! - the call counted and timed in the metrics by method, final code and caller (the API
//!   key's name), the code read from the response headers or, for streams, the trailers;
//! - once the server is draining for shutdown, new PhoneCheck calls refused at once with
//!   UNAVAILABLE (health and reflection still answer), while calls already open go on.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tokio::time::Instant;

use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue};
use http_body::{Body, Frame, SizeHint};
use tracing::Instrument;

use crate::serving::auth::ANONYMOUS;

/// The header carrying a call's request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a caller; longer ones are replaced by a new id.
const MAX_REQUEST_ID: usize = 128;

/// Methods are labelled by name only for these services; any other path is `unknown`, so a
/// scanner trying random paths cannot blow up the metrics' label sets.
const KNOWN_SERVICES: [&str; 4] = [
    "phonecheck.v1.PhoneCheck",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Tells the layer the server is shutting down: from then on new PhoneCheck calls get
/// UNAVAILABLE. Cheap to clone; every clone flips the same switch.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Starts refusing new calls.
    pub fn start(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn is_on(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Where the authentication step leaves the caller's key name, put into each request's
/// extensions by the layer: the metrics label calls with it, the service gives jobs to it.
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<String>>);

impl CallerSlot {
    /// Records the name of the key the call came with.
    pub fn set(&self, name: &str) {
        let _ = self.0.set(name.to_owned());
    }

    /// The key's name, when the call came with a key.
    pub fn name(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    fn label(&self) -> String {
        self.0
            .get()
            .cloned()
            .unwrap_or_else(|| ANONYMOUS.to_owned())
    }
}

/// The tower layer adding request ids, call metrics and shutdown refusal to a gRPC server.
#[derive(Debug, Clone)]
pub struct CallLayer {
    draining: Draining,
}

impl CallLayer {
    /// A layer refusing new PhoneCheck calls once `draining` is started.
    pub fn new(draining: Draining) -> Self {
        CallLayer { draining }
    }
}

impl<S> tower::Layer<S> for CallLayer {
    type Service = CallService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallService {
            inner,
            draining: self.draining.clone(),
        }
    }
}

/// The service [`CallLayer`] wraps around the server's routes.
#[derive(Debug, Clone)]
pub struct CallService<S> {
    inner: S,
    draining: Draining,
}

impl<S, B> tower::Service<http::Request<B>> for CallService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let (service, method) = method_label(request.uri().path());
        let id = request_id(request.headers());
        let caller = CallerSlot::default();
        request.extensions_mut().insert(caller.clone());
        let span = tracing::info_span!(
            "rpc",
            otel.name = %method,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.grpc.status_code = tracing::field::Empty,
            method = %method,
            request_id = %id.to_str().unwrap_or(""),
            caller = tracing::field::Empty,
            inputs = tracing::field::Empty,
            invalid = tracing::field::Empty,
            repeats = tracing::field::Empty,
            cache_hits = tracing::field::Empty,
            billed = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        crate::traces::continue_from(&span, request.headers());
        let finish = Finish {
            method,
            caller,
            started: Instant::now(),
            span: span.clone(),
            done: false,
        };
        if self.draining.is_on() && service == "phonecheck.v1.PhoneCheck" {
            let mut response: http::Response<tonic::body::Body> =
                crate::serving::status::shutting_down().into_http();
            response.headers_mut().insert(REQUEST_ID, id);
            finish.record(tonic::Code::Unavailable as i32);
            return Box::pin(std::future::ready(Ok(response)));
        }
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                let mut response = future.await?;
                response.headers_mut().insert(REQUEST_ID, id);
                if let Some(code) = grpc_status(response.headers()) {
                    // Trailers-only: the call ended before any message.
                    finish.record(code);
                    return Ok(response);
                }
                Ok(response.map(|body| {
                    tonic::body::Body::new(Observed {
                        body,
                        finish: Some(finish),
                    })
                }))
            }
            .instrument(span),
        )
    }
}

/// The layer answering a plain HTTP request that reached the gRPC port (neither gRPC nor
/// gRPC-Web, nor a browser's CORS preflight) with a line saying where the HTTP listener is,
/// instead of the empty 400 the gRPC server would give: `curl -d '{…}'` on the wrong port is
/// a new user's first mistake.
#[derive(Debug, Clone)]
pub struct PlainHttpLayer {
    /// The HTTP listener's address, when `--http-listen` is set.
    http: Option<std::net::SocketAddr>,
}

impl PlainHttpLayer {
    /// A layer pointing plain HTTP callers at `http`.
    pub fn new(http: Option<std::net::SocketAddr>) -> Self {
        PlainHttpLayer { http }
    }
}

impl<S> tower::Layer<S> for PlainHttpLayer {
    type Service = PlainHttpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PlainHttpService {
            inner,
            http: self.http,
        }
    }
}

/// The service [`PlainHttpLayer`] wraps around the gRPC server.
#[derive(Debug, Clone)]
pub struct PlainHttpService<S> {
    inner: S,
    http: Option<std::net::SocketAddr>,
}

impl<S, B> tower::Service<http::Request<B>> for PlainHttpService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let grpc = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/grpc"));
        if grpc || request.method() == http::Method::OPTIONS {
            return Box::pin(self.inner.call(request));
        }
        let whereto = match self.http {
            Some(addr) => format!(
                "the HTTP/JSON API is on this server's --http-listen address: POST http://{addr}/v1/check, /openapi.yaml"
            ),
            None => "the HTTP/JSON API is served on --http-listen, which this server was started without".to_owned(),
        };
        let text = format!(
            "this port speaks gRPC and gRPC-Web (Content-Type application/grpc…); {whereto}\n"
        );
        let mut response = http::Response::new(tonic::body::Body::new(text));
        *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Box::pin(std::future::ready(Ok(response)))
    }
}

/// Runs a request of the HTTP listener (the ALAPI door, the console) in a span continuing the
/// caller's trace, when traces are exported; else just runs it.
pub(crate) async fn traced_http(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !crate::traces::is_on() {
        return next.run(request).await;
    }
    let span = crate::traces::http_span(request.method(), request.uri().path(), request.headers());
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}

/// The service (when it is one of ours) and the label of a call's method: `PhoneCheck/Check`,
/// `Health/Check`, or `unknown`.
fn method_label(path: &str) -> (&'static str, String) {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (service, method) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    match KNOWN_SERVICES.iter().find(|known| **known == service) {
        Some(known) if !method.is_empty() && method.len() <= 64 && !method.contains('/') => {
            let short = known.rsplit('.').next().unwrap_or(known);
            (known, format!("{short}/{method}"))
        }
        _ => ("", "unknown".to_owned()),
    }
}

/// The caller's request id when it is 1–128 visible ASCII characters, else a new random one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|v| {
            let bytes = v.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= MAX_REQUEST_ID
                && bytes.iter().all(|b| b.is_ascii_graphic())
        })
        .cloned()
        .unwrap_or_else(|| {
            // Sixteen hex digits are always a valid header value.
            HeaderValue::from_str(&format!("{:016x}", rand::random::<u64>()))
                .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
        })
}

/// The `grpc-status` in `headers`, if there is one.
fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Records a call once, when its code is known, or as CANCELLED when its response is dropped
/// before the end (the client went away).
struct Finish {
    method: String,
    caller: CallerSlot,
    started: Instant,
    span: tracing::Span,
    done: bool,
}

impl Finish {
    fn record(mut self, code: i32) {
        self.record_once(code);
    }

    fn record_once(&mut self, code: i32) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let took = self.started.elapsed();
        self.span.record("rpc.grpc.status_code", code);
        if code != tonic::Code::Ok as i32 {
            self.span.record("otel.status_code", "ERROR");
        }
        let code = crate::metrics::code_name(code);
        let caller = self.caller.label();
        metrics::counter!(crate::metrics::RPCS, "method" => self.method.clone(), "code" => code, "caller" => caller)
            .increment(1);
        metrics::histogram!(crate::metrics::RPC_SECONDS, "method" => self.method.clone())
            .record(took.as_secs_f64());
        self.span.in_scope(|| {
            tracing::debug!(code, ms = took.as_millis() as u64, "call finished");
        });
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        self.record_once(tonic::Code::Cancelled as i32);
    }
}

/// A response body that records its call when the trailers (or the end) go by.
struct Observed {
    body: tonic::body::Body,
    finish: Option<Finish>,
}

impl Body for Observed {
    type Data = <tonic::body::Body as Body>::Data;
    type Error = <tonic::body::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status)
                    && let Some(finish) = self.finish.take()
                {
                    finish.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(finish) = self.finish.take() {
                    finish.record(tonic::Code::Internal as i32);
                }
            }
            // A body ending without trailers ends a call that said nothing of failing.
            Poll::Ready(None) => {
                if let Some(finish) = self.finish.take() {
                    finish.record(tonic::Code::Ok as i32);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Status;

    #[test]
    fn methods_of_our_services_are_named_and_anything_else_is_unknown() {
        assert_eq!(
            method_label("/phonecheck.v1.PhoneCheck/Check"),
            ("phonecheck.v1.PhoneCheck", "PhoneCheck/Check".to_owned())
        );
        assert_eq!(
            method_label("/grpc.health.v1.Health/Watch").1,
            "Health/Watch"
        );
        assert_eq!(method_label("/evil.Service/Check").1, "unknown");
        assert_eq!(method_label("/phonecheck.v1.PhoneCheck/").1, "unknown");
        assert_eq!(method_label("/phonecheck.v1.PhoneCheck/a/b").1, "unknown");
        assert_eq!(method_label("").1, "unknown");
    }

    #[test]
    fn a_sensible_request_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("order-42/retry-1"));
        assert_eq!(request_id(&headers), "order-42/retry-1");

        headers.insert(REQUEST_ID, HeaderValue::from_static("has space"));
        let replaced = request_id(&headers);
        assert_eq!(replaced.len(), 16);
        assert!(
            replaced
                .to_str()
                .is_ok_and(|s| s.chars().all(|c| c.is_ascii_hexdigit()))
        );

        let long = "x".repeat(MAX_REQUEST_ID + 1);
        headers.insert(REQUEST_ID, HeaderValue::from_str(&long).expect("ascii"));
        assert_eq!(request_id(&headers).len(), 16);

        assert_ne!(request_id(&HeaderMap::new()), request_id(&HeaderMap::new()));
    }

    /// Runs one request through the layer around a service answering an empty 200.
    async fn through_layer(draining: &Draining, path: &str) -> http::Response<tonic::body::Body> {
        use tower::{Layer, ServiceExt};
        let inner = tower::service_fn(|_: http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        });
        let request = http::Request::builder()
            .uri(path)
            .header(REQUEST_ID, "abc-1")
            .body(())
            .expect("a valid request");
        CallLayer::new(draining.clone())
            .layer(inner)
            .oneshot(request)
            .await
            .expect("infallible")
    }

    #[tokio::test]
    async fn while_draining_new_phonecheck_calls_are_refused_but_health_still_answers() {
        let draining = Draining::default();
        let before = through_layer(&draining, "/phonecheck.v1.PhoneCheck/Check").await;
        assert_eq!(grpc_status(before.headers()), None, "passed through");
        assert_eq!(before.headers()[REQUEST_ID], "abc-1");

        draining.start();
        let refused = through_layer(&draining, "/phonecheck.v1.PhoneCheck/Check").await;
        assert_eq!(
            grpc_status(refused.headers()),
            Some(tonic::Code::Unavailable as i32)
        );
        assert_eq!(refused.headers()[REQUEST_ID], "abc-1");
        let status = Status::from_header_map(refused.headers()).expect("a status");
        assert!(status.message().contains("shutting down"), "{status:?}");

        let health = through_layer(&draining, "/grpc.health.v1.Health/Check").await;
        assert_eq!(grpc_status(health.headers()), None, "health passes");
    }
}
