//! Files made of a job's output rows, sent as HTTP attachments: a CSV streamed as it is
//! written, a workbook or a zip written to a scratch file first (their formats end with an
//! index) and then streamed. The rows are written by [`crate::lists`] on a blocking thread.
//! Used by the console's downloads and the JSON API's `GET /v1/jobs/{id}/results` as a file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::jobs::uploads::clean_name;
use crate::lists::RowResult;

/// A job's output rows as they are read, in order; a failure to read says why.
pub(crate) type RowChunks = tokio::sync::mpsc::Receiver<Result<Vec<RowResult>, String>>;

/// What a blocking writer writes, handed to a response body in pieces of 64 KiB; a client
/// gone stops the writer (a broken pipe).
pub(crate) struct BodyWriter {
    piece: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>,
}

impl BodyWriter {
    const PIECE: usize = 64 * 1024;

    /// A writer handing its bytes to `tx`.
    pub(crate) fn new(
        tx: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>,
    ) -> BodyWriter {
        BodyWriter {
            piece: Vec::with_capacity(Self::PIECE),
            tx,
        }
    }

    fn hand_over(&mut self) -> std::io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(Self::PIECE));
        self.tx
            .blocking_send(Ok(axum::body::Bytes::from(piece)))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.piece.extend_from_slice(data);
        if self.piece.len() >= Self::PIECE {
            self.hand_over()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.hand_over()
    }
}

/// Feeds a job's output rows (`chunks`, in order) to `write` on a blocking thread, adding
/// the rows handed over to `handed` when given; the first failure, of reading or of writing,
/// is the answer.
pub(crate) async fn produce<W>(
    mut chunks: RowChunks,
    write: W,
    handed: Option<Arc<AtomicU64>>,
) -> Result<(), String>
where
    W: FnOnce(&mut dyn Iterator<Item = RowResult>) -> std::io::Result<()> + Send + 'static,
{
    // An async channel: a writer behind makes this task wait, never a runtime thread.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<RowResult>>(4);
    let writing = tokio::task::spawn_blocking(move || {
        write(&mut std::iter::from_fn(move || rx.blocking_recv()).flatten())
    });
    let mut read = Ok(());
    while let Some(chunk) = chunks.recv().await {
        match chunk {
            Ok(chunk) => {
                let rows = chunk.len() as u64;
                if tx.send(chunk).await.is_err() {
                    break;
                }
                if let Some(handed) = &handed {
                    handed.fetch_add(rows, Ordering::Relaxed);
                }
            }
            Err(e) => {
                read = Err(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writing.await.map_err(|e| e.to_string())?;
    read?;
    written.map_err(|e| e.to_string())
}

/// Streams the finished scratch file as an attachment named `name`, removing it after.
pub(crate) async fn send(
    scratch: tempfile::TempPath,
    kind: &'static str,
    name: &str,
) -> std::io::Result<Response> {
    let file = tokio::fs::File::open(&*scratch).await?;
    let length = file.metadata().await?.len();
    let stream = tokio_util_stream(file, scratch);
    Ok(attachment(
        Body::from_stream(stream),
        kind,
        Some(length),
        name,
    ))
}

/// `body` as an attachment named `name`, of `length` bytes when known beforehand.
pub(crate) fn attachment(
    body: Body,
    kind: &'static str,
    length: Option<u64>,
    name: &str,
) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(name),
        percent_encoded(name)
    );
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    (StatusCode::OK, response).into_response()
}

/// The file's bytes as a stream, keeping the scratch file until the stream is done.
fn tokio_util_stream(
    file: tokio::fs::File,
    scratch: tempfile::TempPath,
) -> impl futures::Stream<Item = std::io::Result<axum::body::Bytes>> + Send {
    futures::stream::unfold((file, Some(scratch)), |(mut file, scratch)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => {
                drop(scratch);
                None
            }
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), (file, scratch)))
            }
            Err(e) => Some((Err(e), (file, None))),
        }
    })
}

/// `NAME-what.ext` from the job's name (`job`), without its own extension.
pub(crate) fn download_name(job: &str, what: &str, extension: &str) -> String {
    let name = clean_name(job);
    let stem = Path::new(&name)
        .file_stem()
        .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
    format!("{stem}-{what}.{extension}")
}

/// The name with anything but safe ASCII replaced, for the plain `filename=`.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 `attr-char`s kept, every other byte as `%XX`, for `filename*=UTF-8''`.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe() {
        assert_eq!(ascii_name("客户 名单-results.csv"), "_____-results.csv");
        assert_eq!(percent_encoded("a b\"/客.csv"), "a%20b%22%2F%E5%AE%A2.csv");
    }
}
