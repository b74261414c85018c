//! One file per status (`--split DIR` or `--split FILE.zip`): list cleaners hand on the real
//! numbers, drop the empty ones, look again at the silent ones. Each file holds the whole
//! input rows of its status under the input's header, each followed by `mobile`, the number
//! as the service read it (CSV for a text table, XLSX for a workbook), or, with
//! `--split-format txt`, the bare numbers, each once. A zip is packed from
//! the finished files at the end and appears only whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::Workbook;

use super::record::{RowResult, RowStatus, split_header};
use super::write::{BOM, one_line};
use super::xlsx::{SheetStream, new_workbook, sheet_name};

/// What each per-status file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitFormat {
    /// The whole input rows under their header: CSV for a CSV/TSV input, XLSX for a workbook
    /// (numbers only for a text input).
    Rows,
    /// The numbers only, one a line, each once (`real.txt`, …).
    Txt,
}

/// How the rows of a split file are written.
#[derive(Debug, Clone)]
pub enum SplitLayout {
    /// Numbers only.
    Txt,
    /// Whole rows as CSV under `header`.
    Csv {
        /// The input's column names.
        header: Vec<String>,
        /// Start each file with a UTF-8 byte-order mark.
        bom: bool,
    },
    /// Whole rows as one XLSX sheet each, under `header`.
    Xlsx {
        /// The input's column names.
        header: Vec<String>,
    },
}

impl SplitLayout {
    fn extension(&self) -> &'static str {
        match self {
            SplitLayout::Txt => "txt",
            SplitLayout::Csv { .. } => "csv",
            SplitLayout::Xlsx { .. } => "xlsx",
        }
    }

    /// The input's width: the cells of a row, before the `mobile` column.
    fn width(&self) -> usize {
        match self {
            SplitLayout::Txt => 0,
            SplitLayout::Csv { header, .. } | SplitLayout::Xlsx { header } => header.len(),
        }
    }
}

enum SplitFile {
    Txt(BufWriter<File>),
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx(Box<(Workbook, SheetStream, PathBuf)>),
}

/// Writes the per-status files.
pub struct SplitWriter {
    layout: SplitLayout,
    /// Where the files are written: the folder asked for, or a scratch folder for a zip.
    dir: PathBuf,
    /// The zip to pack them into.
    zip: Option<PathBuf>,
    /// Keeps the scratch folder of a zip until the writer is dropped.
    _scratch: Option<tempfile::TempDir>,
    files: HashMap<RowStatus, SplitFile>,
}

impl SplitWriter {
    /// Per-status files in the folder `target`, or in the zip `target` when it ends in `.zip`.
    /// A folder's files of an earlier run are removed first, so runs never mix.
    pub fn create(target: &Path, layout: SplitLayout) -> io::Result<SplitWriter> {
        let is_zip = target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        if is_zip {
            let parent = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            let scratch = tempfile::Builder::new()
                .prefix(".phonecheck-split-")
                .tempdir_in(&parent)?;
            return Ok(SplitWriter {
                layout,
                dir: scratch.path().to_owned(),
                zip: Some(target.to_owned()),
                _scratch: Some(scratch),
                files: HashMap::new(),
            });
        }
        std::fs::create_dir_all(target)?;
        for status in RowStatus::ALL {
            for extension in ["txt", "csv", "xlsx"] {
                let path = target.join(format!("{}.{extension}", status.name()));
                if path.exists() {
                    std::fs::remove_file(path)?;
                }
            }
        }
        Ok(SplitWriter {
            layout,
            dir: target.to_owned(),
            zip: None,
            _scratch: None,
            files: HashMap::new(),
        })
    }

    /// Adds a row to its status's file.
    pub fn write(&mut self, r: &RowResult) -> io::Result<()> {
        if matches!(self.layout, SplitLayout::Txt) && (r.duplicate || r.number().is_empty()) {
            // A numbers-only list holds each number once, and a blank input has none.
            return Ok(());
        }
        let file = match self.files.get_mut(&r.status) {
            Some(file) => file,
            None => {
                let file = self.open(r.status)?;
                self.files.entry(r.status).or_insert(file)
            }
        };
        match file {
            SplitFile::Txt(out) => writeln!(out, "{}", one_line(r.number())),
            SplitFile::Csv(out) => out
                .write_record(r.split_fields(self.layout.width()))
                .map_err(io::Error::from),
            SplitFile::Xlsx(book) => {
                let (book, sheet, _) = &mut **book;
                sheet
                    .write(book, r.split_fields(self.layout.width()))
                    .map_err(io::Error::other)
            }
        }
    }

    fn open(&self, status: RowStatus) -> io::Result<SplitFile> {
        let path = self
            .dir
            .join(format!("{}.{}", status.name(), self.layout.extension()));
        Ok(match &self.layout {
            SplitLayout::Txt => SplitFile::Txt(BufWriter::new(File::create(path)?)),
            SplitLayout::Csv { header, bom } => {
                let mut file = BufWriter::new(File::create(path)?);
                if *bom {
                    file.write_all(BOM)?;
                }
                let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(file);
                csv.write_record(split_header(header))?;
                SplitFile::Csv(Box::new(csv))
            }
            SplitLayout::Xlsx { header } => {
                let mut book = new_workbook();
                let title = sheet_name(&format!("{} {}", status.name(), status.label()));
                let sheet = SheetStream::create(&mut book, &title, split_header(header))
                    .map_err(io::Error::other)?;
                SplitFile::Xlsx(Box::new((book, sheet, path)))
            }
        })
    }

