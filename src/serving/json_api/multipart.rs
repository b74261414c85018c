//! Files posted as `multipart/form-data`, so that `curl -F file=@list.csv` works:
//!
//! - to `POST /v1/jobs`, a list file (`file`: TXT, CSV, TSV or a workbook) and the job's
//!   fields. The file is streamed to a scratch file (refused past `--max-upload`), read by
//!   [`crate::jobs::uploads::read_chunks`] as an upload is, each row whole, and sent to
//!   `CreateJob` as its messages: the job is made by the gRPC method like any other.
//! - to `POST /v1/uploads`, the `file` alone, sent on to `CreateUpload` piece by piece as it
//!   arrives.

use std::io::Write as _;

use bytes::Bytes;
use tokio::sync::mpsc;

use prost::Message as _;
use prost_reflect::MessageDescriptor;

use super::Limits;
use super::transcode::{self, TranscodeError};
use crate::checking::pipeline::CheckError;
use crate::jobs::JobChunk;
use crate::jobs::uploads::{UploadError, clean_name, read_chunks, scratch_file};
use crate::pb;

/// The most bytes a form field other than the file may have.
const MAX_FIELD: usize = 64 * 1024;

/// What a multipart body held: the file, kept until it is read, and the job's first message.
pub(super) struct Upload {
    file: tempfile::TempPath,
    shown: String,
    read: pb::ReadOptions,
    first: pb::CreateJobRequest,
}

/// Whether `content_type` is a multipart form.
pub(super) fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| t.trim_start().starts_with("multipart/form-data"))
}

/// The next piece of a form's file part, counted into `written`; a file past `--max-upload`
/// is refused.
async fn file_chunk(
    field: &mut multer::Field<'_>,
    written: &mut u64,
    limits: Limits,
) -> Result<Option<Bytes>, TranscodeError> {
    let chunk = field
        .chunk()
        .await
        .map_err(|e| TranscodeError::Body(e.to_string()))?;
    if let Some(chunk) = &chunk {
        *written += chunk.len() as u64;
        if *written > limits.max_upload {
            return Err(too_large(limits));
        }
    }
    Ok(chunk)
}

/// A file past `--max-upload`.
fn too_large(limits: Limits) -> TranscodeError {
    TranscodeError::FileTooLarge(UploadError::TooLarge {
        limit: limits.max_upload,
    })
}

fn bad(why: impl Into<String>) -> TranscodeError {
    TranscodeError::BadUpload(why.into())
}

/// Reads the form: the `file` part into a scratch file, the other parts as the fields of the
/// job's first message (`input`, `CreateJobRequest`), named as in a query string: `name`,
/// `max_billed`, `options.skip_cache`, `read_options.column`…
pub(super) async fn read_form(
    content_type: &str,
    body: axum::body::Body,
    limits: Limits,
    input: &MessageDescriptor,
) -> Result<Upload, TranscodeError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| bad(format!("a multipart body needs its boundary: {e}")))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut values = Vec::new();
    let mut file = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| TranscodeError::Body(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let shown = clean_name(field.file_name().unwrap_or("list.txt"));
            let mut scratch = scratch_file(&std::env::temp_dir(), &shown)
                .map_err(|e| bad(format!("no scratch space for the upload: {e}")))?;
            let mut written = 0_u64;
            while let Some(chunk) = file_chunk(&mut field, &mut written, limits).await? {
                scratch
                    .write_all(&chunk)
                    .map_err(|e| bad(format!("the upload could not be stored: {e}")))?;
            }
            file = Some((scratch.into_temp_path(), shown));
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| TranscodeError::Body(e.to_string()))?
        {
            value.extend_from_slice(&chunk);
            if value.len() > MAX_FIELD {
                return Err(bad(format!(
                    "field {name:?} is longer than {MAX_FIELD} bytes"
                )));
            }
        }
        let value = String::from_utf8(value)
            .map_err(|_| bad(format!("field {name:?} is not UTF-8 text")))?;
        values.push((name, value.trim().to_owned()));
    }
    let mut first = first_message(input, &values)?;
    let (file, shown) = file.ok_or_else(|| bad("the form has no file part named \"file\""))?;
    if first.name.is_empty() {
        first.name.clone_from(&shown);
    }
    Ok(Upload {
        file,
        shown,
        read: first.read_options.take().unwrap_or_default(),
        first,
    })
}

