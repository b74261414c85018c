//! The HTTP/JSON API on `--http-listen`: every PhoneCheck method at the path its
//! `google.api.http` annotation gives (`POST /v1/check`, `GET /v1/jobs/{id}`, …), in proto3's
//! canonical JSON, described by `/openapi.yaml` (generated from the same proto by
//! `clients/generate.sh`). No sidecar, and no second implementation: each request becomes a
//! gRPC call made inside the process to the stack the gRPC port serves ([`channel`]), so keys,
//! request ids, limits, metrics, traces and draining are the same. This module only
//! transcodes: [`routes`] reads the annotations, [`transcode`] maps JSON to messages and
//! statuses to `google.rpc.Status` JSON with the standard HTTP status.
//!
//! Streams: a server-streaming method answers NDJSON, one `{"result": …}` line per message
//! as it comes, and a stream that fails after it started ends with an explicit
//! `{"error": …}` line (never a silent cut); asked for `text/event-stream`, it answers
//! Server-Sent Events instead (each message a `message` event, a failure an `error` one). A
//! client-streaming method (`CheckBulk`, `CreateJob`, `CreateUpload`) reads its body as JSON
//! messages one after another, each given to the call as soon as it is read; `CreateJob` and
//! `CreateUpload` also take a multipart form with a list file ([`multipart`]). Any other body is read as JSON whatever its type,
//! so that `curl -d` works without a header.

mod channel;
mod downloads;
mod multipart;
mod routes;
mod transcode;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use http::{HeaderMap, HeaderValue, header};
use prost_reflect::MessageDescriptor;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Status, Streaming};

use crate::serving::builds::Builds;
pub(crate) use channel::{GrpcStack, InProcess};
pub use routes::RouteError;
use routes::{Found, Route};
pub use transcode::TranscodeError;
pub(crate) use transcode::job_json;

/// The OpenAPI document of this API, generated from the proto by `clients/generate.sh`.
const OPENAPI: &str = include_str!("../../../clients/openapi.yaml");

/// The request headers a call takes along: the key, the request id, the trace.
const FORWARDED: [&str; 4] = ["authorization", "x-request-id", "traceparent", "tracestate"];

/// The media type of streamed answers.
const NDJSON: &str = "application/x-ndjson";

/// How large requests may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The largest message (the gRPC port's `max_decoding_message_size`): a whole body for a
    /// unary method, each message of a streamed body.
    pub max_message_bytes: usize,
    /// The most numbers per message of a client stream (`--max-bulk-chunk`); a longer
    /// `mobiles` list is split.
    pub max_chunk: usize,
    /// The largest file a multipart `POST /v1/jobs` or `POST /v1/uploads` may carry
    /// (`--max-upload`).
    pub max_upload: u64,
}

/// The JSON API's routes and its way to the gRPC stack.
#[derive(Clone)]
pub(crate) struct JsonApi(Arc<Inner>);

struct Inner {
    routes: Vec<Route>,
    channel: InProcess,
    limits: Limits,
    /// Workbooks and zips being built, for the console to show how far.
    builds: Builds,
}

impl JsonApi {
    /// The API of the PhoneCheck methods, calling `stack`, counting the files it builds in
    /// `builds`.
    pub(crate) fn new(
        stack: GrpcStack,
        builds: Builds,
        limits: Limits,
    ) -> Result<JsonApi, RouteError> {
        let pool =
            crate::pb::descriptor_pool().ok_or(RouteError::Missing("the API's descriptors"))?;
        Ok(JsonApi(Arc::new(Inner {
            routes: routes::routes(pool, "phonecheck.v1.PhoneCheck")?,
            channel: InProcess::new(stack),
            limits,
            builds,
        })))
    }
}

/// The routes: `/v1/…` and `/openapi.yaml`.
pub(crate) fn router(api: JsonApi) -> Router {
    Router::new()
        .route("/openapi.yaml", get(openapi))
        .route(
            "/v1/{*path}",
            // Bodies are bounded here, per message, by `Limits`.
            any(serve).layer(DefaultBodyLimit::disable()),
        )
        .with_state(api)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}

