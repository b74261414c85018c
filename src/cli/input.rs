//! Reading the rows to check: numbers given as arguments, or a file (or stdin) of plain text
//! (one number a line, or several separated by commas) or CSV/TSV (one column holds the
//! numbers; a header is detected). Gzip-compressed files are read as they are.
//!
//! Every row becomes one input of the bulk call and one row of the output, so rows are
//! defined here, on the client: a text line "131…,132…" is two rows; a CSV record is one row
//! whatever its number cell holds (a cell with junk is an invalid row, not a skipped one).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::checking::number::{normalize_mobile, split_element};

/// One row to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line of the input it comes from (1-based; for arguments, the argument's position).
    pub line: u64,
    /// The number as written in the input.
    pub input: String,
}

/// Where the rows come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Numbers given on the command line.
    Numbers(Vec<String>),
    /// Standard input.
    Stdin,
    /// A file, possibly gzip-compressed.
    File(PathBuf),
}

impl Source {
    /// A short name for messages: the path, "stdin" or "arguments".
    pub fn name(&self) -> String {
        match self {
            Source::Numbers(_) => "arguments".to_owned(),
            Source::Stdin => "stdin".to_owned(),
            Source::File(path) => path.display().to_string(),
        }
    }
}

/// How the input is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// CSV when the file name ends in .csv or .tsv (optionally .gz) or --column is given,
    /// else plain text.
    Auto,
    /// One number a line, or several separated by commas, semicolons or spaces.
    Text,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
}

/// Whether a CSV input starts with a header record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HeaderMode {
    /// A header when the first record holds no phone number but later ones do.
    Auto,
    /// The first record is a header.
    Yes,
    /// There is no header.
    No,
}

/// Which CSV column holds the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSpec {
    /// The column with this header (compared without case and surrounding spaces).
    Name(String),
    /// The column at this position, counting from 1.
    Position(usize),
}

impl std::str::FromStr for ColumnSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("a column name or a number counting from 1".to_owned());
        }
        match s.parse::<usize>() {
            Ok(0) => Err("columns count from 1".to_owned()),
            Ok(n) => Ok(ColumnSpec::Position(n)),
            Err(_) => Ok(ColumnSpec::Name(s.to_owned())),
        }
    }
}

/// How to read the input.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// The layout.
    pub format: InputFormat,
    /// The CSV column holding the numbers; detected when not given.
    pub column: Option<ColumnSpec>,
    /// Whether a CSV input has a header.
    pub header: HeaderMode,
}

/// Why the input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{source_name}: {error}")]
    Io {
        /// The input's name.
        source_name: String,
        /// What went wrong.
        error: io::Error,
    },
    /// A CSV record could not be read.
    #[error("{source_name}: line {line}: {error}")]
    Csv {
        /// The input's name.
        source_name: String,
        /// Where.
        line: u64,
        /// What went wrong.
        error: csv::Error,
    },
    /// `--column NAME` names no column of the header.
    #[error("{source_name}: no column named {name:?}; the header has {headers}")]
    NoSuchColumn {
        /// The input's name.
        source_name: String,
        /// The name asked for.
        name: String,
        /// The header's names.
        headers: String,
    },
}

/// Header names that say "this column holds phone numbers".
const NUMBER_HEADERS: &[&str] = &[
    "mobile",
    "mobiles",
    "phone",
    "phones",
    "phone_number",
    "phonenumber",
    "mobile_number",
    "cellphone",
    "cell",
    "tel",
    "telephone",
    "number",
    "msisdn",
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "电话号码",
    "号码",
];

/// How many records are looked at to find the header and the number column.
const SNIFF_RECORDS: usize = 50;

/// The rows of an input, in order.
pub struct RowReader {
    rows: Rows,
    /// What was detected, for a line on stderr ("CSV, column 2 \"phone\", header skipped").
    pub description: String,
}

enum Rows {
    Numbers(std::iter::Zip<std::ops::RangeFrom<u64>, std::vec::IntoIter<String>>),
    Text(TextRows),
    Csv(CsvRows),
}

