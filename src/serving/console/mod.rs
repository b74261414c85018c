//! The web console on `--http-listen`: list cleaning for people who work in a browser. Drop a
//! TXT, CSV or Excel file, check the detected number column and sheet, start a job, watch it
//! move, download the results (CSV or XLSX, every original column kept) and one file per status
//! (a zip), see the history, cancel, resume, delete.
//!
//! - `/` and `/assets/*`: the page, its script and style, embedded in the binary (`assets/`):
//!   server-rendered HTML and a little JavaScript, no framework, nothing from outside.
//! - `/console/api/*`: the JSON API the page uses (and anyone with curl may): uploads and
//!   their preview ([`uploads`]), jobs, their progress as Server-Sent Events, and downloads
//!   ([`downloads`]).
//!
//! It only translates, like the gRPC service: a job is made through [`Jobs::create`] exactly as
//! `CreateJob` makes one, the files are read and written by [`crate::lists`]. With API keys,
//! every API route needs `Authorization: Bearer KEY` and sees only the jobs of that key's
//! name; the page holds the key in the tab's memory only. There are no cookies, so a request
//! from another site carries no credentials (nothing to forge).

mod builds;
mod downloads;
mod uploads;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parking_lot::Mutex;
use serde_json::json;
use tokio_stream::StreamExt as _;

use crate::checking::spend::Payer;
use crate::jobs::{JobError, JobRecord, Jobs};
use crate::serving::auth::ApiKeys;
use crate::serving::job_json::{job_json, job_value};
use crate::usage::{UsageError, UsageLedger};

/// How the console takes uploads.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The largest upload, in bytes (`--max-upload`).
    pub max_upload: u64,
    /// Where uploads wait until their job is made.
    pub scratch: PathBuf,
    /// The upstream is the built-in simulator (`--demo`): the page says its answers are
    /// simulated.
    pub demo: bool,
}

/// What the console's handlers share.
#[derive(Clone)]
pub(crate) struct Console {
    jobs: Arc<Jobs>,
    ledger: Arc<UsageLedger>,
    keys: Option<Arc<ApiKeys>>,
    settings: Arc<Settings>,
    uploads: Arc<Mutex<HashMap<String, uploads::Upload>>>,
    /// Workbooks and zips being built for a download, for the page to show how far.
    builds: builds::Builds,
}

impl Console {
    /// The console of `jobs` and the usage `ledger`, with the server's API keys when it has
    /// some.
    pub(crate) fn new(
        jobs: Arc<Jobs>,
        ledger: Arc<UsageLedger>,
        keys: Option<Arc<ApiKeys>>,
        settings: Settings,
    ) -> Self {
        Console {
            jobs,
            ledger,
            keys,
            settings: Arc::new(settings),
            uploads: Arc::default(),
            builds: builds::Builds::default(),
        }
    }

    /// The caller's key name ("" without keys), from `Authorization: Bearer KEY`.
    fn owner(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let Some(keys) = &self.keys else {
            return Ok(String::new());
        };
        let key = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        keys.check_token(key.trim())
            .map_err(|_| ApiError::new(StatusCode::UNAUTHORIZED, "an API key is needed (sign in)"))
    }
}

/// The console's routes.
pub(crate) fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(asset))
        .route("/console/api/session", get(session))
        .route(
            "/console/api/uploads",
            post(uploads::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/api/uploads/{id}/preview", get(uploads::preview))
        .route("/console/api/uploads/{id}/job", post(uploads::start))
        .route("/console/api/uploads/{id}/cost", get(uploads::cost))
        .route("/console/api/usage", get(usage))
        .route("/console/api/jobs", get(list))
        .route("/console/api/jobs/{id}", get(job).delete(delete))
        .route("/console/api/jobs/{id}/cancel", post(cancel))
        .route("/console/api/jobs/{id}/resume", post(resume))
        .route("/console/api/jobs/{id}/events", get(events))
        .route("/console/api/jobs/{id}/results", get(downloads::results))
        .route("/console/api/jobs/{id}/split", get(downloads::split))
        .route("/console/api/jobs/{id}/summary", get(downloads::summary))
        .route("/console/api/builds/{token}", get(downloads::build))
        .with_state(console)
}

/// An API failure: a status and one line saying what to do, as `{"error": "…"}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        let status = match &e {
            JobError::NotFound(_) => StatusCode::NOT_FOUND,
            JobError::Store(s) if s.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            JobError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            JobError::Callback(crate::jobs::webhooks::CallbackError::Disabled) => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "console: the job store failed");
        }
        ApiError::new(status, e.to_string())
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::Store(store) => ApiError::from(JobError::Store(store)),
            other => ApiError::new(StatusCode::BAD_REQUEST, other.to_string()),
        }
    }
}

/// A job as the API's JSON.
fn job_response(job: &JobRecord) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], job_json(job)).into_response()
}

