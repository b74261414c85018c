//! Uploads: list files kept on this replica's disk until they become jobs. A person dropping a
//! spreadsheet wants to see how it will be read (the sheet, the number column, the first rows)
//! and what it would bill before anything is stored or paid for; `CreateUpload` keeps the
//! file, `GetUpload` reads it again another way, and `CreateJob` with its id makes the job,
//! every row whole, exactly as `phonecheck check` reads a file.
//!
//! A file is streamed to a scratch file (never held whole in memory, refused past
//! `--max-upload`) and read by [`crate::lists`]. It belongs to the caller's key name, and is
//! forgotten an hour after it arrived or once a job is made of it. Uploads are kept by the
//! replica that took them: behind a load balancer, the calls about one upload must reach the
//! same replica (a form posted to `POST /v1/jobs` needs only one call).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::checking::pipeline::CheckError;
use crate::jobs::{InputRow, JobChunk};
use crate::lists::{InputOptions, ListError, RowReader, Source};

/// How long an upload waits to become a job.
pub const KEPT_FOR: Duration = Duration::from_secs(3600);

/// Rows shown in a preview.
const PREVIEW_ROWS: usize = 10;

/// Rows per chunk handed to a job.
const CHUNK: usize = 5000;

/// Why an upload was refused, or is gone.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// No upload of the caller's has this id here.
    #[error(
        "no upload {0:?} here: an upload is kept an hour by the server that took it, and is gone once a job is made of it; upload the file again"
    )]
    NotFound(String),
    /// The file is longer than `--max-upload`.
    #[error(
        "the file is larger than this server accepts ({}); split it, or ask for a larger --max-upload",
        bytesize::ByteSize::b(*.limit).display().si()
    )]
    TooLarge {
        /// The most bytes an upload may have.
        limit: u64,
    },
    /// The file cannot be read as a list as asked (its words name the file as uploaded).
    #[error("{0}")]
    Unreadable(String),
    /// The file, read as asked, holds no rows at all.
    #[error("{name} holds no numbers: upload a file with phone numbers in it")]
    NoNumbers {
        /// The file's name.
        name: String,
    },
    /// The caller's stream of bytes broke before it ended.
    #[error("the upload broke off: {0}")]
    Broken(String),
    /// The scratch file could not be written (a full disk, typically).
    #[error("the upload could not be stored on the server: {0}")]
    Storage(#[source] std::io::Error),
}

/// An upload as read: what a person checks before starting the job.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadPreview {
    /// The upload's id.
    pub id: String,
    /// The file's name, cleaned.
    pub name: String,
    /// The file's size in bytes.
    pub size_bytes: u64,
    /// How the file was read, for people.
    pub description: String,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
    /// Every sheet of a workbook.
    pub sheets: Vec<String>,
    /// The table's column names; empty for a list of numbers alone.
    pub columns: Vec<String>,
    /// The number column, from 1; `None` for a list of numbers alone.
    pub column: Option<usize>,
    /// Whether the first row was read as a header.
    pub has_header: bool,
    /// The first rows: their line and cells (a list of numbers alone: the line as one cell).
    pub rows: Vec<InputRow>,
    /// When the upload is forgotten.
    pub expires_at: SystemTime,
}

/// The uploads this replica keeps.
#[derive(Debug, Clone)]
pub struct Uploads {
    /// Where the files wait.
    scratch: PathBuf,
    /// The most bytes a file may have (`--max-upload`).
    max_bytes: u64,
    by_id: Arc<Mutex<HashMap<String, Kept>>>,
}

/// One kept file.
#[derive(Debug, Clone)]
struct Kept {
    owner: String,
    name: String,
    /// Removed when the last holder lets go: a job being made keeps reading a file that
    /// expired meanwhile.
    path: Arc<tempfile::TempPath>,
    size_bytes: u64,
    arrived: Instant,
    expires_at: SystemTime,
}

/// An upload being made into a job: its rows, read on a thread of their own, and the file,
/// kept until the reading is over.
pub struct UploadRows {
    /// Chunks of rows, the first carrying the job's fields.
    pub chunks: mpsc::Receiver<Result<JobChunk, CheckError>>,
    _file: Arc<tempfile::TempPath>,
}

