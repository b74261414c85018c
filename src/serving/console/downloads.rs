//! Downloads: a job's results (CSV with a byte-order mark for Excel, or an XLSX workbook; each
//! row whole when the job kept rows) and its per-status files (a zip), written by
//! [`crate::lists`] on a blocking thread. CSV streams as it is written, so its first bytes
//! leave at once whatever the job's size; a workbook and a zip are written to a scratch file
//! first (their formats end with an index), then streamed. What a running job has answered so
//! far is what is downloaded.

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::builds::Progress;
use super::{ApiError, Console};
use crate::checking::pipeline::Outcome;
use crate::jobs::{JobRecord, ResultRow};
use crate::lists::split::SplitLayout;
use crate::lists::{OutputFormat, ResultWriter, RowResult, RowStatus, SplitWriter, WriteOptions};
use crate::serving::file_downloads::{
    BodyWriter, RowChunks, attachment, download_name, produce, send,
};
use crate::serving::status::{not_checked_status, rpc_status};

/// `?format=csv|xlsx&progress=TOKEN`.
#[derive(Debug, Deserialize)]
pub(super) struct ResultsQuery {
    format: Option<String>,
    /// The page's name for this download, to ask how far its build has got.
    progress: Option<String>,
}

/// `?progress=TOKEN` (see [`ResultsQuery`]).
#[derive(Debug, Deserialize)]
pub(super) struct BuildQuery {
    progress: Option<String>,
}

/// `GET /console/api/builds/{token}`: how far a workbook or zip being built has got,
/// `{"rows", "total", "done"}`.
pub(super) async fn build(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(token): UrlPath<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let progress = console.builds.read(&owner, &token).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no download is being built under that token here",
        )
    })?;
    Ok(axum::Json(progress).into_response())
}

/// `GET /console/api/jobs/{id}/results?format=csv|xlsx`.
pub(super) async fn results(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let job = console.jobs.get(&owner, &id).await?;
    let xlsx = query.format.as_deref() == Some("xlsx");
    let options = WriteOptions {
        columns: (!job.header.is_empty()).then(|| job.header.clone()),
        bom: true,
        sheet: None,
    };
    if !xlsx {
        return stream_csv(&console, &owner, &job, options).await;
    }
    let progress = console
        .builds
        .start(&owner, query.progress.as_deref(), job.total)?;
    let scratch = scratch_file(&console, "xlsx")?;
    let path = scratch.to_path_buf();
    let write = move |rows: &mut dyn Iterator<Item = RowResult>| -> std::io::Result<()> {
        let mut writer = ResultWriter::xlsx(path, &options)?;
        for row in rows {
            writer.write(&row)?;
        }
        writer.finish()
    };
    let chunks = console.jobs.results(&owner, &id, 0).await?;
    send_built(
        chunks,
        write,
        progress,
        scratch,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &download_name(&job.name, "results", "xlsx"),
    )
    .await
}

