//! Reading the rows to check: numbers given as arguments, or a file (or stdin) of plain text
//! (one number a line, or several separated by commas), CSV/TSV (one column holds the
//! numbers; a header is detected), or a workbook's sheet. Gzip-compressed files are read as
//! they are, and text in GBK/GB18030 or UTF-16 is decoded (`encoding`).
//!
//! Every row becomes one input of the bulk call and one row of the output, so rows are
//! defined here, on the client: a text line "131…,132…" is two rows; a CSV record or a sheet
//! row is one row whatever its number cell holds (a cell with junk is an invalid row, not a
//! skipped one), and it keeps all its cells so the output can give it back whole.
//!
//! What is not a list is refused before anything is sent, in one line naming the file and
//! the problem: an image or other binary file, a workbook that does not open (corrupt,
//! password-protected), a sheet that does not exist, a record of more than a megabyte, a row
//! with more cells than the header.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::{encoding, workbook};
use crate::checking::number::{is_scientific_notation, normalize_mobile, split_element};

/// One row to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line of the input it comes from (1-based; a sheet's row number; for arguments, the
    /// argument's position).
    pub line: u64,
    /// The number as written in the input.
    pub input: String,
    /// Every cell of a table row, unchanged (empty for text and arguments).
    pub cells: Vec<String>,
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
    /// A workbook when the file is one (XLSX, XLS, ODS); CSV when the file name ends in .csv
    /// or .tsv (optionally .gz) or --column is given; TSV for Excel's UTF-16 "Unicode text";
    /// else plain text.
    Auto,
    /// One number a line, or several separated by commas, semicolons or spaces.
    Text,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A spreadsheet workbook: XLSX, XLS, ODS or XLSB.
    Excel,
}

/// Whether a table input starts with a header record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HeaderMode {
    /// A header when the first record holds no phone number but later ones do.
    Auto,
    /// The first record is a header.
    Yes,
    /// There is no header.
    No,
}

/// Which column holds the numbers.
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

/// Which sheet of a workbook holds the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetSpec {
    /// The sheet with this name.
    Name(String),
    /// The sheet at this position, counting from 1.
    Position(usize),
}

impl std::str::FromStr for SheetSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("a sheet name or a number counting from 1".to_owned());
        }
        match s.trim().parse::<usize>() {
            Ok(0) => Err("sheets count from 1".to_owned()),
            Ok(n) => Ok(SheetSpec::Position(n)),
            Err(_) => Ok(SheetSpec::Name(s.to_owned())),
        }
    }
}

/// How to read the input.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// The layout.
    pub format: InputFormat,
    /// The column holding the numbers; detected when not given.
    pub column: Option<ColumnSpec>,
    /// Whether a table input has a header.
    pub header: HeaderMode,
    /// The sheet of a workbook (default: the first holding numbers).
    pub sheet: Option<SheetSpec>,
    /// The text encoding (default: detected).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How the reader's user names these choices, for the advice in its refusals.
    pub named_by: ChoiceNames,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: InputFormat::Auto,
            column: None,
            header: HeaderMode::Auto,
            sheet: None,
            encoding: None,
            named_by: ChoiceNames::COMMAND_LINE,
        }
    }
}

/// How a reader's user makes the choices a refusal advises: the CLI's flags, or the API's
/// fields. The lists are read the same either way; only the advice is spelled for its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceNames {
    /// How to say a text is a table ("--input-format csv or tsv").
    pub format: &'static str,
    /// How to name the number column ("--column").
    pub column: &'static str,
    /// How to name a workbook's sheet ("--sheet").
    pub sheet: &'static str,
}

impl ChoiceNames {
    /// `phonecheck check` and `phonecheck job create`.
    pub const COMMAND_LINE: ChoiceNames = ChoiceNames {
        format: "--input-format csv or tsv",
        column: "--column",
        sheet: "--sheet",
    };
    /// Uploads and job forms of the API (`ReadOptions`; a text file is a table by its name).
    pub const API: ChoiceNames = ChoiceNames {
        format: "a file name ending .csv or .tsv",
        column: "read_options.column",
        sheet: "read_options.sheet",
    };
}