/// One request: found, transcoded, called, answered.
async fn serve(State(api): State<JsonApi>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (route, variables) = match routes::find(&api.0.routes, &parts.method, parts.uri.path()) {
        Found::Route(route, variables) => (route.clone(), variables),
        Found::OtherMethods(allowed) => {
            let allowed = allowed
                .iter()
                .map(http::Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut response = refused(TranscodeError::WrongMethod {
                path: parts.uri.path().to_owned(),
                method: parts.method.to_string(),
                allowed: allowed.clone(),
            });
            if let Ok(allow) = HeaderValue::from_str(&allowed) {
                response.headers_mut().insert(header::ALLOW, allow);
            }
            return response;
        }
        Found::Nothing => {
            return refused(TranscodeError::NoSuchPath(parts.uri.path().to_owned()));
        }
    };
    let limits = api.0.limits;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (outgoing, failed, reader) = if multipart::is_form(content_type) {
        let content_type = content_type.unwrap_or_default().to_owned();
        match route.method.name() {
            "CreateJob" => {
                match multipart::read_form(&content_type, body, limits, &route.method.input()).await
                {
                    Ok(upload) => read_on_the_side(|tx| multipart::send_job(upload, tx)),
                    Err(e) => return refused(e),
                }
            }
            "CreateUpload" => {
                read_on_the_side(|tx| multipart::send_upload(content_type, body, limits, tx))
            }
            _ => {
                return refused(TranscodeError::MediaType {
                    given: content_type,
                    expected: "application/json (files are posted only to POST /v1/uploads and POST /v1/jobs)",
                });
            }
        }
    } else if route.method.is_client_streaming() {
        let input = route.method.input();
        read_on_the_side(|tx| read_messages(input, body, limits, tx))
    } else {
        let message =
            match single_message(&route, &variables, parts.uri.query(), body, limits).await {
                Ok(message) => message,
                Err(e) => return refused(e),
            };
        if let Some(kind) = results_file(&route, &parts.headers) {
            let metadata = forwarded(&parts.headers);
            let build = parts
                .headers
                .get(downloads::BUILD_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(|token| (api.0.builds.clone(), token.to_owned()));
            return downloads::results_file(&api.0.channel, &route, message, metadata, kind, build)
                .await
                .unwrap_or_else(|status| failure(&status));
        }
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(message);
        (rx, None, None)
    };
    let mut call = Call {
        output: route.method.output(),
        failed,
        _reader: reader.map(AbortOnDrop),
    };
    let metadata = forwarded(&parts.headers);
    let answer = tokio::select! {
        answer = api.0.channel.call(route.grpc_path.clone(), metadata, ReceiverStream::new(outgoing)) => answer,
        e = body_failure(&mut call.failed) => return refused(e),
    };
    let response = match answer {
        Ok(response) => response,
        Err(status) => return failure(&status),
    };
    let request_id = response.metadata().get("x-request-id").cloned();
    let mut answered = if route.method.is_server_streaming() {
        call.stream(response.into_inner(), wants_events(&parts.headers))
            .await
    } else {
        call.unary(response.into_inner()).await
    };
    if let Some(id) = request_id.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
        answered
            .headers_mut()
            .insert(crate::serving::middleware::REQUEST_ID, id);
    }
    answered
}

/// A call under way: what its answers are, and how its streamed body may fail.
struct Call {
    output: MessageDescriptor,
    /// Set when the request body turned out bad after the call started (`None` once read
    /// whole, or for a body read before the call).
    failed: Option<oneshot::Receiver<TranscodeError>>,
    /// The task reading the body, stopped when the call is over.
    _reader: Option<AbortOnDrop>,
}

/// One step of a streamed answer.
enum Step {
    Message(Bytes),
    End,
    Failed(Status),
}

impl Call {
    /// The next answer, or the body's failure.
    async fn next(&mut self, answers: &mut Streaming<Bytes>) -> Step {
        tokio::select! {
            message = answers.message() => match message {
                Ok(Some(message)) => Step::Message(message),
                Ok(None) => Step::End,
                Err(status) => Step::Failed(status),
            },
            e = body_failure(&mut self.failed) => Step::Failed(Status::from(&e)),
        }
    }

    /// A unary answer: its one message, once the call has ended well.
    async fn unary(mut self, mut answers: Streaming<Bytes>) -> Response {
        let message = match self.next(&mut answers).await {
            Step::Message(message) => message,
            Step::End => return failure(&Status::internal("the call ended without an answer")),
            Step::Failed(status) => return failure(&status),
        };
        if let Step::Failed(status) = self.next(&mut answers).await {
            return failure(&status);
        }
        let json = transcode::answer_json(&self.output, &message);
        ([(header::CONTENT_TYPE, "application/json")], json).into_response()
    }

    /// A streamed answer, NDJSON or Server-Sent Events. A call that fails before its first
    /// message is an error response with its HTTP status; after it, an error record ends it.
    async fn stream(mut self, mut answers: Streaming<Bytes>, sse: bool) -> Response {
        let first = match self.next(&mut answers).await {
            Step::Failed(status) => return failure(&status),
            first => first,
        };
        let output = self.output.clone();
        let render = move |step: &Step| -> Option<Bytes> {
            match (step, sse) {
                (Step::Message(m), false) => Some(transcode::result_line(&output, m)),
                (Step::Failed(status), false) => Some(transcode::error_line(status)),
                (Step::Message(m), true) => {
                    Some(sse_event("message", &transcode::answer_json(&output, m)))
                }
                (Step::Failed(status), true) => {
                    Some(sse_event("error", &transcode::status_json(status)))
                }
                (Step::End, _) => None,
            }
        };
        let body = futures::stream::unfold(
            (Some(first), self, answers, false),
            move |(pending, mut call, mut answers, over)| {
                let render = render.clone();
                async move {
                    if over {
                        return None;
                    }
                    let step = match pending {
                        Some(step) => step,
                        None => call.next(&mut answers).await,
                    };
                    let ends = !matches!(step, Step::Message(_));
                    let bytes = render(&step)?;
                    Some((
                        Ok::<_, std::convert::Infallible>(bytes),
                        (None, call, answers, ends),
                    ))
                }
            },
        );
        let kind = if sse { "text/event-stream" } else { NDJSON };
        (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            Body::from_stream(body),
        )
            .into_response()
    }
}

/// The streamed body's failure, when it fails; pending for ever when it does not.
async fn body_failure(failed: &mut Option<oneshot::Receiver<TranscodeError>>) -> TranscodeError {
    if let Some(receiver) = failed.as_mut() {
        let outcome = receiver.await;
        *failed = None;
        if let Ok(e) = outcome {
            return e;
        }
    }
    std::future::pending().await
}

/// The file `GetJobResults` is asked for by `Accept` (CSV, a workbook, a zip), if any.
fn results_file(route: &Route, headers: &HeaderMap) -> Option<downloads::FileKind> {
    if route.method.name() != "GetJobResults" {
        return None;
    }
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    downloads::FileKind::asked(accept)
}

/// Whether the client asked for Server-Sent Events (`Accept: text/event-stream`, as a
/// browser's `EventSource` sends) instead of NDJSON.
fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

/// One Server-Sent Event.
fn sse_event(event: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + event.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out.freeze()
}

/// The request message of a method that takes one: the whole body read (at most one
/// message's size), then path, query and body put together.
async fn single_message(
    route: &Route,
    variables: &[(String, String)],
    query: Option<&str>,
    body: Body,
    limits: Limits,
) -> Result<Bytes, TranscodeError> {
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| TranscodeError::Body(e.to_string()))?;
        if bytes.len() + chunk.len() > limits.max_message_bytes {
            return Err(TranscodeError::TooLarge {
                limit: limits.max_message_bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    let json = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(
            serde_json::from_slice(&bytes).map_err(|e| TranscodeError::BadJson {
                message: route.method.input().full_name().to_owned(),
                why: e.to_string(),
            })?,
        )
    };
    if json.is_some() && route.body == routes::BodyRule::None {
        return Err(TranscodeError::BadJson {
            message: route.method.input().full_name().to_owned(),
            why: format!(
                "{} {} takes no body; its fields go in the query string",
                route.verb,
                route.template()
            ),
        });
    }
    let message = transcode::request_message(route, variables, query, json)?;
    Ok(Bytes::from(prost::Message::encode_to_vec(&message)))
}

/// What a request gives its call: the encoded messages, how a body read on its own task
/// failed (when it is read that way), and that task.
type Outgoing = (
    mpsc::Receiver<Bytes>,
    Option<oneshot::Receiver<TranscodeError>>,
    Option<tokio::task::JoinHandle<()>>,
);

/// Reads a body with `read` on a task of its own, which sends each message to the call as soon
/// as it is read. A read that fails is reported through the failure receiver, and the message
/// channel is then held open until the call is over (the task is aborted then), so the call
/// never sees a clean end of a list that was not whole.
fn read_on_the_side<F>(read: impl FnOnce(mpsc::Sender<Bytes>) -> F) -> Outgoing
where
    F: std::future::Future<Output = Result<(), TranscodeError>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(4);
    let (fail, failed) = oneshot::channel();
    let reading = read(tx.clone());
    let reader = tokio::spawn(async move {
        if let Err(e) = reading.await {
            let _ = fail.send(e);
            std::future::pending::<()>().await;
        }
        drop(tx);
    });
    (rx, Some(failed), Some(reader))
}

/// Sends the messages of a streamed body to `tx` as they arrive: each JSON value one request
/// message (split where its list is longer than a chunk).
async fn read_messages(
    input: MessageDescriptor,
    body: Body,
    limits: Limits,
    tx: mpsc::Sender<Bytes>,
) -> Result<(), TranscodeError> {
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut ended = false;
    let mut count = 0_usize;
    loop {
        // Every whole value in the buffer, then more bytes.
        let mut values =
            serde_json::Deserializer::from_slice(&buffer).into_iter::<serde_json::Value>();
        let mut consumed = 0;
        let mut parsed = Vec::new();
        loop {
            match values.next() {
                Some(Ok(value)) => {
                    consumed = values.byte_offset();
                    parsed.push(value);
                }
                Some(Err(e)) if e.is_eof() && !ended => break,
                Some(Err(e)) => {
                    return Err(TranscodeError::BadJson {
                        message: input.full_name().to_owned(),
                        why: format!("message {}: {e}", count + parsed.len() + 1),
                    });
                }
                None => {
                    consumed = buffer.len();
                    break;
                }
            }
        }
        buffer.drain(..consumed);
        for value in parsed {
            count += 1;
            let message = transcode::message_from_json(&input, value).map_err(|e| match e {
                TranscodeError::BadJson { message, why } => TranscodeError::BadJson {
                    message,
                    why: format!("message {count}: {why}"),
                },
                other => other,
            })?;
            for part in transcode::split_chunks(message, limits.max_chunk) {
                let encoded = Bytes::from(prost::Message::encode_to_vec(&part));
                if tx.send(encoded).await.is_err() {
                    // The call is over; nobody reads on.
                    return Ok(());
                }
            }
        }
        if ended {
            return Ok(());
        }
        if buffer.len() > limits.max_message_bytes {
            return Err(TranscodeError::TooLarge {
                limit: limits.max_message_bytes,
            });
        }
        match stream.next().await {
            Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(TranscodeError::Body(e.to_string())),
            None => ended = true,
        }
    }
}

/// The headers a call takes along, as gRPC metadata.
fn forwarded(headers: &HeaderMap) -> MetadataMap {
    let mut kept = HeaderMap::new();
    for name in FORWARDED {
        if let Some(value) = headers.get(name) {
            kept.insert(name, value.clone());
        }
    }
    MetadataMap::from_headers(kept)
}

/// A request refused before any call.
fn refused(e: TranscodeError) -> Response {
    let mut response = failure(&Status::from(&e));
    if let Some(status) = e.http_status() {
        *response.status_mut() = status;
    }
    response
}

/// `status` as an error response: the `google.rpc.Status` JSON, the HTTP status for its code,
/// `Retry-After` when it says when to retry, the call's request id.
fn failure(status: &Status) -> Response {
    use tonic_types::StatusExt as _;
    let mut response = (
        transcode::http_status(status.code()),
        [(header::CONTENT_TYPE, "application/json")],
        transcode::status_json(status),
    )
        .into_response();
    let retry_after = status
        .get_details_retry_info()
        .and_then(|retry| retry.retry_delay)
        .map(|delay| delay.as_secs_f64().ceil().max(1.0) as u64);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(id) = status
        .metadata()
        .get("x-request-id")
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
    {
        response
            .headers_mut()
            .insert(crate::serving::middleware::REQUEST_ID, id);
    }
    response
}

/// Aborts the body's reader when the request is over.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_is_the_generated_one_and_names_every_route() {
        let pool = crate::pb::descriptor_pool().expect("descriptors");
        for route in routes::routes(pool, "phonecheck.v1.PhoneCheck").expect("routes") {
            assert!(
                OPENAPI.contains(&format!("{}:", route.template())),
                "{} is not in clients/openapi.yaml: run clients/generate.sh",
                route.template()
            );
        }
    }
}
