//! Traces for a collector: the service's `tracing` spans exported over OTLP (gRPC or
//! HTTP/protobuf) when `--otlp-endpoint` is given, and W3C trace context (`traceparent`,
//! `tracestate`) taken from callers and given to the upstream, so a caller's trace goes on
//! through our door to each upstream call that answered it.
//!
//! Off by default, and then free: no exporter runs, no layer is installed, and the spans
//! below are not even made ([`is_on`] is read first). The call's span is made by the serving
//! side (`serving/middleware.rs` for gRPC, [`http_span`] for HTTP); the batch's and each
//! attempt's by the checking core. A batch carries numbers of many calls, so its span starts
//! a trace of its own and is linked both ways with the span of every call it carries.
//!
//! Spans carry counts, codes and names, never a phone number, a token or a key: the same
//! rule as the logs, whose events a span also carries.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, TraceContextExt, TracerProvider as _};
use opentelemetry::{KeyValue, global};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Set once an exporter is installed: every span and header below is made only then.
static ON: AtomicBool = AtomicBool::new(false);

/// Whether traces are exported (`--otlp-endpoint`).
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// How spans reach the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OtlpProtocol {
    /// OTLP over gRPC (a collector's port 4317).
    #[default]
    Grpc,
    /// OTLP over HTTP with protobuf bodies (port 4318, `/v1/traces`).
    #[value(name = "http/protobuf", alias = "http")]
    HttpProtobuf,
}

/// Where and how much to export: the `serve` flags of the same names.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TraceArgs {
    /// Export traces to this OpenTelemetry collector (OTLP), e.g. http://127.0.0.1:4317;
    /// off when absent. For HTTP the path `/v1/traces` is added when the URL has none.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// How to reach the collector: `grpc` or `http/protobuf`.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_PROTOCOL", value_enum, default_value_t)]
    pub otlp_protocol: OtlpProtocol,
    /// The share of traces kept (0.0 to 1.0) for calls that come without a sampled parent;
    /// a caller's own decision (its `traceparent`) is followed either way.
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG", default_value_t = 1.0, value_parser = fraction)]
    pub otlp_sample_ratio: f64,
}

/// Why traces cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The endpoint is not an `http://` or `https://` URL.
    #[error(
        "--otlp-endpoint {0:?} is not a collector's URL: give one such as http://127.0.0.1:4317"
    )]
    NotAUrl(String),
    /// The exporter could not be made (a bad URL, for one).
    #[error("cannot export traces to {endpoint}: {source}")]
    Exporter {
        /// The collector's URL as given.
        endpoint: String,
        /// What the exporter said.
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// The installed exporter: dropping it (or [`TraceExport::shutdown`]) sends the spans still
/// buffered.
#[derive(Debug)]
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// Starts exporting as `args` say, for a subscriber of type `S`; `None` when no endpoint
    /// is set. Returns the layer to add to the subscriber and the exporter to keep. Needs a
    /// tokio runtime (the gRPC exporter runs on it).
    #[allow(clippy::type_complexity)]
    pub fn start<S>(
        args: &TraceArgs,
    ) -> Result<
        Option<(
            tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
            TraceExport,
        )>,
        TraceError,
    >
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        let Some(endpoint) = args.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(TraceError::NotAUrl(endpoint.to_owned()));
        }
        let failed = |source| TraceError::Exporter {
            endpoint: endpoint.to_owned(),
            source,
        };
        let exporter = match args.otlp_protocol {
            OtlpProtocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build(),
            OtlpProtocol::HttpProtobuf => opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(http_traces_url(endpoint))
                .build(),
        }
        .map_err(failed)?;
        let resource = Resource::builder()
            .with_service_name(env!("CARGO_PKG_NAME"))
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let sampler =
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(args.otlp_sample_ratio)));
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(sampler)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
        // For the spans made through the API (a call's wait in the queue).
        global::set_tracer_provider(provider.clone());
        global::set_text_map_propagator(TraceContextPropagator::new());
        ON.store(true, Ordering::Relaxed);
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_threads(false)
            .with_location(false);
        Ok(Some((layer, TraceExport { provider })))
    }

    /// Sends what is buffered and stops exporting.
    pub fn shutdown(self) {
        ON.store(false, Ordering::Relaxed);
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "traces not all exported at shutdown");
        }
    }
}

