//! Uploads: a file streamed to a scratch file (never held whole in memory, refused past
//! `--max-upload`), previewed with [`crate::lists`] (the detected format, sheet and number
//! column, the first rows), and made into a job the way `CreateJob` makes one, each row whole.
//! An upload not made into a job within an hour is dropped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio_stream::StreamExt;

use super::{ApiError, Console, job_response};
use crate::jobs::JobChunk;
use crate::lists::{RowReader, Source};
use crate::serving::list_upload::{ReadChoice, clean_name, read_chunks, suffix};

/// How long an upload waits to be made into a job.
const KEEP: Duration = Duration::from_secs(3600);

/// Rows shown in a preview.
const PREVIEW_ROWS: usize = 10;

/// A file waiting to become a job.
pub(super) struct Upload {
    owner: String,
    name: String,
    path: tempfile::TempPath,
    at: Instant,
}

/// The query of an upload: the file's name (its extension says CSV, TSV or text).
#[derive(Debug, Deserialize)]
pub(super) struct UploadQuery {
    name: Option<String>,
}

/// What the page shows before a job starts.
#[derive(Debug, Serialize)]
struct Preview {
    upload: String,
    name: String,
    bytes: u64,
    description: String,
    sheet: Option<String>,
    sheets: Vec<String>,
    columns: Vec<String>,
    /// The number column, from 1 (none for text).
    column: Option<usize>,
    has_header: bool,
    rows: Vec<Vec<String>>,
}

/// `POST /console/api/uploads?name=FILE`: the body is the file.
pub(super) async fn upload(
    headers: HeaderMap,
    State(console): State<Console>,
    Query(query): Query<UploadQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let limit = console.settings.max_upload;
    if let Some(length) = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        && length > limit
    {
        return Err(too_large(limit));
    }
    let name = clean_name(query.name.as_deref().unwrap_or("list.txt"));
    let scratch = tempfile::Builder::new()
        .prefix(".phonecheck-upload-")
        .suffix(&suffix(&name))
        .tempfile_in(&console.settings.scratch)
        .map_err(internal)?;
    let (file, path) = scratch.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the upload broke off: {e}"),
            )
        })?;
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    drop(file);
    let id = format!("u_{}", ulid::Ulid::generate().to_string().to_lowercase());
    let language = super::preferred_language(&headers);
    let preview = read_preview(
        &path,
        &name,
        &ReadChoice::default(),
        id.clone(),
        bytes,
        language,
    )
    .await?;
    {
        let mut uploads = console.uploads.lock();
        uploads.retain(|_, u| u.at.elapsed() < KEEP);
        uploads.insert(
            id,
            Upload {
                owner,
                name,
                path,
                at: Instant::now(),
            },
        );
    }
    Ok((StatusCode::CREATED, Json(preview)).into_response())
}

/// Where the upload `id` of `owner` is kept, and the name its file had; gone when it is not
/// (or not theirs).
fn upload_of(console: &Console, owner: &str, id: &str) -> Result<(PathBuf, String), ApiError> {
    let uploads = console.uploads.lock();
    let upload = uploads
        .get(id)
        .filter(|u| u.owner == owner)
        .ok_or_else(|| gone(id))?;
    Ok((upload.path.to_path_buf(), upload.name.clone()))
}

/// `GET /console/api/uploads/{id}/preview?sheet=&column=&header=`: the preview read another way.
pub(super) async fn preview(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(id): UrlPath<String>,
    Query(choice): Query<ReadChoice>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let (path, name) = upload_of(&console, &owner, &id)?;
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let language = super::preferred_language(&headers);
    let preview = read_preview(&path, &name, &choice, id, bytes, language).await?;
    Ok(Json(preview).into_response())
}

/// The start of a job from an upload.
#[derive(Debug, Default, Deserialize)]
pub(super) struct StartRequest {
    #[serde(flatten)]
    read: ReadChoice,
    name: Option<String>,
    callback_url: Option<String>,
    /// The page's id for this submission: a second click (or a retry) makes no second job.
    request_id: Option<String>,
}