impl Uploads {
    /// Uploads written under `scratch`, each at most `max_bytes`.
    pub fn new(scratch: PathBuf, max_bytes: u64) -> Self {
        Uploads {
            scratch,
            max_bytes,
            by_id: Arc::default(),
        }
    }

    /// Keeps the file `name` whose bytes `data` streams, for `owner`, and reads it as it
    /// comes by default. Nothing is kept when the stream breaks, the file is too large, or it
    /// holds no numbers.
    pub async fn create<S>(
        &self,
        owner: &str,
        name: &str,
        data: S,
    ) -> Result<UploadPreview, UploadError>
    where
        S: Stream<Item = Result<Bytes, UploadError>> + Send,
    {
        let name = clean_name(name);
        let scratch = scratch_file(&self.scratch, &name).map_err(UploadError::Storage)?;
        let (file, path) = scratch.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut size_bytes = 0_u64;
        let mut data = std::pin::pin!(data);
        while let Some(piece) = data.next().await {
            let piece = piece?;
            size_bytes += piece.len() as u64;
            if size_bytes > self.max_bytes {
                return Err(UploadError::TooLarge {
                    limit: self.max_bytes,
                });
            }
            file.write_all(&piece).await.map_err(UploadError::Storage)?;
        }
        file.flush().await.map_err(UploadError::Storage)?;
        drop(file);
        let kept = Kept {
            owner: owner.to_owned(),
            name,
            path: Arc::new(path),
            size_bytes,
            arrived: Instant::now(),
            expires_at: SystemTime::now() + KEPT_FOR,
        };
        let id = format!("u_{}", ulid::Ulid::generate().to_string().to_lowercase());
        // Read as `GetUpload` reads it without options: uploads come through the API.
        let first_look = InputOptions {
            named_by: crate::lists::ChoiceNames::API,
            ..InputOptions::default()
        };
        let preview = read_preview(&kept, id.clone(), &first_look).await?;
        let mut by_id = self.by_id.lock();
        by_id.retain(|_, k| k.arrived.elapsed() < KEPT_FOR);
        by_id.insert(id, kept);
        Ok(preview)
    }

    /// `owner`'s upload `id` read as `reading` says.
    pub async fn preview(
        &self,
        owner: &str,
        id: &str,
        reading: &InputOptions,
    ) -> Result<UploadPreview, UploadError> {
        let kept = self.kept(owner, id)?;
        read_preview(&kept, id.to_owned(), reading).await
    }

    /// The rows of `owner`'s upload `id` read as `reading` says, in job chunks, the first
    /// carrying `first`'s fields (its name, when empty, the file's).
    pub fn rows(
        &self,
        owner: &str,
        id: &str,
        reading: &InputOptions,
        mut first: JobChunk,
    ) -> Result<UploadRows, UploadError> {
        let kept = self.kept(owner, id)?;
        if first.name.is_empty() {
            first.name.clone_from(&kept.name);
        }
        let chunks = read_chunks(
            kept.path.to_path_buf(),
            reading.clone(),
            kept.name.clone(),
            first,
        );
        Ok(UploadRows {
            chunks,
            _file: kept.path,
        })
    }

    /// Forgets `owner`'s upload `id` (its job is made); the file goes once no reader holds it.
    pub fn remove(&self, owner: &str, id: &str) {
        let mut by_id = self.by_id.lock();
        if by_id.get(id).is_some_and(|k| k.owner == owner) {
            by_id.remove(id);
        }
    }

    /// `owner`'s upload `id`, unless it is gone (or someone else's).
    fn kept(&self, owner: &str, id: &str) -> Result<Kept, UploadError> {
        self.by_id
            .lock()
            .get(id)
            .filter(|k| k.owner == owner && k.arrived.elapsed() < KEPT_FOR)
            .cloned()
            .ok_or_else(|| UploadError::NotFound(id.to_owned()))
    }
}

