//! Writing results, one record per input row in input order: as CSV (each table row whole,
//! followed by the result columns, or `--results-only`), JSON lines, plain text or an XLSX
//! workbook (`xlsx`). The per-status files are [`super::split`]'s.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::record::{RESULTS_ONLY_COLUMNS, RowResult, whole_row_header};
use super::xlsx::XlsxResults;

/// The layout of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// CSV with a header: each table row whole followed by the result columns (or, for text
    /// input and with --results-only, where the row was and its result).
    Csv,
    /// One JSON object per line, every field (a table row's cells as `cells`).
    Jsonl,
    /// `NUMBER<TAB>STATUS` per line (the input as given when it is not a valid number).
    Txt,
    /// An XLSX workbook: the results sheet, one sheet per status and a summary.
    Xlsx,
}

impl OutputFormat {
    /// The format a file name implies (`.jsonl`/`.json`, `.txt`, `.xlsx`), else CSV.
    pub fn for_path(path: &Path) -> OutputFormat {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".jsonl") || name.ends_with(".json") || name.ends_with(".ndjson") {
            OutputFormat::Jsonl
        } else if name.ends_with(".txt") {
            OutputFormat::Txt
        } else if name.ends_with(".xlsx") {
            OutputFormat::Xlsx
        } else {
            OutputFormat::Csv
        }
    }
}

/// How rows are written.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The input table's column names: each row is written whole, then its result columns.
    /// `None` writes the results-only layout.
    pub columns: Option<Vec<String>>,
    /// Start a CSV with a UTF-8 byte-order mark, so Excel shows Chinese text.
    pub bom: bool,
    /// The name of a workbook's results sheet (the input sheet's name, say).
    pub sheet: Option<String>,
}

/// The UTF-8 byte-order mark Excel looks for.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes records in the chosen format.
pub struct ResultWriter {
    inner: Inner,
}

enum Inner {
    Csv {
        out: Box<csv::Writer<Box<dyn Write + Send>>>,
        width: Option<usize>,
    },
    Jsonl(Box<dyn Write + Send>),
    Txt(Box<dyn Write + Send>),
    Xlsx(Box<XlsxResults>),
}

impl ResultWriter {
    /// A writer of `format` records into `out` (not XLSX: see [`ResultWriter::xlsx`]).
    pub fn new(
        mut out: Box<dyn Write + Send>,
        format: OutputFormat,
        options: &WriteOptions,
    ) -> io::Result<ResultWriter> {
        let inner = match format {
            OutputFormat::Csv => {
                if options.bom {
                    out.write_all(BOM)?;
                }
                let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(out);
                match &options.columns {
                    Some(columns) => csv.write_record(whole_row_header(columns))?,
                    None => csv.write_record(RESULTS_ONLY_COLUMNS)?,
                }
                Inner::Csv {
                    out: Box::new(csv),
                    width: options.columns.as_ref().map(Vec::len),
                }
            }
            OutputFormat::Jsonl => Inner::Jsonl(out),
            OutputFormat::Txt => Inner::Txt(out),
            OutputFormat::Xlsx => {
                return Err(io::Error::other(
                    "an XLSX workbook cannot be streamed; write it to a file (--out NAME.xlsx)",
                ));
            }
        };
        Ok(ResultWriter { inner })
    }

    /// A writer of an XLSX workbook saved at `path` by [`ResultWriter::finish`].
    pub fn xlsx(path: PathBuf, options: &WriteOptions) -> io::Result<ResultWriter> {
        let results = XlsxResults::create(path, options).map_err(io::Error::other)?;
        Ok(ResultWriter {
            inner: Inner::Xlsx(Box::new(results)),
        })
    }

    /// Writes one record.
    pub fn write(&mut self, r: &RowResult) -> io::Result<()> {
        match &mut self.inner {
            Inner::Csv {
                out,
                width: Some(width),
            } => out.write_record(r.whole_fields(*width))?,
            Inner::Csv { out, width: None } => {
                out.write_record(r.results_only_fields().iter().map(|f| f.as_ref()))?
            }
            Inner::Jsonl(out) => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")?;
            }
            Inner::Txt(out) => writeln!(out, "{}\t{}", one_line(r.number()), r.status.name())?,
            Inner::Xlsx(book) => book.write(r).map_err(io::Error::other)?,
        }
        Ok(())
    }

    /// Pushes what is buffered to the file, so that what is written so far is whole records
    /// (a workbook is written only by [`ResultWriter::finish`]).
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Csv { out, .. } => out.flush(),
            Inner::Jsonl(out) | Inner::Txt(out) => out.flush(),
            Inner::Xlsx(_) => Ok(()),
        }
    }

    /// Writes everything out: flushes a stream, saves a workbook.
    pub fn finish(self) -> io::Result<()> {
        match self.inner {
            Inner::Csv { mut out, .. } => out.flush(),
            Inner::Jsonl(mut out) | Inner::Txt(mut out) => out.flush(),
            Inner::Xlsx(book) => book.save().map_err(io::Error::other),
        }
    }
}

