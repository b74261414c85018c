//! Writing results, one record per input row in input order, as CSV, JSON lines or plain
//! text, and optionally one plain list per status (`--split DIR`: `real.txt`, `empty.txt`, …)
//! as list cleaners expect. Reading a previous output back, for `--resume`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The layout of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// CSV with a header: one record per row, every field.
    Csv,
    /// One JSON object per line, every field.
    Jsonl,
    /// `NUMBER<TAB>STATUS` per line (the input as given when it is not a valid number).
    Txt,
}

impl OutputFormat {
    /// The format a file name implies (`.jsonl`/`.json`, `.txt`), else CSV.
    pub fn for_path(path: &Path) -> OutputFormat {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".jsonl") || name.ends_with(".json") || name.ends_with(".ndjson") {
            OutputFormat::Jsonl
        } else if name.ends_with(".txt") {
            OutputFormat::Txt
        } else {
            OutputFormat::Csv
        }
    }
}

/// What became of a row: a line status, invalid, or not (yet) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// 实号.
    Real,
    /// 空号.
    Empty,
    /// 停机.
    Suspended,
    /// 沉默号.
    Silent,
    /// 风险.
    Risk,
    /// 库无.
    NotInDatabase,
    /// Not a valid mobile number; never sent.
    Invalid,
    /// The check failed (see the note); `--resume` checks it again.
    Error,
    /// The run stopped before the row was checked; `--resume` checks it.
    Unchecked,
}

impl RowStatus {
    /// Every status, in the order the summary lists them.
    pub const ALL: [RowStatus; 9] = [
        RowStatus::Real,
        RowStatus::Empty,
        RowStatus::Suspended,
        RowStatus::Silent,
        RowStatus::Risk,
        RowStatus::NotInDatabase,
        RowStatus::Invalid,
        RowStatus::Error,
        RowStatus::Unchecked,
    ];

    /// The name used in every output format and as the `--split` file name.
    pub fn name(self) -> &'static str {
        match self {
            RowStatus::Real => "real",
            RowStatus::Empty => "empty",
            RowStatus::Suspended => "suspended",
            RowStatus::Silent => "silent",
            RowStatus::Risk => "risk",
            RowStatus::NotInDatabase => "not_in_database",
            RowStatus::Invalid => "invalid",
            RowStatus::Error => "error",
            RowStatus::Unchecked => "unchecked",
        }
    }

    fn from_name(name: &str) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// True when the row has its final answer and `--resume` keeps it.
    pub fn is_final(self) -> bool {
        !matches!(self, RowStatus::Error | RowStatus::Unchecked)
    }
}

/// One output record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// Position of the row in the input, from 0.
    pub index: u64,
    /// Line of the input the row comes from, from 1.
    pub line: u64,
    /// The number as written in the input.
    pub input: String,
    /// The normalized 11-digit number; empty when the input is not a valid number.
    pub mobile: String,
    /// What became of the row.
    pub status: RowStatus,
    /// The upstream's label, e.g. 实号.
    pub status_name: String,
    /// Where the number is registered, e.g. 山西-临汾.
    pub area: String,
    /// The province part of `area`.
    pub province: String,
    /// The city part of `area`.
    pub city: String,
    /// The carrier, e.g. 中国联通.
    pub carrier: String,
    /// When the upstream checked it (RFC 3339), empty when not checked.
    pub checked_at: String,
    /// True when an earlier row held the same number (answered from that row's check).
    pub duplicate: bool,
    /// True when the server answered from its cache (nothing billed; see `checked_at`).
    #[serde(default)]
    pub from_cache: bool,
    /// Why the row is invalid, or why its check failed.
    pub note: String,
}