/// The OTLP/HTTP URL for traces: `endpoint` itself when it names a path, else with
/// `/v1/traces` (as `OTEL_EXPORTER_OTLP_ENDPOINT` is read for HTTP).
fn http_traces_url(endpoint: &str) -> String {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    match rest.find('/') {
        Some(at) if rest[at..].len() > 1 => endpoint.to_owned(),
        _ => format!("{}/v1/traces", endpoint.trim_end_matches('/')),
    }
}

/// A fraction from 0 to 1 as a flag gives it (the sample ratio here; the simulated
/// upstream's fault rates too), or why it is not one.
pub fn fraction(s: &str) -> Result<f64, String> {
    let ratio: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(format!("{ratio} is not between 0 and 1"))
    }
}

/// Makes `span` continue the caller's trace when `headers` carry a `traceparent`, and records
/// its trace and span ids on it (the `trace_id` and `span_id` fields the span declares), so
/// that JSON log lines inside it name the trace. Does nothing while export is off.
pub fn continue_from(span: &tracing::Span, headers: &http::HeaderMap) {
    if !is_on() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        // Only fails for a span already started or not exported: then it keeps its own trace.
        let _ = span.set_parent(parent);
    }
    record_ids(span);
}

/// Records `span`'s own trace and span ids in its `trace_id` and `span_id` fields.
pub fn record_ids(span: &tracing::Span) {
    if !is_on() {
        return;
    }
    let context = span.context();
    let ids = context.span().span_context().clone();
    if ids.is_valid() {
        span.record("trace_id", tracing::field::display(ids.trace_id()));
        span.record("span_id", tracing::field::display(ids.span_id()));
    }
}

/// The W3C headers (`traceparent`, `tracestate`) naming `span`, for a request it makes;
/// empty while export is off.
pub fn headers_for(span: &tracing::Span) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    if is_on() {
        TraceContextPropagator::new()
            .inject_context(&span.context(), &mut HeaderInjector(&mut headers));
    }
    headers
}

/// The ids of `span`, to link another span to it.
pub fn ids_of(span: &tracing::Span) -> SpanContext {
    span.context().span().span_context().clone()
}

/// Links `from` to `to` and `to` to `from`: a batch and a call it carries.
pub fn link_both_ways(from: &tracing::Span, to: &tracing::Span) {
    from.add_link(ids_of(to));
    to.add_link(ids_of(from));
}

/// The span a caller's work runs in, to link a batch to it; `Span::none()` while export is
/// off (so nothing is looked up then).
pub fn current() -> tracing::Span {
    if is_on() {
        tracing::Span::current()
    } else {
        tracing::Span::none()
    }
}

/// The span of one batch to the upstream, linked both ways with the span of every call
/// whose numbers it carries; `Span::none()` while export is off.
pub fn batch_span(
    numbers: usize,
    waited: std::time::Duration,
    callers: &[CarriedCall],
) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    // A root: the batch is nobody's child, it serves them all.
    let span = tracing::info_span!(
        parent: None,
        "upstream batch",
        numbers,
        callers = tracing::field::Empty,
        queued_ms = waited.as_millis() as u64,
        rate_limit_wait_ms = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    let mut linked = 0u64;
    for caller in callers.iter().filter(|c| !c.span.is_none()) {
        link_both_ways(&span, &caller.span);
        queued_span(caller);
        linked += 1;
    }
    span.record("callers", linked);
    record_ids(&span);
    span
}

/// A call whose numbers a batch carries, as the batch leaves.
#[derive(Debug)]
pub struct CarriedCall {
    /// The call's span (`Span::none()` while export is off).
    pub span: tracing::Span,
    /// How long its oldest number in the batch waited in the queue.
    pub waited: std::time::Duration,
    /// How many of the batch's numbers it waits for.
    pub numbers: u32,
}

