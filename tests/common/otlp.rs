//! A real OTLP receiver on 127.0.0.1:0, as a collector is: the collector's own gRPC service
//! and its HTTP route (`POST /v1/traces`), from the OTLP protobuf definitions. It keeps what
//! it is sent, for the trace tests and the load bench's T1 to read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use parking_lot::Mutex;
use prost::Message;
use tokio::net::TcpListener;

/// What the receiver was sent: every span, and every request's bytes as they came.
#[derive(Debug, Default, Clone)]
pub struct Received {
    /// Every span, in the order they came.
    pub spans: Arc<Mutex<Vec<Span>>>,
    /// Every export request as bytes, one after the other.
    pub bytes: Arc<Mutex<Vec<u8>>>,
}

impl Received {
    fn take(&self, request: &ExportTraceServiceRequest) {
        self.bytes.lock().extend(request.encode_to_vec());
        let mut spans = self.spans.lock();
        for resource in &request.resource_spans {
            for scope in &resource.scope_spans {
                spans.extend(scope.spans.iter().cloned());
            }
        }
    }

    /// The spans named `name`.
    pub fn named(&self, name: &str) -> Vec<Span> {
        self.spans
            .lock()
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.take(request.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// An OTLP/gRPC receiver on 127.0.0.1:0: its URL and what it gets.
pub async fn grpc_receiver() -> (String, Received) {
    let received = Received::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = TraceServiceServer::new(received.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (format!("http://{addr}"), received)
}

/// An OTLP/HTTP receiver (`POST /v1/traces`, protobuf bodies) on 127.0.0.1:0.
pub async fn http_receiver() -> (String, Received) {
    let received = Received::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| async move {
            let request = ExportTraceServiceRequest::decode(body).expect("an OTLP request");
            keep.take(&request);
            ExportTraceServiceResponse::default().encode_to_vec()
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}