/// `POST /console/api/uploads/{id}/job`: makes the upload a job (through the same path as
/// `CreateJob`, every row kept whole) and drops the upload.
pub(super) async fn start(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(id): UrlPath<String>,
    Json(request): Json<StartRequest>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let upload = {
        let mut uploads = console.uploads.lock();
        match uploads.get(&id) {
            Some(u) if u.owner == owner => uploads.remove(&id),
            _ => None,
        }
        .ok_or_else(|| gone(&id))?
    };
    let options = request.read.options();
    let name = request
        .name
        .map(|n| clean_name(&n))
        .unwrap_or_else(|| upload.name.clone());
    let callback_url = request.callback_url.unwrap_or_default();
    let first = JobChunk {
        name,
        callback_url,
        request_id: request.request_id.unwrap_or_default(),
        ..JobChunk::default()
    };
    let rx = read_chunks(
        upload.path.to_path_buf(),
        options,
        upload.name.clone(),
        first,
    );
    // The upload's file lives as long as `upload`: until the job is stored.
    let _file = upload;
    let chunks = tokio_stream::wrappers::ReceiverStream::new(rx);
    let job = console.jobs.create(&owner, chunks).await?;
    Ok((StatusCode::CREATED, job_response(&job)).into_response())
}

/// `GET /console/api/uploads/{id}/cost?…`: what checking the upload (read as the query says)
/// would bill now, and how many rows the cache answers, are invalid or repeat; nothing is
/// stored or sent.
pub(super) async fn cost(
    headers: HeaderMap,
    State(console): State<Console>,
    UrlPath(id): UrlPath<String>,
    Query(choice): Query<ReadChoice>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let (path, name) = upload_of(&console, &owner, &id)?;
    let rx = read_chunks(path, choice.options(), name, JobChunk::default());
    let preview = console
        .jobs
        .preview(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await?;
    Ok(Json(serde_json::json!({
        "rows": preview.total,
        "unique": preview.unique,
        "cacheHits": preview.cache_hits,
        "invalid": preview.invalid,
        "duplicates": preview.duplicates,
        "billable": preview.billable,
    }))
    .into_response())
}

/// Reads the first rows of the upload at `path` as `choice` says.
async fn read_preview(
    path: &Path,
    name: &str,
    choice: &ReadChoice,
    upload: String,
    bytes: u64,
    language: &'static str,
) -> Result<Preview, ApiError> {
    let scratch = path.display().to_string();
    let (path, name, options) = (path.to_path_buf(), name.to_owned(), choice.options());
    let shown = name.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<Preview, String> {
        let reader =
            RowReader::open(&Source::File(path.clone()), &options).map_err(|e| e.to_string())?;
        let layout = reader.layout.clone();
        let description = reader.description.clone();
        let mut rows = Vec::new();
        for row in reader.take(PREVIEW_ROWS) {
            let row = row.map_err(|e| e.to_string())?;
            rows.push(if row.cells.is_empty() {
                vec![row.input]
            } else {
                row.cells
            });
        }
        if rows.is_empty() {
            // Refused at once, as the CLI refuses it, rather than when the job is started.
            return Err(if language == "zh" {
                format!("{name} 中没有号码：请上传一个含有手机号的文件")
            } else {
                format!("{name} holds no numbers: upload a file with phone numbers in it")
            });
        }
        let sheets = match layout.as_ref().and_then(|l| l.sheet.as_ref()) {
            Some(_) => crate::lists::read::sheet_names(&path),
            None => Vec::new(),
        };
        Ok(Preview {
            upload,
            name,
            bytes,
            description,
            sheet: layout.as_ref().and_then(|l| l.sheet.clone()),
            sheets,
            columns: layout
                .as_ref()
                .map(|l| l.columns.clone())
                .unwrap_or_default(),
            column: layout.as_ref().map(|l| l.column + 1),
            has_header: layout.as_ref().is_some_and(|l| l.has_header),
            rows,
        })
    });
    match read.await {
        Ok(Ok(preview)) => Ok(preview),
        Ok(Err(message)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message.replace(&scratch, &shown),
        )),
        Err(e) => Err(internal(e)),
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the file is larger than this server accepts ({}); split it, or ask for a larger --max-upload",
            bytesize::ByteSize::b(limit).display().si()
        ),
    )
}

fn gone(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no upload {id:?} (uploads are kept an hour); upload the file again"),
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "console: an upload failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the upload could not be stored",
    )
}