    /// Pushes what is buffered to the files (a workbook is written only by `finish`).
    pub fn flush(&mut self) -> io::Result<()> {
        for file in self.files.values_mut() {
            match file {
                SplitFile::Txt(out) => out.flush()?,
                SplitFile::Csv(out) => out.flush()?,
                SplitFile::Xlsx(_) => {}
            }
        }
        Ok(())
    }

    /// Finishes every file and, for a zip, packs them; returns the files' names.
    pub fn finish(mut self) -> io::Result<Vec<String>> {
        // Every final status has its file, empty or not, as a workbook has its sheet.
        for status in RowStatus::ALL.into_iter().filter(|s| s.always_listed()) {
            if !self.files.contains_key(&status) {
                let file = self.open(status)?;
                self.files.insert(status, file);
            }
        }
        let mut names = Vec::new();
        let mut files: Vec<(RowStatus, SplitFile)> = self.files.drain().collect();
        files.sort_by_key(|(status, _)| status.position());
        for (status, file) in files {
            match file {
                SplitFile::Txt(mut out) => out.flush()?,
                SplitFile::Csv(mut out) => out.flush()?,
                SplitFile::Xlsx(book) => {
                    let (mut book, sheet, path) = *book;
                    sheet.finish(&mut book).map_err(io::Error::other)?;
                    book.save(&path).map_err(io::Error::other)?;
                }
            }
            names.push(format!("{}.{}", status.name(), self.layout.extension()));
        }
        if let Some(zip) = &self.zip {
            pack(zip, &self.dir, &names)?;
        }
        Ok(names)
    }
}

/// Packs `names` from `dir` into the zip `target`, written aside and renamed when whole.
fn pack(target: &Path, dir: &Path, names: &[String]) -> io::Result<()> {
    let partial = dir.join("archive.zip.partial");
    {
        let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(&partial)?));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        for name in names {
            zip.start_file(name.as_str(), options)
                .map_err(io::Error::other)?;
            io::copy(&mut File::open(dir.join(name))?, &mut zip)?;
        }
        zip.finish().map_err(io::Error::other)?.flush()?;
    }
    std::fs::rename(&partial, target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::checked_line::LineStatus;

    fn row(index: u64, status: RowStatus, number: &str, duplicate: bool) -> RowResult {
        RowResult {
            status,
            mobile: number.to_owned(),
            duplicate,
            cells: vec![format!("客户{index}"), number.to_owned()],
            ..RowResult::unchecked(index, index + 2, number.to_owned(), "")
        }
    }

    #[test]
    fn txt_lists_hold_each_number_once_and_replace_an_earlier_run() {
        let dir = tempfile::tempdir().unwrap();
        let split = dir.path().join("lists");
        std::fs::create_dir_all(&split).unwrap();
        std::fs::write(split.join("risk.txt"), "from an earlier run\n").unwrap();
        let mut writer = SplitWriter::create(&split, SplitLayout::Txt).unwrap();
        let invalid = RowResult {
            status: RowStatus::Invalid,
            ..RowResult::unchecked(2, 4, "junk".to_owned(), "expected 11 digits")
        };
        for r in [
            row(
                0,
                RowStatus::Checked(LineStatus::Real),
                "13111111111",
                false,
            ),
            row(1, RowStatus::Checked(LineStatus::Real), "13111111111", true),
            invalid,
        ] {
            writer.write(&r).unwrap();
        }
        writer.finish().unwrap();
        let read = |name: &str| std::fs::read_to_string(split.join(name)).ok();
        assert_eq!(read("real.txt").as_deref(), Some("13111111111\n"));
        assert_eq!(read("invalid.txt").as_deref(), Some("junk\n"));
        assert_eq!(
            read("risk.txt").as_deref(),
            Some(""),
            "an earlier run's list is gone; the status has its empty list"
        );
        assert_eq!(
            read("error.txt"),
            None,
            "error has a list only when a row has it"
        );
    }

    #[test]
    fn a_zip_holds_whole_rows_per_status_under_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("lists.zip");
        let header = vec!["客户".to_owned(), "手机号".to_owned()];
        let mut writer =
            SplitWriter::create(&target, SplitLayout::Csv { header, bom: false }).unwrap();
        writer
            .write(&row(
                0,
                RowStatus::Checked(LineStatus::Real),
                "13111111111",
                false,
            ))
            .unwrap();
        writer
            .write(&row(
                1,
                RowStatus::Checked(LineStatus::Empty),
                "13222222222",
                false,
            ))
            .unwrap();
        writer
            .write(&row(
                2,
                RowStatus::Checked(LineStatus::Real),
                "13111111111",
                true,
            ))
            .unwrap();
        assert!(!target.exists(), "the zip appears only whole");
        let names = writer.finish().unwrap();
        assert_eq!(
            names,
            [
                "real.csv",
                "empty.csv",
                "suspended.csv",
                "silent.csv",
                "risk.csv",
                "not_in_database.csv",
                "invalid.csv"
            ],
            "every final status, empty or not, in the workbook's order"
        );
        let mut zip = zip::ZipArchive::new(File::open(&target).unwrap()).unwrap();
        let mut real = String::new();
        io::Read::read_to_string(&mut zip.by_name("real.csv").unwrap(), &mut real).unwrap();
        assert_eq!(
            real,
            "客户,手机号,mobile\n客户0,13111111111,13111111111\n客户2,13111111111,13111111111\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(
            leftovers.len(),
            1,
            "no scratch folder is left beside the zip"
        );
    }
}