async fn page(headers: HeaderMap, State(console): State<Console>) -> Response {
    let lang = preferred_language(&headers);
    let html = assets::INDEX
        .replace("{{lang}}", lang)
        .replace("{{keys}}", if console.keys.is_some() { "1" } else { "0" })
        .replace("{{statuses}}", status_labels())
        .replace("{{demo}}", if console.settings.demo { "1" } else { "0" });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response()
}

/// The statuses the page shows, from the one table (`LineStatus`, through `RowStatus`), as
/// a JSON list of `[key in a job's byStatus, English, Chinese]` in the order lists show them,
/// escaped for an HTML attribute. Made once.
fn status_labels() -> &'static str {
    use crate::lists::RowStatus;
    static LABELS: LazyLock<String> = LazyLock::new(|| {
        let rows: Vec<[String; 3]> = RowStatus::ALL
            .into_iter()
            .filter_map(|status| {
                let (field, english) = match status {
                    RowStatus::Checked(line) => (line.name(), line.name().replace('_', " ")),
                    RowStatus::Invalid => ("invalid", "invalid".to_owned()),
                    // A job counts its failed numbers as `failed`.
                    RowStatus::Error => ("failed", "failed".to_owned()),
                    RowStatus::Unchecked => return None,
                };
                let key = crate::serving::job_json::status_count_key(field)?;
                Some([key, english, status.label().to_owned()])
            })
            .collect();
        serde_json::to_string(&rows)
            .unwrap_or_default()
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    });
    &LABELS
}

/// "zh" when the browser prefers Chinese, else "en".
pub(super) fn preferred_language(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let first = accept.split(',').next().unwrap_or_default().trim();
    if first.starts_with("zh") { "zh" } else { "en" }
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.js" => (assets::APP_JS, "text/javascript; charset=utf-8"),
        "app.css" => (assets::APP_CSS, "text/css; charset=utf-8"),
        _ => return ApiError::new(StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// Whether the key works: the page signs in with it.
async fn session(headers: HeaderMap, State(console): State<Console>) -> Response {
    match console.owner(&headers) {
        Ok(owner) => {
            axum::Json(json!({ "owner": owner, "keys": console.keys.is_some() })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /console/api/usage`: the signed-in key's usage this month, by day, and its budget
/// (the same ledger `GetUsage` reads).
async fn usage(headers: HeaderMap, State(console): State<Console>) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let caller = Payer::new(&owner);
    let (from, to, rows) = console.ledger.read(Some(caller.name()), "", "").await?;
    let days: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            json!({
                "day": row.day,
                "billed": row.spend.billed,
                "cacheHits": row.spend.cache_hits,
                "invalid": row.spend.invalid,
                "duplicates": row.spend.duplicates,
                "calls": row.spend.calls,
            })
        })
        .collect();
    let budget = console
        .ledger
        .budget_report(caller.name())
        .await?
        .map(|(budget, spent, _)| {
            json!({
                "limit": budget.limit,
                "period": budget.period.name(),
                "used": spent.used,
                "reserved": spent.reserved,
                "left": spent.left(budget.limit),
            })
        });
    Ok(axum::Json(json!({
        "caller": caller.name(),
        "timeZone": console.ledger.zone_name(),
        "from": from,
        "to": to,
        "days": days,
        "budget": budget,
    }))
    .into_response())
}

async fn list(headers: HeaderMap, State(console): State<Console>) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let page = console.jobs.list(&owner, 100, "").await?;
    let jobs: Vec<serde_json::Value> = page.jobs.iter().map(job_value).collect();
    Ok(axum::Json(json!({ "jobs": jobs })).into_response())
}

async fn job(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    Ok(job_response(&console.jobs.get(&owner, &id).await?))
}

async fn cancel(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    Ok(job_response(&console.jobs.cancel(&owner, &id).await?))
}

async fn resume(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    Ok(job_response(&console.jobs.resume(&owner, &id, None).await?))
}

async fn delete(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    console.jobs.delete(&owner, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The job as it is now, then again whenever it changes, until it ends: `data:` lines of the
/// job's JSON.
async fn events(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = console.owner(&headers)?;
    let updates = console.jobs.watch(&owner, &id).await?;
    let stream = tokio_stream::wrappers::ReceiverStream::new(updates).map(|job| {
        let json = String::from_utf8(job_json(&job)).unwrap_or_default();
        Ok::<_, std::convert::Infallible>(Event::default().data(json))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The page, its script and its style, embedded at build time.
mod assets {
    /// The page (`{{lang}}` and `{{keys}}` filled in per request).
    pub const INDEX: &str = include_str!("assets/index.html");
    /// The script.
    pub const APP_JS: &str = include_str!("assets/app.js");
    /// The style.
    pub const APP_CSS: &str = include_str!("assets/app.css");
}