/// Why the input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
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
    /// The workbook could not be read, or holds no such sheet.
    #[error("{source_name}: {problem}")]
    Workbook {
        /// The input's name.
        source_name: String,
        /// What is wrong, in words a user can act on.
        problem: String,
    },
    /// The file is not a list at all (an image, a program, binary data).
    #[error("{source_name}: this is {what}, not a list of numbers")]
    NotAList {
        /// The input's name.
        source_name: String,
        /// What it looks like.
        what: &'static str,
    },
    /// A record far longer than any list's (read no further than the limit).
    #[error(
        "{source_name}: line {line}: a record longer than {MAX_RECORD_BYTES} bytes (1 MiB, the most a row may hold); is this a list?"
    )]
    TooLong {
        /// The input's name.
        source_name: String,
        /// Where.
        line: u64,
    },
    /// A row with more cells than the header (or than the first rows).
    #[error(
        "{source_name}: line {line} has {cells} cells but the table has {width} columns; fix the row (a cell with an unquoted comma?)"
    )]
    Ragged {
        /// The input's name.
        source_name: String,
        /// Where.
        line: u64,
        /// Its cells (the last non-empty one counted).
        cells: usize,
        /// The table's columns.
        width: usize,
    },
    /// The text encoding named is unknown.
    #[error("{0}")]
    Encoding(String),
    /// None of the first rows holds a phone number: not a list to clean (every row would
    /// come back invalid). Nothing is sent.
    #[error(
        "{source_name}: none of its first {rows} rows holds a phone number ({looked_at}); nothing was sent. Is this the list? {advice}"
    )]
    NoNumbers {
        /// The input's name.
        source_name: String,
        /// Rows looked at.
        rows: usize,
        /// What was looked at: the columns, or the lines.
        looked_at: String,
        /// What to do.
        advice: String,
    },
    /// The number column holds numbers a spreadsheet wrote in scientific notation: their
    /// digits are gone. Nothing is sent.
    #[error(
        "{source_name}: {column} holds numbers a spreadsheet turned into scientific notation (like {example}), which lost their digits; nothing was sent. Format the column as text and export again, or give the workbook itself: its number cells keep every digit"
    )]
    DigitsLost {
        /// The input's name.
        source_name: String,
        /// Which column (or "the text").
        column: String,
        /// One such value.
        example: String,
    },
    /// `--column N` past the table's last column.
    #[error(
        "{source_name}: there is no column {column}; the table has {width} columns ({headers})"
    )]
    ColumnPastTheEnd {
        /// The input's name.
        source_name: String,
        /// The position asked for, from 1.
        column: usize,
        /// The table's columns.
        width: usize,
        /// The columns' names.
        headers: String,
    },
}

/// The longest record (a line of text, a CSV record) accepted: far more than any row of a
/// list, far less than what would strain memory.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

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
    "联系电话",
    "联系方式",
];

/// The most columns a sheet's used range widens a table to: a range stretched by formatting
/// far to the right (a whole row styled) must not give every output row thousands of cells.
const MAX_SHEET_WIDTH: usize = 256;

/// How many records are looked at to find the header and the number column.
const SNIFF_RECORDS: usize = 50;

/// The sheets of the workbook at `path`, in order (none for another kind of file).
pub fn sheet_names(path: &Path) -> Vec<String> {
    workbook::sheet_names(path)
}

/// The `--encoding` flag's value: a known encoding's label.
pub fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding::parse_label(label)
}

/// What was found out about a table input, for writing its rows back whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The column names, one per column: the header's, or `column_1`, `column_2`, … when
    /// the table has none.
    pub columns: Vec<String>,
    /// Whether the input's first record was its header.
    pub has_header: bool,
    /// The column holding the numbers, from 0.
    pub column: usize,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
}