/// Reads the first rows of `kept` as `reading` says, on a blocking thread.
async fn read_preview(
    kept: &Kept,
    id: String,
    reading: &InputOptions,
) -> Result<UploadPreview, UploadError> {
    let path = kept.path.to_path_buf();
    let name = kept.name.clone();
    let options = reading.clone();
    let (size_bytes, expires_at) = (kept.size_bytes, kept.expires_at);
    let read = tokio::task::spawn_blocking(move || {
        let unreadable = |e: ListError| UploadError::Unreadable(named(&e, &path, &name));
        let reader = RowReader::open(&Source::File(path.clone()), &options).map_err(unreadable)?;
        let layout = reader.layout.clone();
        let description = reader.description.clone();
        let mut rows = Vec::new();
        for row in reader.take(PREVIEW_ROWS) {
            let row = row.map_err(unreadable)?;
            rows.push(InputRow {
                line: Some(row.line),
                cells: if row.cells.is_empty() {
                    vec![row.input]
                } else {
                    row.cells
                },
            });
        }
        if rows.is_empty() {
            return Err(UploadError::NoNumbers { name });
        }
        let sheets = match layout.as_ref().and_then(|l| l.sheet.as_ref()) {
            Some(_) => crate::lists::read::sheet_names(&path),
            None => Vec::new(),
        };
        Ok(UploadPreview {
            id,
            name,
            size_bytes,
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
            expires_at,
        })
    });
    read.await
        .map_err(|e| UploadError::Storage(std::io::Error::other(e)))?
}

/// A reader's words about the scratch file at `path`, naming it as its user called it.
fn named(e: &ListError, path: &Path, shown: &str) -> String {
    e.to_string().replace(&path.display().to_string(), shown)
}

/// Reads the rows of the list file at `path` on a thread of their own (file reading blocks),
/// a chunk at a time, each row with its line and cells; `first` carries what only the first
/// chunk says. An error names the file as the user called it (`shown`). How an upload
/// becomes a job, and how a form posted to `POST /v1/jobs` is read.
pub fn read_chunks(
    path: PathBuf,
    options: InputOptions,
    shown: String,
    first: JobChunk,
) -> mpsc::Receiver<Result<JobChunk, CheckError>> {
    let (tx, rx) = mpsc::channel::<Result<JobChunk, CheckError>>(2);
    std::thread::spawn(move || {
        let fail = |e: ListError| CheckError::ListUnreadable(named(&e, &path, &shown));
        let reader = match RowReader::open(&Source::File(path.clone()), &options) {
            Ok(reader) => reader,
            Err(e) => {
                let _ = tx.blocking_send(Err(fail(e)));
                return;
            }
        };
        let header = reader
            .layout
            .as_ref()
            .map(|l| l.columns.clone())
            .unwrap_or_default();
        let mut chunk = JobChunk {
            inputs: Vec::with_capacity(CHUNK),
            header,
            ..first
        };
        for row in reader {
            match row {
                Ok(row) => {
                    chunk.inputs.push(row.input);
                    chunk.rows.push(InputRow {
                        line: Some(row.line),
                        cells: row.cells,
                    });
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(fail(e)));
                    return;
                }
            }
            if chunk.inputs.len() == CHUNK {
                let next = JobChunk {
                    inputs: Vec::with_capacity(CHUNK),
                    ..JobChunk::default()
                };
                if tx
                    .blocking_send(Ok(std::mem::replace(&mut chunk, next)))
                    .is_err()
                {
                    return;
                }
            }
        }
        // A file without rows still says the job's fields, which the job refuses as empty.
        let _ = tx.blocking_send(Ok(chunk));
    });
    rx
}

/// A name safe to show and to reuse: its last path part, printable, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !"<>:\"|?*".contains(*c))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "list".to_owned()
    } else {
        cleaned
    }
}

/// A scratch file in `dir` for the list file `name` (already cleaned), removed when dropped:
/// its ending is the name's, which says how a text file is read.
pub fn scratch_file(dir: &Path, name: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".phonecheck-upload-")
        .suffix(&suffix(name))
        .tempfile_in(dir)
}

