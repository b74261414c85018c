//! The web console on `--http-listen`: list cleaning for people who work in a browser. Drop a
//! TXT, CSV or Excel file, check the detected number column and sheet, start a job, watch it
//! move, download the results (CSV or XLSX, every original column kept) and one file per status
//! (a zip), see the history, cancel, resume, delete.
//!
//! - `/` and `/assets/*`: the page, its script and style, embedded in the binary (`assets/`):
//!   server-rendered HTML and a little JavaScript, no framework, nothing from outside.
//! - Everything else the page does, it does through the public JSON API (`/v1/…`,
//!   [`crate::serving::json_api`]) as any client would: uploads and their preview
//!   (`CreateUpload`, `GetUpload`), what a list would bill and starting its job (`CreateJob`
//!   with the upload's id), jobs, their progress, charts, downloads, usage.
//!
//! So the console holds no rule of its own. With API keys, every call needs
//! `Authorization: Bearer KEY` and sees only the jobs and uploads of that key's name; the page
//! holds the key in the tab's memory only. There are no cookies, so a request from another
//! site carries no credentials (nothing to forge).

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the page says of the server it is served by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Console {
    /// Whether calls need an API key: the page asks for one first.
    pub keys_required: bool,
    /// The upstream is the built-in simulator (`--demo`): the page says its answers are
    /// simulated.
    pub demo: bool,
}

/// The console's routes: the page and its assets. Everything the page does goes through the
/// public JSON API (`/v1/…`).
pub(crate) fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(asset))
        .with_state(console)
}

async fn page(headers: HeaderMap, State(console): State<Console>) -> Response {
    let lang = preferred_language(&headers);
    let html = assets::INDEX
        .replace("{{lang}}", lang)
        .replace("{{keys}}", if console.keys_required { "1" } else { "0" })
        .replace("{{statuses}}", status_labels())
        .replace("{{demo}}", if console.demo { "1" } else { "0" });
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
fn preferred_language(headers: &HeaderMap) -> &'static str {
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
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
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
