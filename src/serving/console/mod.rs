//! The web console on `--http-listen`: list cleaning for people who work in a browser. Drop a
//! TXT, CSV or Excel file, check the detected number column and sheet, start a job, watch it
//! move, download the results (CSV or XLSX, every original column kept) and one file per status
//! (a zip), see the history, cancel, resume, delete.
//!
//! - `/` and `/assets/*`: the page, its script and style, embedded in the binary (`assets/`):
//!   server-rendered HTML and a little JavaScript, no framework, nothing from outside.
//! - The page lists, watches, cancels, resumes and deletes jobs and reads usage through the
//!   public JSON API (`/v1/…`, [`crate::serving::json_api`]), as any client would.
//! - `/console/api/*`: what that API does not serve yet: uploads and their preview
//!   ([`uploads`]), and how far a download being built has got ([`crate::serving::builds`]).
//!
//! It only translates, like the gRPC service: a job is made through [`Jobs::create`] exactly as
//! `CreateJob` makes one, the files are read and written by [`crate::lists`]. With API keys,
//! every API route needs `Authorization: Bearer KEY` and sees only the jobs of that key's
//! name; the page holds the key in the tab's memory only. There are no cookies, so a request
//! from another site carries no credentials (nothing to forge).

mod uploads;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parking_lot::Mutex;
use serde_json::json;

use crate::jobs::{JobError, JobRecord, Jobs};
use crate::serving::auth::ApiKeys;
use crate::serving::builds::Builds;
use crate::serving::json_api::job_json;

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
    keys: Option<Arc<ApiKeys>>,
    settings: Arc<Settings>,
    uploads: Arc<Mutex<HashMap<String, uploads::Upload>>>,
    /// Workbooks and zips being built for a download, for the page to show how far.
    builds: Builds,
}

impl Console {
    /// The console of `jobs`, with the server's API keys when it has some, reading the
    /// progress of the downloads the JSON API builds (`builds`).
    pub(crate) fn new(
        jobs: Arc<Jobs>,
        builds: Builds,
        keys: Option<Arc<ApiKeys>>,
        settings: Settings,
    ) -> Self {
        Console {
            jobs,
            keys,
            settings: Arc::new(settings),
            uploads: Arc::default(),
            builds,
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

/// The console's routes: the page, and what the public JSON API (`/v1/…`, which the page
/// uses for everything else) does not serve: uploads with their preview, and how far a
/// download being built has got.
pub(crate) fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(asset))
        .route(
            "/console/api/uploads",
            post(uploads::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/api/uploads/{id}/preview", get(uploads::preview))
        .route("/console/api/uploads/{id}/job", post(uploads::start))
        .route("/console/api/uploads/{id}/cost", get(uploads::cost))
        .route("/console/api/builds/{token}", get(build))
        .with_state(console)
}

/// `GET /console/api/builds/{token}`: how far a workbook or zip being built (by
/// `GET /v1/jobs/{id}/results`, named by its `Phonecheck-Build` header) has got,
/// `{"rows", "total", "done"}`.
async fn build(
    headers: HeaderMap,
    State(console): State<Console>,
    Path(token): Path<String>,
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
/// a JSON list of `[key in a job's by_status, English, Chinese]` in the order lists show them,
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
                let key = status_count_field(field)?;
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

/// The field of a job's `by_status` that counts `field` (`not_in_database`), checked against
/// the API's descriptors: the key the page reads a job's JSON by.
fn status_count_field(field: &str) -> Option<String> {
    let counts = crate::pb::descriptor_pool()?.get_message_by_name("phonecheck.v1.StatusCounts")?;
    Some(counts.get_field_by_name(field)?.name().to_owned())
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

/// The page, its script and its style, embedded at build time.
mod assets {
    /// The page (`{{lang}}` and `{{keys}}` filled in per request).
    pub const INDEX: &str = include_str!("assets/index.html");
    /// The script.
    pub const APP_JS: &str = include_str!("assets/app.js");
    /// The style.
    pub const APP_CSS: &str = include_str!("assets/app.css");
}