impl RowReader {
    /// Opens `source` and, for CSV, finds the header and the number column.
    pub fn open(source: &Source, options: &InputOptions) -> Result<RowReader, InputError> {
        let name = source.name();
        let reader: Box<dyn BufRead + Send> = match source {
            Source::Numbers(numbers) => {
                return Ok(RowReader {
                    rows: Rows::Numbers((1..).zip(numbers.clone())),
                    description: format!("{} numbers from the command line", numbers.len()),
                });
            }
            Source::Stdin => decompressed(Box::new(BufReader::new(io::stdin())), &name)?,
            Source::File(path) => {
                let file = File::open(path).map_err(|error| InputError::Io {
                    source_name: name.clone(),
                    error,
                })?;
                decompressed(Box::new(BufReader::with_capacity(256 * 1024, file)), &name)?
            }
        };
        let delimiter = match (options.format, source) {
            (InputFormat::Csv, _) => Some(b','),
            (InputFormat::Tsv, _) => Some(b'\t'),
            (InputFormat::Text, _) => None,
            (InputFormat::Auto, Source::File(path)) => {
                delimiter_for(path).or(options.column.as_ref().map(|_| b','))
            }
            (InputFormat::Auto, _) => options.column.as_ref().map(|_| b','),
        };
        match delimiter {
            None => Ok(RowReader {
                rows: Rows::Text(TextRows {
                    reader,
                    line: 0,
                    pieces: VecDeque::new(),
                    name,
                }),
                description: "plain text, one number a line (or several separated by commas)"
                    .to_owned(),
            }),
            Some(delimiter) => {
                let (rows, description) = CsvRows::open(reader, delimiter, options, name)?;
                Ok(RowReader {
                    rows: Rows::Csv(rows),
                    description,
                })
            }
        }
    }

    /// Counts the rows of `source` by reading it through once; `None` for stdin, which can be
    /// read only once.
    pub fn count(source: &Source, options: &InputOptions) -> Result<Option<u64>, InputError> {
        if matches!(source, Source::Stdin) {
            return Ok(None);
        }
        let mut n = 0;
        for row in RowReader::open(source, options)? {
            row?;
            n += 1;
        }
        Ok(Some(n))
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Numbers(numbers) => numbers.next().map(|(line, input)| Ok(Row { line, input })),
            Rows::Text(text) => text.next(),
            Rows::Csv(csv) => csv.next(),
        }
    }
}

/// CSV for `.csv`, TSV for `.tsv` (also gzip-compressed), else nothing said.
fn delimiter_for(path: &Path) -> Option<u8> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(b',')
    } else if name.ends_with(".tsv") {
        Some(b'\t')
    } else {
        None
    }
}

/// Unwraps gzip when the data starts with its magic bytes, whatever the file is called.
fn decompressed(
    mut reader: Box<dyn BufRead + Send>,
    name: &str,
) -> Result<Box<dyn BufRead + Send>, InputError> {
    let head = reader.fill_buf().map_err(|error| InputError::Io {
        source_name: name.to_owned(),
        error,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(reader);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, gz)))
    } else {
        Ok(reader)
    }
}

struct TextRows {
    reader: Box<dyn BufRead + Send>,
    line: u64,
    pieces: VecDeque<String>,
    name: String,
}

impl TextRows {
    fn next(&mut self) -> Option<Result<Row, InputError>> {
        let mut buf = Vec::new();
        while self.pieces.is_empty() {
            buf.clear();
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    return Some(Err(InputError::Io {
                        source_name: self.name.clone(),
                        error,
                    }));
                }
            }
            self.line += 1;
            // Files saved by spreadsheet programs in a legacy encoding still have ASCII
            // digits; whatever is not UTF-8 becomes U+FFFD and such a row reads as invalid.
            let text = String::from_utf8_lossy(&buf);
            if text.trim().is_empty() {
                continue;
            }
            self.pieces
                .extend(split_element(&text).into_iter().map(str::to_owned));
        }
        let input = self.pieces.pop_front()?;
        Some(Ok(Row {
            line: self.line,
            input,
        }))
    }
}