impl RowResult {
    /// A record for a row that was not checked, saying why.
    pub fn unchecked(index: u64, line: u64, input: String, why: &str) -> RowResult {
        RowResult {
            index,
            line,
            input,
            mobile: String::new(),
            status: RowStatus::Unchecked,
            status_name: String::new(),
            area: String::new(),
            province: String::new(),
            city: String::new(),
            carrier: String::new(),
            checked_at: String::new(),
            duplicate: false,
            from_cache: false,
            note: why.to_owned(),
        }
    }

    /// The text of a `--split` list line and of a TXT record's first field.
    fn number(&self) -> &str {
        if self.mobile.is_empty() {
            &self.input
        } else {
            &self.mobile
        }
    }
}

/// Writes records in the chosen format, and the `--split` lists.
pub struct ResultWriter {
    format: OutputFormat,
    csv: Option<csv::Writer<Box<dyn Write + Send>>>,
    plain: Option<Box<dyn Write + Send>>,
    split: Option<SplitLists>,
}

impl ResultWriter {
    /// A writer of `format` records into `out`, and of `--split` lists into `split_dir`.
    pub fn new(
        out: Box<dyn Write + Send>,
        format: OutputFormat,
        split_dir: Option<&Path>,
    ) -> io::Result<ResultWriter> {
        let split = split_dir.map(SplitLists::create).transpose()?;
        let (csv, plain) = match format {
            OutputFormat::Csv => (Some(csv::Writer::from_writer(out)), None),
            OutputFormat::Jsonl | OutputFormat::Txt => (None, Some(out)),
        };
        Ok(ResultWriter {
            format,
            csv,
            plain,
            split,
        })
    }

    /// Writes one record.
    pub fn write(&mut self, r: &RowResult) -> io::Result<()> {
        match (&mut self.csv, &mut self.plain) {
            (Some(csv), _) => csv.serialize(r).map_err(io::Error::other)?,
            (None, Some(out)) if self.format == OutputFormat::Jsonl => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")?;
            }
            (None, Some(out)) => writeln!(out, "{}\t{}", one_line(r.number()), r.status.name())?,
            (None, None) => {}
        }
        if let Some(split) = &mut self.split {
            split.write(r)?;
        }
        Ok(())
    }

    /// Pushes what is buffered to the files, so that what is written so far is whole records.
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(csv) = &mut self.csv {
            csv.flush()?;
        }
        if let Some(out) = &mut self.plain {
            out.flush()?;
        }
        if let Some(split) = &mut self.split {
            split.flush()?;
        }
        Ok(())
    }
}

/// Tabs and line breaks would break a TXT record; they become spaces.
fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

/// One file per status under a directory, each number once: a row repeating an earlier
/// row's number is not listed again, nor is a blank input.
struct SplitLists {
    dir: PathBuf,
    files: HashMap<RowStatus, BufWriter<File>>,
}

impl SplitLists {
    fn create(dir: &Path) -> io::Result<SplitLists> {
        std::fs::create_dir_all(dir)?;
        // Lists of an earlier run would mix with this one's: every list is written afresh.
        for status in RowStatus::ALL {
            let path = dir.join(format!("{}.txt", status.name()));
            if path.exists() {
                std::fs::remove_file(path)?;
            }
        }
        Ok(SplitLists {
            dir: dir.to_owned(),
            files: HashMap::new(),
        })
    }

    fn write(&mut self, r: &RowResult) -> io::Result<()> {
        // A blank input has nothing to list.
        if r.duplicate || r.number().is_empty() {
            return Ok(());
        }
        let file = match self.files.get_mut(&r.status) {
            Some(file) => file,
            None => {
                let path = self.dir.join(format!("{}.txt", r.status.name()));
                let file = BufWriter::new(File::create(path)?);
                self.files.entry(r.status).or_insert(file)
            }
        };
        writeln!(file, "{}", one_line(r.number()))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.files.values_mut().try_for_each(|f| f.flush())
    }
}

/// The records of an earlier output, in order, for `--resume`. Reading stops at the first
/// record that does not parse: a run killed mid-write leaves at most one such, at the end.
pub struct PreviousOutput {
    records: Box<dyn Iterator<Item = RowResult> + Send>,
}