/// The rows of an input, in order.
pub struct RowReader {
    rows: Rows,
    /// What was detected, for a line on stderr ("CSV, column 2 \"phone\", header skipped").
    pub description: String,
    /// For a table (CSV, TSV, a sheet): its columns; `None` for text and arguments.
    pub layout: Option<Layout>,
    /// The text encoding the input was in (UTF-8 for a workbook or arguments): an output for
    /// Excel wants a byte-order mark when a list came as GBK or UTF-16.
    pub encoding: &'static encoding_rs::Encoding,
}

type Records = Box<dyn Iterator<Item = Result<(u64, Vec<String>), ListError>> + Send>;

enum Rows {
    Numbers(std::iter::Zip<std::ops::RangeFrom<u64>, std::vec::IntoIter<String>>),
    Text(TextRows),
    Table(TableRows),
}

/// What the first bytes of a file say it is.
fn magic(head: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"\x7FELF", "a program"),
        (b"MZ", "a Windows program"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
    ];
    KINDS
        .iter()
        .find(|(m, _)| head.starts_with(m))
        .map(|(_, what)| *what)
}

/// ZIP (XLSX, ODS) or OLE compound file (XLS, or an encrypted XLSX).
fn is_workbook(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

impl RowReader {
    /// Opens `source` and, for a table, finds the header and the number column.
    pub fn open(source: &Source, options: &InputOptions) -> Result<RowReader, ListError> {
        let name = source.name();
        let io_error = |error| ListError::Io {
            source_name: name.clone(),
            error,
        };
        let reader: Box<dyn BufRead + Send> = match source {
            Source::Numbers(numbers) => {
                return Ok(RowReader {
                    rows: Rows::Numbers((1..).zip(numbers.clone())),
                    description: match numbers.len() {
                        1 => "1 number from the command line".to_owned(),
                        n => format!("{n} numbers from the command line"),
                    },
                    layout: None,
                    encoding: encoding_rs::UTF_8,
                });
            }
            Source::Stdin => decompressed(Box::new(BufReader::new(io::stdin())), &name)?,
            Source::File(path) => {
                let file = File::open(path).map_err(io_error)?;
                decompressed(Box::new(BufReader::with_capacity(256 * 1024, file)), &name)?
            }
        };
        let mut reader = reader;
        let head = reader.fill_buf().map_err(io_error)?;
        if let Some(what) = magic(head) {
            return Err(ListError::NotAList {
                source_name: name,
                what,
            });
        }
        let workbook = options.format == InputFormat::Excel
            || (options.format == InputFormat::Auto && is_workbook(head));
        if workbook {
            let Source::File(path) = source else {
                return Err(ListError::Workbook {
                    source_name: name,
                    problem: "a workbook cannot be read from stdin; give its file name".to_owned(),
                });
            };
            let (records, sheet, width) = workbook::open(path, options)?;
            let (rows, layout, found) =
                TableRows::open(Box::new(records), options, name, Some(sheet.clone()), width)?;
            return Ok(RowReader {
                rows: Rows::Table(rows),
                description: format!("sheet {sheet:?}, {found}"),
                layout: Some(layout),
                encoding: encoding_rs::UTF_8,
            });
        }
        if options.sheet.is_some() {
            return Err(ListError::Workbook {
                source_name: name,
                problem: format!(
                    "{sheet} picks a workbook's sheet, but this file is text (CSV, TSV or lines); drop {sheet}",
                    sheet = options.named_by.sheet
                ),
            });
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || head.starts_with(b"PK\x03\x04") {
            return Err(ListError::NotAList {
                source_name: name,
                what: "a workbook or archive read as text (drop --input-format)",
            });
        }
        let (reader, encoding) = encoding::decoded(reader, options.encoding).map_err(io_error)?;
        let mut reader = reader;
        let head = reader.fill_buf().map_err(io_error)?;
        if head.contains(&0) {
            return Err(ListError::NotAList {
                source_name: name,
                what: "binary data",
            });
        }
        let spelled = if encoding == encoding_rs::UTF_8 {
            String::new()
        } else {
            format!(" ({})", encoding.name())
        };
        let utf16 = encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE;
        let delimiter = match (options.format, source) {
            (InputFormat::Csv, _) => Some(b','),
            (InputFormat::Tsv, _) => Some(b'\t'),
            (InputFormat::Text | InputFormat::Excel, _) => None,
            (InputFormat::Auto, Source::File(path)) => delimiter_for(path)
                .map(|d| if d == b',' { separator_of(head) } else { d })
                .or(options.column.as_ref().map(|_| b','))
                .or(utf16.then_some(b'\t')),
            (InputFormat::Auto, _) => options.column.as_ref().map(|_| b','),
        };
        match delimiter {
            None => Ok(RowReader {
                rows: Rows::Text({
                    let mut text = TextRows {
                        reader,
                        line: 0,
                        pieces: VecDeque::new(),
                        name,
                        named_by: options.named_by,
                    };
                    text.sniff()?;
                    text
                }),
                description: format!(
                    "plain text{spelled}, one number a line (or several separated by commas)"
                ),
                layout: None,
                encoding,
            }),
            Some(delimiter) => {
                let records = CsvRecords::new(reader, delimiter, name.clone());
                let (rows, layout, found) =
                    TableRows::open(Box::new(records), options, name, None, 0)?;
                let kind = match delimiter {
                    b'\t' => "TSV",
                    b';' => "CSV separated by semicolons",
                    _ => "CSV",
                };
                Ok(RowReader {
                    rows: Rows::Table(rows),
                    description: format!("{kind}{spelled}, {found}"),
                    layout: Some(layout),
                    encoding,
                })
            }
        }
    }

    /// Reads `source` through once, so that what is wrong with it is found before anything
    /// is sent, and counts its rows; `None` for stdin, which can be read only once.
    /// (A sheet has less to find: its rows fit its used range and its cells are short, so
    /// callers that need no count may skip this for a workbook: see [`RowReader::is_sheet`].)
    pub fn count(source: &Source, options: &InputOptions) -> Result<Option<u64>, ListError> {
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

impl RowReader {
    /// Whether the rows come from a workbook's sheet.
    pub fn is_sheet(&self) -> bool {
        self.layout.as_ref().is_some_and(|l| l.sheet.is_some())
    }

    /// Whether the input holds no row at all, as far as it was read ahead at opening: known
    /// before anything is written, even for stdin, which can be read only once.
    pub fn holds_no_rows(&self) -> bool {
        match &self.rows {
            Rows::Numbers(numbers) => numbers.size_hint().1 == Some(0),
            Rows::Text(text) => text.pieces.is_empty(),
            Rows::Table(table) => table.ahead.is_empty(),
        }
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, ListError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Numbers(numbers) => numbers.next().map(|(line, input)| {
                Ok(Row {
                    line,
                    input,
                    cells: Vec::new(),
                })
            }),
            Rows::Text(text) => text.next(),
            Rows::Table(table) => table.next(),
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

/// The separator of a `.csv` file from its first line: a comma, or the semicolon (what Excel and
/// LibreOffice write where the comma is the decimal mark) or tab when the line holds more of
/// them outside quotes.
fn separator_of(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(count) = counts.iter_mut().find(|(c, _)| *c == b) {
            count.1 += 1;
        }
    }
    // The first of the most frequent: a comma on a tie or when there is none.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(c, n)| if n > best.1 { (c, n) } else { best },
        )
        .0
}

/// Unwraps gzip when the data starts with its magic bytes, whatever the file is called.
fn decompressed(
    mut reader: Box<dyn BufRead + Send>,
    name: &str,
) -> Result<Box<dyn BufRead + Send>, ListError> {
    let head = reader.fill_buf().map_err(|error| ListError::Io {
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
    /// Inputs read and not yet handed out, each with its line.
    pieces: VecDeque<(u64, String)>,
    name: String,
    /// How its refusal names the choices.
    named_by: ChoiceNames,
}

impl TextRows {
    /// Reads the next line holding anything into `pieces`; false at the end of the input.
    fn read_line(&mut self) -> Result<bool, ListError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            // One byte past the limit is enough to know a line is too long.
            let read = io::Read::take(&mut self.reader, MAX_RECORD_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|error| ListError::Io {
                    source_name: self.name.clone(),
                    error,
                })?;
            if read == 0 {
                return Ok(false);
            }
            self.line += 1;
            if buf.len() > MAX_RECORD_BYTES {
                return Err(ListError::TooLong {
                    source_name: self.name.clone(),
                    line: self.line,
                });
            }
            // Text is UTF-8 by now (decoded when it was not); a stray byte becomes U+FFFD and
            // such a row reads as invalid.
            let text = String::from_utf8_lossy(&buf);
            if text.trim().is_empty() {
                continue;
            }
            let line = self.line;
            self.pieces.extend(
                split_element(&text)
                    .into_iter()
                    .map(|piece| (line, piece.to_owned())),
            );
            return Ok(true);
        }
    }

    /// Reads the first inputs ahead and refuses a text that holds no phone number in them
    /// (or whose numbers a spreadsheet wrote in scientific notation), before anything is sent.
    fn sniff(&mut self) -> Result<(), ListError> {
        while self.pieces.len() < SNIFF_RECORDS && self.read_line()? {}
        let values: Vec<&str> = self
            .pieces
            .iter()
            .map(|(_, p)| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        match judge_sample(values.iter().copied(), &values) {
            Sample::Fine => Ok(()),
            Sample::NoNumbers => Err(ListError::NoNumbers {
                source_name: self.name.clone(),
                rows: values.len(),
                looked_at: format!("lines 1 to {} as text", self.line),
                advice: format!(
                    "A table? Name its format with {}, and its column with {}.",
                    self.named_by.format, self.named_by.column
                ),
            }),
            Sample::DigitsLost { example, .. } => Err(ListError::DigitsLost {
                source_name: self.name.clone(),
                column: "the text".to_owned(),
                example: example.to_owned(),
            }),
        }
    }

    fn next(&mut self) -> Option<Result<Row, ListError>> {
        while self.pieces.is_empty() {
            match self.read_line() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        let (line, input) = self.pieces.pop_front()?;
        Some(Ok(Row {
            line,
            input,
            cells: Vec::new(),
        }))
    }
}

/// The records of a CSV/TSV input as cells, each with the line it starts on. `csv_core`
/// parses; this loop around it (what `csv::Reader` would do) sees the bytes each record
/// consumed, so a record's line is counted as an editor numbers it, past the blank lines the
/// parser skips and the line breaks inside quoted cells.
struct CsvRecords {
    input: Box<dyn BufRead + Send>,
    parser: csv_core::Reader,
    /// The record's cells, back to back, and where each ends.
    cells: Vec<u8>,
    ends: Vec<usize>,
    /// Line breaks consumed so far.
    newlines: u64,
    /// The input has ended (or failed).
    done: bool,
    name: String,
}

impl CsvRecords {
    fn new(input: Box<dyn BufRead + Send>, delimiter: u8, name: String) -> CsvRecords {
        CsvRecords {
            input,
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            cells: vec![0; 4096],
            ends: vec![0; 64],
            newlines: 0,
            done: false,
            name,
        }
    }

    /// The record just parsed (its first `ends` cells), as text.
    fn record(&self, ends: usize) -> Vec<String> {
        let mut start = 0;
        self.ends[..ends]
            .iter()
            .map(|&end| {
                let cell = String::from_utf8_lossy(&self.cells[start..end]).into_owned();
                start = end;
                cell
            })
            .collect()
    }
}

impl Iterator for CsvRecords {
    type Item = Result<(u64, Vec<String>), ListError>;

    fn next(&mut self) -> Option<Self::Item> {
        use csv_core::ReadRecordResult as Read;
        if self.done {
            return None;
        }
        let (mut cells, mut ends) = (0, 0);
        // The record starts on the line after every line break consumed before its first
        // byte: the rest of the last record's CRLF, and blank lines.
        let mut line = self.newlines + 1;
        let mut leading = true;
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(error) => {
                    self.done = true;
                    return Some(Err(ListError::Csv {
                        source_name: self.name.clone(),
                        line,
                        error: error.into(),
                    }));
                }
            };
            let (read, consumed, wrote, ended) =
                self.parser
                    .read_record(input, &mut self.cells[cells..], &mut self.ends[ends..]);
            let consumed = &input[..consumed];
            if leading {
                let blank = consumed
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                line += newlines_in(&consumed[..blank]);
                leading = blank == consumed.len();
            }
            self.newlines += newlines_in(consumed);
            let consumed = consumed.len();
            self.input.consume(consumed);
            cells += wrote;
            ends += ended;
            match read {
                Read::InputEmpty => {}
                // Read no further than the limit: the rest of such a record is not wanted.
                Read::OutputFull | Read::Record if cells > MAX_RECORD_BYTES => {
                    self.done = true;
                    return Some(Err(ListError::TooLong {
                        source_name: self.name.clone(),
                        line,
                    }));
                }
                Read::OutputFull => {
                    let room = (self.cells.len() * 2).min(MAX_RECORD_BYTES + 1);
                    self.cells.resize(room.max(cells + 1), 0);
                }
                Read::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                // A row of empty cells (`,,`, what a spreadsheet writes for a blank row) is
                // skipped as a blank line is, and as a sheet's blank row is.
                Read::Record if cells == 0 => {
                    ends = 0;
                    line = self.newlines + 1;
                    leading = true;
                }
                Read::Record => return Some(Ok((line, self.record(ends)))),
                Read::End => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// Line breaks (LF, which CRLF holds too) in `bytes`.
fn newlines_in(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// What the first rows read ahead say of an input, before anything is sent.
enum Sample<'a> {
    /// A list to check.
    Fine,
    /// Not one phone number anywhere in them.
    NoNumbers,
    /// Numbers a spreadsheet wrote in scientific notation (`example`), their digits lost:
    /// the only numbers there are (`anywhere`), or most of the number column.
    DigitsLost {
        /// One such value.
        example: &'a str,
        /// Whether they were found with no phone number anywhere (so no column is known).
        anywhere: bool,
    },
}

/// Judges the rows read ahead: `cells` their cells, `column` the number column's non-empty
/// values. No cells at all is fine (the caller says the input holds no rows).
fn judge_sample<'a>(
    cells: impl Iterator<Item = &'a str> + Clone,
    column: &[&'a str],
) -> Sample<'a> {
    if cells.clone().next().is_none() {
        return Sample::Fine;
    }
    if !cells.clone().any(|c| normalize_mobile(c.trim()).is_ok()) {
        return match cells.map(str::trim).find(|c| is_scientific_notation(c)) {
            Some(example) => Sample::DigitsLost {
                example,
                anywhere: true,
            },
            None => Sample::NoNumbers,
        };
    }
    let lost: Vec<&str> = column
        .iter()
        .copied()
        .filter(|v| is_scientific_notation(v))
        .collect();
    match lost.first() {
        Some(&example) if lost.len() * 2 > column.len() => Sample::DigitsLost {
            example,
            anywhere: false,
        },
        _ => Sample::Fine,
    }
}

/// Cells as a message names them: `"客户", "手机号", "备注"`.
fn quoted(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when one of `cells` holds a valid phone number.
pub(super) fn any_number(cells: &[String]) -> bool {
    cells.iter().any(|c| normalize_mobile(c.trim()).is_ok())
}

/// The rows of a table (CSV, TSV, a sheet): one per record, with all its cells.
struct TableRows {
    records: Records,
    /// Records read ahead while sniffing, in order.
    ahead: VecDeque<(u64, Vec<String>)>,
    column: usize,
    width: usize,
    name: String,
    failed: bool,
}

impl TableRows {
    /// Reads the first records to find the header and the number column; returns the rows,
    /// the layout and what was found ("column 2 \"phone\", header skipped").
    fn open(
        mut records: Records,
        options: &InputOptions,
        name: String,
        sheet: Option<String>,
        known_width: usize,
    ) -> Result<(TableRows, Layout, String), ListError> {
        let mut ahead = VecDeque::new();
        while ahead.len() < SNIFF_RECORDS {
            match records.next() {
                None => break,
                Some(record) => ahead.push_back(record?),
            }
        }
        let first: Vec<String> = ahead
            .front()
            .map(|(_, r)| r.iter().map(|c| c.trim().to_owned()).collect())
            .unwrap_or_default();
        let header = match options.header {
            HeaderMode::Yes => true,
            HeaderMode::No => false,
            HeaderMode::Auto => {
                matches!(options.column, Some(ColumnSpec::Name(_)))
                    || (!any_number(&first) && ahead.iter().skip(1).any(|(_, r)| any_number(r)))
            }
        };
        // The columns the table has, for messages: the header's names, else their positions.
        let widest = ahead
            .iter()
            .map(|(_, r)| r.len())
            .max()
            .unwrap_or(0)
            .max(known_width.min(MAX_SHEET_WIDTH));
        let named_columns = || {
            if header {
                quoted(&first)
            } else {
                (1..=widest)
                    .map(|i| format!("column_{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let column = match &options.column {
            Some(ColumnSpec::Position(n)) if *n > widest => {
                return Err(ListError::ColumnPastTheEnd {
                    source_name: name,
                    column: *n,
                    width: widest,
                    headers: named_columns(),
                });
            }
            Some(ColumnSpec::Position(n)) => n - 1,
            Some(ColumnSpec::Name(wanted)) => {
                let found = first
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(wanted.trim()));
                found.ok_or_else(|| ListError::NoSuchColumn {
                    source_name: name.clone(),
                    name: wanted.clone(),
                    headers: quoted(&first),
                })?
            }
            None => {
                let named = header
                    .then(|| {
                        first.iter().position(|h| {
                            let h = h.to_lowercase();
                            NUMBER_HEADERS.contains(&h.as_str())
                        })
                    })
                    .flatten();
                named.unwrap_or_else(|| most_numbers(ahead.iter().skip(usize::from(header))))
            }
        };
        let values: Vec<&str> = ahead
            .iter()
            .skip(usize::from(header))
            .filter_map(|(_, r)| r.get(column))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        let cells = ahead.iter().flat_map(|(_, r)| r.iter().map(String::as_str));
        match judge_sample(cells, &values) {
            Sample::Fine => {}
            // With no number anywhere, the first row is all a reader can name the columns by.
            Sample::NoNumbers => {
                return Err(ListError::NoNumbers {
                    source_name: name,
                    rows: ahead.len(),
                    looked_at: format!("{widest} columns, first row {}", quoted(&first)),
                    advice: format!(
                        "If the numbers are there, name their column with {}.",
                        options.named_by.column
                    ),
                });
            }
            Sample::DigitsLost { example, anywhere } => {
                let column = if anywhere {
                    format!("the table (first row {})", quoted(&first))
                } else {
                    let named = first
                        .get(column)
                        .filter(|_| header)
                        .map_or(String::new(), |h| format!(" {h:?}"));
                    format!("column {}{named}", column + 1)
                };
                return Err(ListError::DigitsLost {
                    source_name: name,
                    column,
                    example: example.to_owned(),
                });
            }
        }
        // A header says how wide the table is; without one, the widest of the first records;
        // a sheet says how wide its used range is (every row fits in it).
        let width = if header {
            first.len()
        } else {
            ahead.iter().map(|(_, r)| filled(r)).max().unwrap_or(0)
        }
        .max(column + 1)
        .max(known_width.min(MAX_SHEET_WIDTH));
        let mut found = format!("column {}", column + 1);
        let columns = if header {
            if let Some(h) = first.get(column) {
                found.push_str(&format!(" {h:?}"));
            }
            found.push_str(", header skipped");
            ahead.pop_front();
            let mut columns = first.clone();
            for i in columns.len()..width {
                columns.push(format!("column_{}", i + 1));
            }
            columns.truncate(width);
            columns
        } else {
            (1..=width).map(|i| format!("column_{i}")).collect()
        };
        let layout = Layout {
            columns,
            has_header: header,
            column,
            sheet,
        };
        let rows = TableRows {
            records,
            ahead,
            column,
            width,
            name,
            failed: false,
        };
        Ok((rows, layout, found))
    }

    fn next(&mut self) -> Option<Result<Row, ListError>> {
        if self.failed {
            return None;
        }
        let (line, mut cells) = match self.ahead.pop_front() {
            Some(next) => next,
            None => match self.records.next()? {
                Ok(next) => next,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            },
        };
        let used = filled(&cells);
        if used > self.width {
            self.failed = true;
            return Some(Err(ListError::Ragged {
                source_name: self.name.clone(),
                line,
                cells: used,
                width: self.width,
            }));
        }
        cells.truncate(self.width);
        // A record too short for the column is a row without a number: answered as invalid.
        let input = cells
            .get(self.column)
            .map(|c| c.trim_start_matches('\u{FEFF}').trim().to_owned())
            .unwrap_or_default();
        Some(Ok(Row { line, input, cells }))
    }
}

/// The cells of a record up to its last non-empty one.
fn filled(cells: &[String]) -> usize {
    cells
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1)
}

/// The column holding the most valid numbers among `records` (the first on a tie, 0 if none).
fn most_numbers<'a>(records: impl Iterator<Item = &'a (u64, Vec<String>)>) -> usize {
    let mut counts: Vec<usize> = Vec::new();
    for (_, record) in records {
        for (i, c) in record.iter().enumerate() {
            if normalize_mobile(c.trim()).is_ok() {
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
        InputOptions::default()
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
    fn a_csv_row_says_the_line_it_starts_on_past_blank_lines_and_line_breaks_in_cells() {
        let csv = "name,phone\r\nA,13111111111\r\n\r\n,\r\nB,13222222222\n\"C\nsecond line\",13333333333\n\"\",\"\"\nD,13444444444";
        let (rows, _) = rows(csv.as_bytes(), "people.csv", auto());
        assert_eq!(
            inputs(&rows),
            [
                (2, "13111111111"),
                (5, "13222222222"),
                (6, "13333333333"),
                (9, "13444444444")
            ]
        );
    }

    #[test]
    fn a_csv_separated_by_semicolons_is_read_as_such() {
        let csv = "\"姓名\";\"手机\";\"备注\"\n\"张三\";13111111111;\"老客户, \"\"VIP\"\"\"\n;;\n\"李四\";\"+86 132-2222-2222\";\n";
        let (rows, description) = rows(csv.as_bytes(), "people.csv", auto());
        assert_eq!(
            inputs(&rows),
            [(2, "13111111111"), (4, "+86 132-2222-2222")],
            "{description}"
        );
        assert_eq!(rows[0].cells, ["张三", "13111111111", "老客户, \"VIP\""]);
        assert!(description.contains("semicolons"), "{description}");
        assert_eq!(separator_of(b"a,b;c\n1;2;3"), b',', "a tie is a comma");
        assert_eq!(
            separator_of(b"\"a;b\",c\n"),
            b',',
            "quoted ones do not count"
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
