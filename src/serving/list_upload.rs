//! A list file (TXT, CSV, TSV, a workbook) read into job chunks on a thread of its own, each
//! row whole with its line and cells: how the console's uploads and the JSON API's multipart
//! `POST /v1/jobs` make a job of a file, through [`crate::lists`] as the CLI reads one.

use std::path::Path;

use serde::Deserialize;

use crate::checking::pipeline::CheckError;
use crate::jobs::{InputRow, JobChunk};
use crate::lists::{ColumnSpec, HeaderMode, InputOptions, RowReader, SheetSpec, Source};

/// Rows per chunk handed on.
const CHUNK: usize = 5000;

/// How to read a list file: the sheet, the number column and whether the first row is a
/// header, as the console's page and a multipart upload's fields say.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReadChoice {
    /// The sheet of a workbook, by name.
    pub sheet: Option<String>,
    /// The number column, counting from 1.
    pub column: Option<usize>,
    /// "yes", "no" or "auto".
    pub header: Option<String>,
}

impl ReadChoice {
    /// The reader's options for this choice.
    pub(crate) fn options(&self) -> InputOptions {
        InputOptions {
            sheet: self
                .sheet
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| SheetSpec::Name(s.to_owned())),
            column: self.column.filter(|&c| c > 0).map(ColumnSpec::Position),
            header: match self.header.as_deref() {
                Some("yes") => HeaderMode::Yes,
                Some("no") => HeaderMode::No,
                _ => HeaderMode::Auto,
            },
            ..InputOptions::default()
        }
    }
}

/// Reads the rows of the upload at `path` on a thread of their own (file reading blocks), a
/// chunk at a time, each row with its line and cells; `first` carries what only the first
/// chunk says. An error names the file as the user called it (`shown`).
pub(crate) fn read_chunks(
    path: std::path::PathBuf,
    options: crate::lists::InputOptions,
    shown: String,
    first: JobChunk,
) -> tokio::sync::mpsc::Receiver<Result<JobChunk, CheckError>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<JobChunk, CheckError>>(2);
    std::thread::spawn(move || {
        let fail = |e: crate::lists::ListError| {
            CheckError::InputBroken(e.to_string().replace(&path.display().to_string(), &shown))
        };
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
        if !chunk.inputs.is_empty() {
            let _ = tx.blocking_send(Ok(chunk));
        }
    });
    rx
}

/// A name safe to show and to reuse: its last path part, printable, at most 100 characters.
pub(crate) fn clean_name(name: &str) -> String {
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

/// The scratch file's ending, from the upload's name: its extension says how a text file is
/// read (`.csv`, `.tsv`, else text), also under gzip (`.csv.gz`).
pub(crate) fn suffix(name: &str) -> String {
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
}