struct CsvRows {
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    /// Records read ahead while sniffing, in order.
    ahead: VecDeque<(u64, csv::ByteRecord)>,
    column: usize,
    name: String,
}

impl CsvRows {
    fn open(
        reader: Box<dyn BufRead + Send>,
        delimiter: u8,
        options: &InputOptions,
        name: String,
    ) -> Result<(CsvRows, String), InputError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut ahead = VecDeque::new();
        let mut record = csv::ByteRecord::new();
        while ahead.len() < SNIFF_RECORDS {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => ahead.push_back((line, record.clone())),
                Err(error) => {
                    return Err(InputError::Csv {
                        source_name: name,
                        line,
                        error,
                    });
                }
            }
        }
        let cells = |r: &csv::ByteRecord| -> Vec<String> { r.iter().map(cell).collect() };
        let first = ahead.front().map(|(_, r)| cells(r)).unwrap_or_default();
        let header = match options.header {
            HeaderMode::Yes => true,
            HeaderMode::No => false,
            HeaderMode::Auto => {
                matches!(options.column, Some(ColumnSpec::Name(_)))
                    || (!first.iter().any(|c| normalize_mobile(c).is_ok())
                        && ahead
                            .iter()
                            .skip(1)
                            .any(|(_, r)| r.iter().any(|c| normalize_mobile(&cell(c)).is_ok())))
            }
        };
        let column = match &options.column {
            Some(ColumnSpec::Position(n)) => n - 1,
            Some(ColumnSpec::Name(wanted)) => {
                let found = first
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(wanted.trim()));
                found.ok_or_else(|| InputError::NoSuchColumn {
                    source_name: name.clone(),
                    name: wanted.clone(),
                    headers: first
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })?
            }
            None => {
                let named = header
                    .then(|| {
                        first.iter().position(|h| {
                            let h = h.trim().to_lowercase();
                            NUMBER_HEADERS.contains(&h.as_str())
                        })
                    })
                    .flatten();
                named.unwrap_or_else(|| most_numbers(ahead.iter().skip(usize::from(header))))
            }
        };
        let mut description = format!(
            "{}, column {}",
            if delimiter == b'\t' { "TSV" } else { "CSV" },
            column + 1
        );
        if header {
            if let Some(h) = first.get(column) {
                description.push_str(&format!(" {h:?}"));
            }
            description.push_str(", header skipped");
            ahead.pop_front();
        }
        Ok((
            CsvRows {
                reader,
                ahead,
                column,
                name,
            },
            description,
        ))
    }

    fn next(&mut self) -> Option<Result<Row, InputError>> {
        let (line, record) = match self.ahead.pop_front() {
            Some(next) => next,
            None => {
                let line = self.reader.position().line();
                let mut record = csv::ByteRecord::new();
                match self.reader.read_byte_record(&mut record) {
                    Ok(false) => return None,
                    Ok(true) => (line, record),
                    Err(error) => {
                        return Some(Err(InputError::Csv {
                            source_name: self.name.clone(),
                            line,
                            error,
                        }));
                    }
                }
            }
        };
        // A record too short for the column is a row without a number: answered as invalid.
        let input = record.get(self.column).map(cell).unwrap_or_default();
        Some(Ok(Row { line, input }))
    }
}

/// A cell as text: invalid UTF-8 replaced, a byte-order mark and surrounding spaces removed.
fn cell(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.trim_start_matches('\u{FEFF}').trim().to_owned()
}

