//! The JSON API's way in: a gRPC call made inside the process to the very stack the gRPC port
//! serves ([`crate::serving::middleware::CallLayer`], the API-key check, the PhoneCheck
//! service with its message limits). So a JSON request gets the same keys, request ids, limits,
//! metrics, traces and draining as a gRPC call, and no rule is written twice. Messages cross
//! it as their protobuf bytes; the transcoder turns them into JSON and back.

use std::convert::Infallible;

use bytes::{Buf, BufMut, Bytes};
use futures::Stream;
use http::uri::PathAndQuery;
use prost_reflect::MethodDescriptor;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataMap;
use tonic::{Response, Status, Streaming};
use tower::util::BoxCloneSyncService;

/// The gRPC server's PhoneCheck stack as one cloneable service.
pub type GrpcStack = BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    Infallible,
>;

/// Calls of the in-process PhoneCheck service.
#[derive(Clone)]
pub struct InProcess {
    stack: GrpcStack,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

impl InProcess {
    /// Calls through `stack`.
    pub fn new(stack: GrpcStack) -> Self {
        InProcess { stack }
    }

    /// Calls `path` (`/phonecheck.v1.PhoneCheck/Check`) with `metadata` and the encoded
    /// request `messages`; the answer's messages come back encoded. Unary methods take one
    /// message and answer one, like any gRPC client sends them.
    pub async fn call(
        &self,
        path: PathAndQuery,
        metadata: MetadataMap,
        messages: impl Stream<Item = Bytes> + Send + 'static,
    ) -> Result<Response<Streaming<Bytes>>, Status> {
        let mut grpc = tonic::client::Grpc::new(self.stack.clone())
            // The server's own answers: its limits were applied where they were made.
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        if let Err(never) = grpc.ready().await {
            match never {}
        }
        let mut request = tonic::Request::new(messages);
        *request.metadata_mut() = metadata;
        grpc.streaming(request, path, Raw).await
    }
}

/// The path a gRPC call of `method` goes to: `/phonecheck.v1.PhoneCheck/Check`.
pub fn path_of(method: &MethodDescriptor) -> Result<PathAndQuery, http::uri::InvalidUri> {
    format!("/{}/{}", method.parent_service().full_name(), method.name()).parse()
}

/// A codec passing messages as the bytes they are encoded as.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