/// The results as CSV, streamed as they are read and written. A failure before the first
/// byte is an error response; one after it (the store gone mid-way) cuts the body, which a
/// client sees as an incomplete transfer, never as a shorter file that looks whole.
async fn stream_csv(
    console: &Console,
    owner: &str,
    job: &JobRecord,
    options: WriteOptions,
) -> Result<Response, ApiError> {
    let chunks = console.jobs.results(owner, &job.id, 0).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let body = BodyWriter::new(tx.clone());
    let write = move |rows: &mut dyn Iterator<Item = RowResult>| -> std::io::Result<()> {
        let mut writer = ResultWriter::new(Box::new(body), OutputFormat::Csv, &options)?;
        for row in rows {
            writer.write(&row)?;
        }
        writer.finish()
    };
    tokio::spawn(async move {
        if let Err(e) = produce(rows_of(chunks), write, None).await {
            tracing::warn!(error = %e, "a CSV download stopped part way");
            let _ = tx.send(Err(std::io::Error::other(e))).await;
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Ok(attachment(
        Body::from_stream(stream),
        "text/csv; charset=utf-8",
        None,
        &download_name(&job.name, "results", "csv"),
    ))
}

/// `GET /console/api/jobs/{id}/split`: one file per status, in a zip.
pub(super) async fn split(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<BuildQuery>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let job = console.jobs.get(&owner, &id).await?;
    let progress = console
        .builds
        .start(&owner, query.progress.as_deref(), job.total)?;
    let scratch = scratch_file(&console, "zip")?;
    let layout = if job.header.is_empty() {
        SplitLayout::Txt
    } else {
        SplitLayout::Csv {
            header: job.header.clone(),
            bom: true,
        }
    };
    let path = scratch.to_path_buf();
    let write = move |rows: &mut dyn Iterator<Item = RowResult>| -> std::io::Result<()> {
        let mut split = SplitWriter::create(&path, layout)?;
        for row in rows {
            split.write(&row)?;
        }
        split.finish().map(|_| ())
    };
    let chunks = console.jobs.results(&owner, &id, 0).await?;
    send_built(
        chunks,
        write,
        progress,
        scratch,
        "application/zip",
        &download_name(&job.name, "by-status", "zip"),
    )
    .await
}

/// A stored result as a list's output row, its cells whole: the same record the CLI writes
/// from the API's answer.
fn row_of(row: ResultRow) -> RowResult {
    let line = row.line();
    let ResultRow { result, source } = row;
    let index = u64::from(result.index);
    let mut r = RowResult::unchecked(index, line, result.input_text().into_owned(), "");
    r.mobile = result.mobile.map(|m| m.digits()).unwrap_or_default();
    r.duplicate = result.duplicate;
    r.from_cache = result.from_cache;
    r.cells = source.cells;
    match result.outcome {
        Outcome::Checked(line) => {
            let (province, city) = line.province_and_city();
            r.province = province.to_owned();
            r.city = city.to_owned();
            r.status = RowStatus::Checked(line.status);
            r.status_name = line.status_name.to_string();
            r.area = line.area.to_string();
            r.carrier = line.carrier.to_string();
            r.checked_at = prost_types::Timestamp::from(line.checked_at).to_string();
        }
        Outcome::Invalid(reason) => {
            r.status = RowStatus::Invalid;
            r.note = reason.to_string();
        }
        Outcome::Failed(e) => {
            r.status = RowStatus::Error;
            r.note = rpc_status(&e).message;
        }
        Outcome::NotChecked(cause) => r.note = not_checked_status(cause.as_deref()).message,
    }
    r
}

/// A job's results as they are read, in order.
type Chunks = tokio::sync::mpsc::Receiver<Result<Vec<ResultRow>, crate::jobs::JobError>>;

/// The stored results as output rows, mapped as they are read.
fn rows_of(mut chunks: Chunks) -> RowChunks {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        while let Some(chunk) = chunks.recv().await {
            let rows = chunk
                .map(|rows| rows.into_iter().map(row_of).collect())
                .map_err(|e| e.to_string());
            if tx.send(rows).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// A scratch file for a download, removed when dropped.
fn scratch_file(console: &Console, extension: &str) -> Result<tempfile::TempPath, ApiError> {
    tempfile::Builder::new()
        .prefix(".phonecheck-download-")
        .suffix(&format!(".{extension}"))
        .tempfile_in(&console.settings.scratch)
        .map(tempfile::NamedTempFile::into_temp_path)
        .map_err(failed)
}

/// Writes a job's results (`chunks`) to the scratch file with `write`, counting the rows on
/// `progress` when the page asked to follow it, then sends the file.
async fn send_built<W>(
    chunks: Chunks,
    write: W,
    progress: Option<Progress>,
    scratch: tempfile::TempPath,
    kind: &'static str,
    name: &str,
) -> Result<Response, ApiError>
where
    W: FnOnce(&mut dyn Iterator<Item = RowResult>) -> std::io::Result<()> + Send + 'static,
{
    let rows = progress.as_ref().map(|p| p.rows.clone());
    produce(rows_of(chunks), write, rows)
        .await
        .map_err(failed)?;
    drop(progress);
    send(scratch, kind, name).await.map_err(failed)
}

fn failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "console: a download failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the download could not be written",
    )
}