/// The column holding the most valid numbers among `records` (the first on a tie, 0 if none).
fn most_numbers<'a>(records: impl Iterator<Item = &'a (u64, csv::ByteRecord)>) -> usize {
    let mut counts: Vec<usize> = Vec::new();
    for (_, record) in records {
        for (i, c) in record.iter().enumerate() {
            if normalize_mobile(&cell(c)).is_ok() {
                if counts.len() <= i {
                    counts.resize(i + 1, 0);
                }
                counts[i] += 1;
            }
        }
    }
    let best = counts.iter().copied().max().unwrap_or(0);
    counts.iter().position(|&c| c == best && c > 0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rows(content: &[u8], file_name: &str, options: InputOptions) -> (Vec<Row>, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file_name);
        std::fs::write(&path, content).unwrap();
        let reader = RowReader::open(&Source::File(path), &options).expect("opens");
        let description = reader.description.clone();
        (reader.map(|r| r.expect("row")).collect(), description)
    }

    fn auto() -> InputOptions {
        InputOptions {
            format: InputFormat::Auto,
            column: None,
            header: HeaderMode::Auto,
        }
    }

    fn inputs(rows: &[Row]) -> Vec<(u64, &str)> {
        rows.iter().map(|r| (r.line, r.input.as_str())).collect()
    }

    #[test]
    fn text_lines_split_into_rows_and_skip_blank_lines() {
        let (rows, _) = rows(
            b"13111111111\n\n13222222222, 13333333333\n+86 131-1111-1111\r\njunk\n",
            "list.txt",
            auto(),
        );
        assert_eq!(
            inputs(&rows),
            [
                (1, "13111111111"),
                (3, "13222222222"),
                (3, "13333333333"),
                (4, "+86 131-1111-1111"),
                (5, "junk")
            ]
        );
    }

    #[test]
    fn a_csv_header_and_the_number_column_are_found() {
        let csv = "name,phone,city\n\u{5f20}\u{4e09},13111111111,Beijing\nBob,,Paris\n\"Li, Si\",+86 132 2222 2222,Xi'an\nshort\n";
        let (rows, description) = rows(csv.as_bytes(), "people.csv", auto());
        assert_eq!(
            inputs(&rows),
            [
                (2, "13111111111"),
                (3, ""),
                (4, "+86 132 2222 2222"),
                (5, "")
            ]
        );
        assert_eq!(description, "CSV, column 2 \"phone\", header skipped");
    }

    #[test]
    fn a_csv_without_header_keeps_its_first_row() {
        let (rows, description) = rows(b"1,13111111111\n2,13222222222\n", "x.csv", auto());
        assert_eq!(inputs(&rows), [(1, "13111111111"), (2, "13222222222")]);
        assert_eq!(description, "CSV, column 2");
    }

    #[test]
    fn column_by_name_or_position_and_a_missing_name_is_named() {
        let csv = b"id,mobile\n1,13111111111\n";
        let by_name = InputOptions {
            column: Some("MOBILE".parse().unwrap()),
            ..auto()
        };
        assert_eq!(inputs(&rows(csv, "a.csv", by_name).0), [(2, "13111111111")]);
        let by_position = InputOptions {
            column: Some("1".parse().unwrap()),
            header: HeaderMode::Yes,
            ..auto()
        };
        assert_eq!(inputs(&rows(csv, "a.csv", by_position).0), [(2, "1")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, csv).unwrap();
        let missing = InputOptions {
            column: Some("phone".parse().unwrap()),
            ..auto()
        };
        let err = RowReader::open(&Source::File(path), &missing)
            .err()
            .expect("no such column");
        assert!(
            err.to_string().contains("no column named \"phone\""),
            "{err}"
        );
        assert!(err.to_string().contains("\"mobile\""), "{err}");
        assert!("0".parse::<ColumnSpec>().is_err());
    }

    #[test]
    fn gzip_input_is_read_whatever_its_name() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"phone\n13111111111\n13222222222\n").unwrap();
        let bytes = gz.finish().unwrap();
        let (csv, _) = rows(&bytes, "list.csv.gz", auto());
        assert_eq!(inputs(&csv), [(2, "13111111111"), (3, "13222222222")]);
        let (text, _) = rows(&bytes, "list.bin", auto());
        assert_eq!(text.len(), 3, "as text, the header is a row like any other");
    }

    #[test]
    fn counting_reads_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.txt");
        std::fs::write(&path, "13111111111,13222222222\n\n13333333333\n").unwrap();
        let n = RowReader::count(&Source::File(path), &auto()).unwrap();
        assert_eq!(n, Some(3));
        assert_eq!(RowReader::count(&Source::Stdin, &auto()).unwrap(), None);
    }
}
