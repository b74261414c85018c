//! The generated `phonecheck.v1` API: messages, the server trait and a client. The .proto
//! under `proto/` documents every field.
#![allow(missing_docs)]

tonic::include_proto!("phonecheck.v1");

/// The encoded descriptors of `phonecheck.v1` and its imports, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("phonecheck_descriptor");