/// Tabs and line breaks would break a TXT record; they become spaces.
pub(super) fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::checked_line::LineStatus;
    use crate::lists::previous::PreviousOutput;
    use crate::lists::record::RowStatus;
    use std::fs::File;

    fn sample(index: u64, status: RowStatus) -> RowResult {
        RowResult {
            mobile: "13111111111".to_owned(),
            status,
            status_name: "实号".to_owned(),
            area: "山西-临汾".to_owned(),
            province: "山西".to_owned(),
            city: "临汾".to_owned(),
            carrier: "中国联通".to_owned(),
            checked_at: "2026-11-29T10:00:00Z".to_owned(),
            note: "a, \"quoted\"\nnote".to_owned(),
            ..RowResult::unchecked(index, index + 2, "+86 131-1111-1111".to_owned(), "")
        }
    }

    #[test]
    fn every_format_reads_back_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        for format in [OutputFormat::Csv, OutputFormat::Jsonl, OutputFormat::Txt] {
            let path = dir.path().join(format!("out-{format:?}"));
            let file: Box<dyn Write + Send> = Box::new(File::create(&path).unwrap());
            let mut writer = ResultWriter::new(file, format, &WriteOptions::default()).unwrap();
            let rows = [
                sample(0, RowStatus::Checked(LineStatus::Real)),
                sample(1, RowStatus::Error),
            ];
            for r in &rows {
                writer.write(r).unwrap();
            }
            writer.finish().unwrap();
            let back: Vec<RowResult> = PreviousOutput::open(&path, format, None).unwrap().collect();
            assert_eq!(back.len(), 2, "{format:?}");
            assert_eq!(back[0].status, RowStatus::Checked(LineStatus::Real));
            assert_eq!(back[1].status, RowStatus::Error);
            if format == OutputFormat::Txt {
                assert_eq!(back[0].mobile, "13111111111");
            } else {
                assert_eq!(back[..], rows[..], "{format:?}");
            }
        }
    }

    #[test]
    fn whole_rows_keep_every_cell_in_place_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("whole.csv");
        let options = WriteOptions {
            columns: Some(vec!["客户".into(), "手机号".into(), "note".into()]),
            bom: true,
            sheet: None,
        };
        let mut writer = ResultWriter::new(
            Box::new(File::create(&path).unwrap()),
            OutputFormat::Csv,
            &options,
        )
        .unwrap();
        let mut full = sample(0, RowStatus::Checked(LineStatus::Real));
        full.input = "131 1111 1111".into();
        full.cells = vec![
            "张三, \"老\"\n客户".into(),
            "131 1111 1111".into(),
            "vip".into(),
        ];
        let mut short = sample(1, RowStatus::Checked(LineStatus::Empty));
        short.input = "13222222222".into();
        short.mobile = "13222222222".into();
        short.cells = vec!["李四".into(), "13222222222".into()];
        writer.write(&full).unwrap();
        writer.write(&short).unwrap();
        writer.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut csv = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(&header[..5], ["客户", "手机号", "note", "mobile", "status"]);
        assert_eq!(header[13], "note_result");
        let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        // The number as the service read it sits beside the cell as the user wrote it.
        assert_eq!(
            &records[0].iter().collect::<Vec<_>>()[..5],
            [
                "张三, \"老\"\n客户",
                "131 1111 1111",
                "vip",
                "13111111111",
                "real"
            ]
        );
        assert_eq!(
            &records[1].iter().collect::<Vec<_>>()[..5],
            ["李四", "13222222222", "", "13222222222", "empty"]
        );
        let back: Vec<RowResult> = PreviousOutput::open(&path, OutputFormat::Csv, Some((1, 3)))
            .unwrap()
            .collect();
        assert_eq!(back.len(), 2);
        assert_eq!(
            (back[0].input.as_str(), back[0].status),
            ("131 1111 1111", RowStatus::Checked(LineStatus::Real))
        );
        assert_eq!(
            back[0].mobile, "13111111111",
            "a checked number is normalized back"
        );
        assert_eq!(back[1].status, RowStatus::Checked(LineStatus::Empty));
    }

    #[test]
    fn a_record_cut_by_a_crash_ends_the_previous_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let whole =
            serde_json::to_string(&sample(0, RowStatus::Checked(LineStatus::Real))).unwrap();
        std::fs::write(&path, format!("{whole}\n{}", &whole[..whole.len() / 2])).unwrap();
        let back: Vec<RowResult> = PreviousOutput::open(&path, OutputFormat::Jsonl, None)
            .unwrap()
            .collect();
        assert_eq!(back.len(), 1);
    }
}