/// A scratch file's ending, from the upload's name: its extension says how a text file is
/// read (`.csv`, `.tsv`, else text), also under gzip (`.csv.gz`).
fn suffix(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let (stem, gz) = match lower.strip_suffix(".gz") {
        Some(stem) => (stem, ".gz"),
        None => (lower.as_str(), ""),
    };
    let extension = Path::new(stem)
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .filter(|e| e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "txt".to_owned());
    format!(".{extension}{gz}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_keep_what_says_how_to_read_them() {
        assert_eq!(clean_name("C:\\fakepath\\客户 名单.csv"), "客户 名单.csv");
        assert_eq!(clean_name("a/b/.hidden\"<x>.csv"), "hiddenx.csv");
        assert_eq!(clean_name("///"), "list");
        assert_eq!(suffix("List.CSV.gz"), ".csv.gz");
        assert_eq!(suffix("numbers"), ".txt");
        assert_eq!(suffix("book.xlsx"), ".xlsx");
    }

    fn bytes(parts: &[&str]) -> impl Stream<Item = Result<Bytes, UploadError>> + Send + use<> {
        let parts: Vec<_> = parts
            .iter()
            .map(|p| Ok(Bytes::copy_from_slice(p.as_bytes())))
            .collect();
        futures::stream::iter(parts)
    }

    #[tokio::test]
    async fn an_upload_is_its_owners_read_as_asked_and_forgotten_once_removed() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::new(dir.path().to_owned(), 1 << 20);
        let preview = uploads
            .create(
                "crm",
                "C:\\lists\\客户.csv",
                bytes(&["name,mobile\n张三,1380013", "8000\n李四,13900139000\n"]),
            )
            .await
            .unwrap();
        assert_eq!(preview.name, "客户.csv");
        assert_eq!(preview.columns, ["name", "mobile"]);
        assert_eq!(preview.column, Some(2));
        assert!(preview.has_header);
        assert_eq!(preview.rows[0].cells, ["张三", "13800138000"]);
        assert_eq!(preview.rows[0].line, Some(2));
        assert!(matches!(
            uploads
                .preview("ops", &preview.id, &InputOptions::default())
                .await,
            Err(UploadError::NotFound(_))
        ));
        let as_data = InputOptions {
            header: crate::lists::HeaderMode::No,
            column: Some(crate::lists::ColumnSpec::Position(2)),
            ..InputOptions::default()
        };
        let again = uploads.preview("crm", &preview.id, &as_data).await.unwrap();
        assert!(!again.has_header);
        assert_eq!(again.rows.len(), 3, "the header read as a row");

        let mut rows = uploads
            .rows(
                "crm",
                &preview.id,
                &InputOptions::default(),
                JobChunk::default(),
            )
            .unwrap();
        let first = rows.chunks.recv().await.unwrap().unwrap();
        assert_eq!(first.name, "客户.csv", "the file's name by default");
        assert_eq!(first.inputs, ["13800138000", "13900139000"]);
        uploads.remove("crm", &preview.id);
        assert!(
            uploads
                .rows(
                    "crm",
                    &preview.id,
                    &InputOptions::default(),
                    JobChunk::default()
                )
                .is_err()
        );
        drop(rows);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the file went with the upload"
        );
    }

    #[tokio::test]
    async fn too_large_empty_and_broken_files_are_refused_and_nothing_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::new(dir.path().to_owned(), 10);
        let large = uploads.create("", "a.txt", bytes(&["13800138000\n"])).await;
        assert!(matches!(large, Err(UploadError::TooLarge { limit: 10 })));
        let uploads = Uploads::new(dir.path().to_owned(), 1 << 20);
        let empty = uploads.create("", "empty.csv", bytes(&["\n\n"])).await;
        assert_eq!(
            empty.unwrap_err().to_string(),
            "empty.csv holds no numbers: upload a file with phone numbers in it"
        );
        let broken = futures::stream::iter([
            Ok(Bytes::from_static(b"13800138000\n")),
            Err(UploadError::Broken("reset".into())),
        ]);
        assert!(matches!(
            uploads.create("", "a.txt", broken).await,
            Err(UploadError::Broken(_))
        ));
        let program = uploads
            .create(
                "",
                "ls",
                futures::stream::iter([Ok(Bytes::from_static(b"\x7fELF\x02\x01\x01\0\0\0"))]),
            )
            .await
            .unwrap_err();
        assert!(matches!(program, UploadError::Unreadable(_)), "{program}");
        assert!(program.to_string().starts_with("ls"), "{program}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