/// The call's wait in the queue for this batch, as a `queued` span under the call's: from
/// its oldest number's arrival to the batch leaving (a span that began in the past, so made
/// through the OpenTelemetry API, which takes its start time).
fn queued_span(caller: &CarriedCall) {
    use opentelemetry::trace::{Span as _, Tracer as _};
    let tracer = global::tracer(env!("CARGO_PKG_NAME"));
    let left = std::time::SystemTime::now();
    let arrived = left.checked_sub(caller.waited).unwrap_or(left);
    let mut span = tracer
        .span_builder("queued")
        .with_start_time(arrived)
        .with_attributes([KeyValue::new("numbers", i64::from(caller.numbers))])
        .start_with_context(&tracer, &caller.span.context());
    span.end_with_timestamp(left);
}

/// The span of one HTTP call to the upstream (attempt `retry` of a batch, 0 for the first),
/// a child of the batch's span; `Span::none()` while export is off.
pub fn attempt_span(retry: u32, numbers: usize) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "upstream attempt",
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        retry,
        numbers,
        rate_limit_wait_ms = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        upstream.code = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// The W3C `traceparent` naming the current span, to keep with work that outlives the call
/// (a job); `None` while export is off.
pub fn current_parent() -> Option<String> {
    if !is_on() {
        return None;
    }
    let headers = headers_for(&tracing::Span::current());
    let parent = headers.get("traceparent")?.to_str().ok()?;
    Some(parent.to_owned())
}

/// The context a stored `traceparent` names (an empty one when it names none).
fn context_of(traceparent: &str) -> opentelemetry::Context {
    let carrier =
        std::collections::HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}

/// The span of one run of a job (from its claim to its end, pause or loss of its lease) on
/// this replica: a trace of its own, linked to the call that created the job; `Span::none()`
/// while export is off.
pub fn job_run_span(job: &str, created_by: Option<&str>) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        parent: None,
        "job run",
        job = %job,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    if let Some(creator) = created_by.map(context_of) {
        span.add_link(creator.span().span_context().clone());
    }
    record_ids(&span);
    span
}

/// The span of one write of a job's answers, a child of its run's span; `Span::none()`
/// while export is off.
pub fn stored_batch_span(answers: usize, billed: u64) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    tracing::info_span!("job batch stored", answers, billed)
}

/// The span of one webhook delivery, in the trace of the call that created the job (so the
/// receiver, reading its `traceparent`, goes on with that trace); `Span::none()` while export
/// is off.
pub fn webhook_span(job: &str, created_by: Option<&str>) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        parent: None,
        "webhook delivery",
        otel.kind = "client",
        job = %job,
        http.response.status_code = tracing::field::Empty,
    );
    if let Some(creator) = created_by.map(context_of) {
        // Only fails for a span already started: then it keeps a trace of its own.
        let _ = span.set_parent(creator);
    }
    span
}

/// The span of one request on the HTTP listener (the ALAPI door and the console), continuing
/// the caller's trace; `Span::none()` while export is off.
pub fn http_span(method: &http::Method, path: &str, headers: &http::HeaderMap) -> tracing::Span {
    if !is_on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "http",
        otel.name = %format!("{method} {path}"),
        otel.kind = "server",
        http.request.method = %method,
        url.path = %path,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    continue_from(&span, headers);
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_endpoint_without_a_path_gets_the_traces_path() {
        assert_eq!(
            http_traces_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            http_traces_url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            http_traces_url("https://collector/otlp/v1/traces"),
            "https://collector/otlp/v1/traces"
        );
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_is_refused_naming_the_flag() {
        let args = TraceArgs {
            otlp_endpoint: Some("collector:4317".to_owned()),
            ..TraceArgs::default()
        };
        let Err(refused) = TraceExport::start::<tracing_subscriber::Registry>(&args) else {
            panic!("an endpoint without a scheme was taken");
        };
        assert!(matches!(refused, TraceError::NotAUrl(_)));
        assert!(
            refused
                .to_string()
                .contains("--otlp-endpoint \"collector:4317\"")
        );
    }

    #[test]
    fn a_sample_ratio_outside_zero_to_one_is_refused_by_name() {
        assert_eq!(fraction("0.25"), Ok(0.25));
        assert!(
            fraction("1.5")
                .unwrap_err()
                .contains("1.5 is not between 0 and 1")
        );
        assert!(
            fraction("half")
                .unwrap_err()
                .contains("\"half\" is not a number")
        );
    }
}
