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

use super::Limits;
use super::transcode::TranscodeError;
use crate::checking::pipeline::CheckError;
use crate::jobs::JobChunk;
use crate::pb;
use crate::jobs::uploads::{UploadError, clean_name, read_chunks, suffix};

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

/// A file past `--max-upload`.
fn too_large(limits: Limits) -> TranscodeError {
    TranscodeError::FileTooLarge(UploadError::TooLarge {
        limit: limits.max_upload,
    })
}

fn bad(why: impl Into<String>) -> TranscodeError {
    TranscodeError::BadUpload(why.into())
}

/// Reads the form: the `file` part into a scratch file, the other parts as the job's fields.
pub(super) async fn read_form(
    content_type: &str,
    body: axum::body::Body,
    limits: Limits,
) -> Result<Upload, TranscodeError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| bad(format!("a multipart body needs its boundary: {e}")))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut first = pb::CreateJobRequest::default();
    let mut read = pb::ReadOptions::default();
    let mut file = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| TranscodeError::Body(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let shown = clean_name(field.file_name().unwrap_or("list.txt"));
            // Its extension says how a text file is read, as the console's uploads.
            let mut scratch = tempfile::Builder::new()
                .prefix(".phonecheck-upload-")
                .suffix(&suffix(&shown))
                .tempfile()
                .map_err(|e| bad(format!("no scratch space for the upload: {e}")))?;
            let mut written = 0_u64;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| TranscodeError::Body(e.to_string()))?
            {
                written += chunk.len() as u64;
                if written > limits.max_upload {
                    return Err(too_large(limits));
                }
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
        set_field(&mut first, &mut read, &name, value.trim())?;
    }
    let (file, shown) = file.ok_or_else(|| bad("the form has no file part named \"file\""))?;
    if first.name.is_empty() {
        first.name.clone_from(&shown);
    }
    Ok(Upload {
        file,
        shown,
        read,
        first,
    })
}

/// Puts one form field into the job's first message or into how the file is read.
fn set_field(
    first: &mut pb::CreateJobRequest,
    read: &mut pb::ReadOptions,
    name: &str,
    value: &str,
) -> Result<(), TranscodeError> {
    let flag = |value: &str| match value {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(bad(format!(
            "field {name:?}: expected true or false, found {value:?}"
        ))),
    };
    match name {
        "name" => first.name = value.to_owned(),
        "callback_url" => first.callback_url = value.to_owned(),
        "request_id" => first.request_id = value.to_owned(),
        "max_billed" => {
            first.max_billed = value.parse().map_err(|_| {
                bad(format!(
                    "field \"max_billed\": expected a count, found {value:?}"
                ))
            })?;
        }
        "validate_only" => first.validate_only = flag(value)?,
        "skip_cache" => first.options.get_or_insert_default().skip_cache = flag(value)?,
        "sheet" => read.sheet = value.to_owned(),
        "column" => {
            read.column = value.parse().map_err(|_| {
                bad(format!(
                    "field \"column\": expected the number column's position (1 for the first), found {value:?}"
                ))
            })?;
        }
        "header" => {
            let header = match value {
                "yes" => pb::HeaderRow::Present,
                "no" => pb::HeaderRow::Absent,
                "auto" | "" => pb::HeaderRow::Unspecified,
                _ => {
                    return Err(bad(format!(
                        "field \"header\": expected yes, no or auto, found {value:?}"
                    )));
                }
            };
            read.set_header(header);
        }
        other => {
            return Err(bad(format!(
                "unknown field {other:?}: a job's form takes file, name, callback_url, request_id, max_billed, validate_only, skip_cache, sheet, column and header"
            )));
        }
    }
    Ok(())
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
        pb::reading(Some(&read)).0,
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
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| TranscodeError::Body(e.to_string()))?
        {
            written += chunk.len() as u64;
            if written > limits.max_upload {
                return Err(too_large(limits));
            }
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