impl PreviousOutput {
    /// Opens an earlier output of `format` at `path`.
    pub fn open(path: &Path, format: OutputFormat) -> io::Result<PreviousOutput> {
        let file = BufReader::new(File::open(path)?);
        let records: Box<dyn Iterator<Item = RowResult> + Send> = match format {
            OutputFormat::Csv => Box::new(
                csv::Reader::from_reader(file)
                    .into_deserialize::<RowResult>()
                    .map_while(Result::ok),
            ),
            OutputFormat::Jsonl => Box::new(
                file.lines()
                    .map_while(Result::ok)
                    .map_while(|line| serde_json::from_str::<RowResult>(&line).ok()),
            ),
            OutputFormat::Txt => Box::new(file.lines().map_while(Result::ok).map_while(|line| {
                let (number, status) = line.rsplit_once('\t')?;
                let status = RowStatus::from_name(status)?;
                let checked = !matches!(status, RowStatus::Invalid) && status.is_final();
                Some(RowResult {
                    mobile: if checked {
                        number.to_owned()
                    } else {
                        String::new()
                    },
                    status,
                    ..RowResult::unchecked(0, 0, number.to_owned(), "")
                })
            })),
        };
        Ok(PreviousOutput { records })
    }
}

impl Iterator for PreviousOutput {
    type Item = RowResult;
    fn next(&mut self) -> Option<RowResult> {
        self.records.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let mut writer = ResultWriter::new(file, format, None).unwrap();
            let rows = [sample(0, RowStatus::Real), sample(1, RowStatus::Error)];
            for r in &rows {
                writer.write(r).unwrap();
            }
            writer.flush().unwrap();
            drop(writer);
            let back: Vec<RowResult> = PreviousOutput::open(&path, format).unwrap().collect();
            assert_eq!(back.len(), 2, "{format:?}");
            assert_eq!(back[0].status, RowStatus::Real);
            assert_eq!(back[1].status, RowStatus::Error);
            if format == OutputFormat::Txt {
                assert_eq!(back[0].mobile, "13111111111");
            } else {
                assert_eq!(back[..], rows[..], "{format:?}");
            }
        }
    }

    #[test]
    fn a_record_cut_by_a_crash_ends_the_previous_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let whole = serde_json::to_string(&sample(0, RowStatus::Real)).unwrap();
        std::fs::write(&path, format!("{whole}\n{}", &whole[..whole.len() / 2])).unwrap();
        let back: Vec<RowResult> = PreviousOutput::open(&path, OutputFormat::Jsonl)
            .unwrap()
            .collect();
        assert_eq!(back.len(), 1);
    }

    #[test]
    fn split_lists_hold_each_number_once_per_status() {
        let dir = tempfile::tempdir().unwrap();
        let split = dir.path().join("lists");
        std::fs::create_dir_all(&split).unwrap();
        std::fs::write(split.join("risk.txt"), "from an earlier run\n").unwrap();
        let mut writer =
            ResultWriter::new(Box::new(io::sink()), OutputFormat::Csv, Some(&split)).unwrap();
        let mut repeat = sample(1, RowStatus::Real);
        repeat.duplicate = true;
        let invalid = RowResult {
            status: RowStatus::Invalid,
            mobile: String::new(),
            ..RowResult::unchecked(2, 4, "junk".to_owned(), "expected 11 digits")
        };
        for r in [sample(0, RowStatus::Real), repeat, invalid] {
            writer.write(&r).unwrap();
        }
        writer.flush().unwrap();
        let read = |name: &str| std::fs::read_to_string(split.join(name)).ok();
        assert_eq!(read("real.txt").as_deref(), Some("13111111111\n"));
        assert_eq!(read("invalid.txt").as_deref(), Some("junk\n"));
        assert_eq!(read("risk.txt"), None, "an earlier run's list is gone");
    }
}