/// The job's first message from a form's `values`, by the message's own field names; the
/// list is the file, so the fields that carry a list are refused.
fn first_message(
    input: &MessageDescriptor,
    values: &[(String, String)],
) -> Result<pb::CreateJobRequest, TranscodeError> {
    let message = transcode::fields_message(input, values).map_err(|e| match e {
        TranscodeError::BadQuery { name, why } => bad(format!("field {name:?}: {why}")),
        TranscodeError::BadJson { why, .. } => bad(format!("a field does not fit: {why}")),
        other => other,
    })?;
    let first = pb::CreateJobRequest::decode(message.encode_to_vec().as_slice())
        .map_err(|e| bad(format!("the fields do not make a CreateJobRequest: {e}")))?;
    if !first.mobiles.is_empty()
        || !first.rows.is_empty()
        || !first.header.is_empty()
        || !first.upload_id.is_empty()
    {
        return Err(bad(
            "the form's file is the list: mobiles, rows, header and upload_id are not form fields",
        ));
    }
    Ok(first)
}

/// Sends the `CreateJob` messages of `upload` to `tx` as its file is read; a file that cannot
/// be read (or breaks half way) is the error.
pub(super) async fn send_job(
    upload: Upload,
    tx: mpsc::Sender<Bytes>,
) -> Result<(), TranscodeError> {
    let Upload {
        file,
        shown,
        read,
        first,
    } = upload;
    let mut chunks = read_chunks(
        file.to_path_buf(),
        pb::reading(Some(&read)),
        shown,
        JobChunk::default(),
    );
    let mut first = Some(first);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.map_err(|e| match e {
            // What the reader said of the file, without the stream's wording around it.
            CheckError::ListUnreadable(why) => bad(why),
            other => bad(other.to_string()),
        })?;
        let mut message = first.take().unwrap_or_default();
        message.header = chunk.header;
        message.mobiles = chunk.inputs;
        message.rows = chunk
            .rows
            .into_iter()
            .map(|row| pb::Row {
                cells: row.cells,
                line: row.line.unwrap_or_default(),
            })
            .collect();
        if tx
            .send(Bytes::from(prost::Message::encode_to_vec(&message)))
            .await
            .is_err()
        {
            // The call is over; nobody reads on.
            return Ok(());
        }
    }
    // A file without rows: the job's fields alone, which CreateJob answers NO_NUMBERS.
    if let Some(first) = first {
        let _ = tx
            .send(Bytes::from(prost::Message::encode_to_vec(&first)))
            .await;
    }
    // Read whole: the scratch file goes.
    drop(file);
    Ok(())
}

/// Sends the `file` part of a form posted to `POST /v1/uploads` to `tx` as `CreateUpload`
/// messages, piece by piece as it arrives, its name in the first; any other part is refused.
pub(super) async fn send_upload(
    content_type: String,
    body: axum::body::Body,
    limits: Limits,
    tx: mpsc::Sender<Bytes>,
) -> Result<(), TranscodeError> {
    let boundary = multer::parse_boundary(&content_type)
        .map_err(|e| bad(format!("a multipart body needs its boundary: {e}")))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut sent = false;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| TranscodeError::Body(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" || sent {
            return Err(bad(format!(
                "an upload's form takes one part, \"file\"; found {name:?} (a job's fields go with CreateJob)"
            )));
        }
        let mut message = pb::CreateUploadRequest {
            name: field.file_name().unwrap_or("list.txt").to_owned(),
            data: Vec::new(),
        };
        let mut written = 0_u64;
        while let Some(chunk) = file_chunk(&mut field, &mut written, limits).await? {
            message.data = chunk.to_vec();
            let encoded = Bytes::from(prost::Message::encode_to_vec(&message));
            message.name.clear();
            if tx.send(encoded).await.is_err() {
                // The call is over; nobody reads on.
                return Ok(());
            }
        }
        if !message.name.is_empty() {
            // An empty file: its name alone, which CreateUpload refuses as holding no numbers.
            let _ = tx
                .send(Bytes::from(prost::Message::encode_to_vec(&message)))
                .await;
        }
        sent = true;
    }
    if sent {
        Ok(())
    } else {
        Err(bad("the form has no file part named \"file\""))
    }
}
