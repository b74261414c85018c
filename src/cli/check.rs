//! `phonecheck check`: the command-line client for lists. It reads rows (arguments, a text,
//! CSV or Excel file, stdin), sends them through one `CheckBulk` stream, and writes every row
//! once, in input order, whole, with its status: as CSV, XLSX, JSON lines or text, plus one
//! file per status (`--split`). Reading and writing the formats is [`crate::lists`]'s.
//!
//! Memory stays bounded however long the list: at most `--window` rows are sent and not yet
//! written, and results that arrive ahead of an earlier row wait in that window only.
//!
//! A run that stops early (quota used up, server gone, Ctrl-C) still writes every row: those
//! not checked say `unchecked` (or `error`), and `--resume` with the same input and output keeps
//! every answered row and sends only the others, so nothing is paid for twice.
//!
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

use tonic::Code;

use super::report::{self, thousands};
pub use super::report::{RunReport, Stop};
use super::{
    BulkClient, ClientError, ListArgs, OutputArgs, ServerArgs, connect, describe, output_error,
    source, split_layout,
};
use crate::checking::number::normalize_mobile;
use crate::lists::previous::PreviousOutput;
use crate::lists::{
    OutputFormat, ResultWriter, Row, RowReader, RowResult, RowStatus, Source, SplitWriter,
    WriteOptions,
};
use crate::pb::{CheckBulkRequest, CheckOptions, PhoneResult};

/// Flags of `phonecheck check`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  phonecheck check 13111111111 13222222222
  phonecheck check customers.csv --out results.csv --split lists/
  phonecheck check customers.xlsx --sheet 名单 --out cleaned.xlsx --split lists.zip
  phonecheck check customers.csv --out results.csv --resume
  phonecheck check gbk-export.csv --excel --out results.csv
  zcat numbers.txt.gz | phonecheck check --out results.jsonl

Exit status: 0 when every row has its answer; 1 when the run stopped or some rows could not be
checked (the output then holds every row, those marked error or unchecked, and --resume
checks just those); 2 on bad flags or an input that is not a readable list; 130 after Ctrl-C.")]
pub struct CheckArgs {
    /// Numbers to check, or one file of them ("-" for stdin). With neither, stdin is read.
    pub inputs: Vec<String>,

    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,

    /// Where and how the results are written.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Continue an interrupted run: rows already answered in --out are kept, not sent again.
    #[arg(long, requires = "out")]
    pub resume: bool,

    /// How the list is read and sent.
    #[command(flatten)]
    pub list: ListArgs,

    /// Most rows sent and not yet written: bounds the memory used to write rows in input order.
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub window: u32,

    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `phonecheck check` and returns its exit status: 0 when every row has its answer, 1
/// when the run failed or stopped with rows unanswered, 130 after Ctrl-C.
pub async fn run(args: CheckArgs) -> i32 {
    if args.list.dry_run {
        let previewed = async {
            let source = source(&args.inputs)?;
            let mut client = connect(&args.server).await?;
            super::job::preview(&mut client, &source, &args.list).await
        };
        return previewed.await.unwrap_or_else(|e: ClientError| {
            eprintln!("phonecheck: {e}");
            e.exit_status()
        });
    }
    let quiet = args.quiet;
    let report = match check(args).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("phonecheck: {e}");
            return e.exit_status();
        }
    };
    if !quiet {
        eprintln!("{}", report.render());
    }
    if report.rows() > 0 && report.get(RowStatus::Invalid) == report.rows() {
        eprintln!(
            "phonecheck: every row is invalid: is this the list, and is its number column the \
             one read? (--column names it; the output's note says why each row is invalid)"
        );
    }
    let unanswered = report.unanswered();
    let done = report.rows() - unanswered;
    let resume = if report.output.is_some() {
        "; run the same command with --resume to check only those"
    } else {
        ""
    };
    match &report.stop {
        None if unanswered == 0 => 0,
        None => {
            eprintln!(
                "phonecheck: {} rows could not be checked (status error){resume}",
                thousands(unanswered)
            );
            1
        }
        Some(stop) => {
            let why = match stop {
                Stop::Interrupted => "interrupted".to_owned(),
                Stop::Failed(message) | Stop::BadInput(message) => message.clone(),
            };
            eprintln!(
                "phonecheck: stopped: {why}; {} of {} rows answered, the rest written as unchecked{resume}",
                thousands(done),
                thousands(report.rows())
            );
            match stop {
                Stop::Interrupted => 130,
                Stop::BadInput(_) => 2,
                Stop::Failed(_) => 1,
            }
        }
    }
}

/// Rows handed from the reading thread to the run.
enum Item {
    /// A row to check.
    Check(Row),
    /// A row answered in the previous output (with `--resume`).
    Kept(RowResult),
    /// The input could not be read further.
    Failed(ClientError),
}

/// Runs `phonecheck check`. The report says how it ended; an `Err` means nothing was checked
/// or the output could not be written.
pub async fn check(args: CheckArgs) -> Result<RunReport, ClientError> {
    let started = Instant::now();
    let source = source(&args.inputs)?;
    let options = args.list.input_options();
    let format = args.output.format();
    if let (Source::File(input), Some(out)) = (&source, &args.output.out)
        && same_file(input, out)
    {
        return Err(ClientError::Usage(format!(
            "--out {} is the input file; choose another name",
            out.display()
        )));
    }
    if format == OutputFormat::Xlsx && args.output.out.is_none() {
        return Err(ClientError::Usage(
            "an XLSX workbook cannot go to standard output; give --out NAME.xlsx".to_owned(),
        ));
    }
    if format == OutputFormat::Xlsx && args.resume {
        return Err(ClientError::Usage(
            "--resume continues a CSV, JSON lines or text output, not a workbook".to_owned(),
        ));
    }
    // Opened first, then read through once: a wrong file, sheet or column, or a broken row
    // anywhere in a file, is reported before anything is sent or any output is made.
    let reader = RowReader::open(&source, &options)?;
    if !args.quiet {
        eprintln!(
            "phonecheck: reading {}: {}",
            source.name(),
            reader.description
        );
        if reader.encoding != encoding_rs::UTF_8
            && format == OutputFormat::Csv
            && !args.output.excel
        {
            eprintln!(
                "phonecheck: the input is {} (as Excel saves text), the output UTF-8: add --excel \
                 so that Excel shows its Chinese text",
                reader.encoding.name()
            );
        }
    }
    let show = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A sheet is read through only for the progress bar's total (see `RowReader::count`).
    let total = if show || !reader.is_sheet() {
        RowReader::count(&source, &options)?
    } else {
        None
    };
    if total == Some(0) || reader.holds_no_rows() {
        return Err(ClientError::NoRows(source.name()));
    }
    let mut client = connect(&args.server).await?;

    let layout = reader.layout.clone();
    let write_options = WriteOptions {
        columns: layout
            .as_ref()
            .filter(|_| !args.output.results_only)
            .map(|l| l.columns.clone()),
        bom: args.output.excel,
        sheet: layout.as_ref().and_then(|l| l.sheet.clone()),
    };
    let whole = write_options
        .columns
        .as_ref()
        .zip(layout.as_ref())
        .map(|(columns, l)| (l.column, columns.len()));
    let (out, previous) =
        Destination::open(args.output.out.as_deref(), args.resume, format, whole)?;
    let writer = match format {
        OutputFormat::Xlsx => ResultWriter::xlsx(out.writing_path(), &write_options),
        _ => ResultWriter::new(out.writer()?, format, &write_options),
    }
    .map_err(|error| output_error(out.path(), error))?;
    let split = match &args.output.split {
        None => None,
        Some(target) => {
            let split_layout = split_layout(
                args.output.split_format,
                layout.as_ref().map(|l| l.columns.clone()),
                layout.as_ref().is_some_and(|l| l.sheet.is_some()),
                args.output.excel,
            );
            let split = SplitWriter::create(target, split_layout)
                .map_err(|e| output_error(&target.display().to_string(), e))?;
            Some(split)
        }
    };

    let (items_tx, items) = mpsc::channel(4096);
    std::thread::spawn(move || read_rows(reader, previous, items_tx));

    let progress = progress_bar(show, total.filter(|_| show));
    let mut run = Run {
        writer,
        split,
        out_path: out.path().to_owned(),
        progress: progress.clone(),
        window: args.window as usize,
        chunk: args.list.chunk as usize,
        options: Some(args.list.check_options()),
        slots: VecDeque::new(),
        first_slot: 0,
        pending: HashMap::new(),
        next_index: 0,
        report: RunReport::default(),
    };
    let outcome = run.online(&mut client, items).await;
    progress.finish_and_clear();
    if let Err(e) = outcome {
        out.abandon();
        return Err(e);
    }
    if let (Some(split), Some(target)) = (run.split.take(), &args.output.split) {
        split
            .finish()
            .map_err(|e| output_error(&target.display().to_string(), e))?;
    }
    if let Err(error) = run.writer.finish() {
        out.abandon();
        return Err(output_error(out.path(), error));
    }
    out.commit()?;
    let mut report = run.report;
    if report.rows() == 0 && report.stop.is_none() {
        return Err(ClientError::NoRows(source.name()));
    }
    report.elapsed = started.elapsed();
    report.output = args.output.out.clone();
    report.split = args.output.split.clone();
    Ok(report)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Where the results go: standard output, a file, or (with `--resume`) a new file that
/// replaces the old one once complete, so the old one stays whole until then.
struct Destination {
    path: Option<PathBuf>,
    writing: Option<PathBuf>,
}

impl Destination {
    /// The destination, and the previous output when resuming from one.
    fn open(
        path: Option<&Path>,
        resume: bool,
        format: OutputFormat,
        whole: Option<(usize, usize)>,
    ) -> Result<(Destination, Option<PreviousOutput>), ClientError> {
        let Some(path) = path else {
            let stdout = Destination {
                path: None,
                writing: None,
            };
            return Ok((stdout, None));
        };
        let previous = if resume && path.exists() {
            let previous = PreviousOutput::open(path, format, whole)
                .map_err(|e| output_error(&path.display().to_string(), e))?;
            Some(previous)
        } else {
            None
        };
        // A resumed output, and a workbook (valid only once whole), are written aside and
        // put in place at the end.
        let writing = if previous.is_some() || format == OutputFormat::Xlsx {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push(".partial");
            path.with_file_name(name)
        } else {
            path.to_owned()
        };
        let destination = Destination {
            path: Some(path.to_owned()),
            writing: Some(writing),
        };
        Ok((destination, previous))
    }

    fn path(&self) -> &str {
        self.path
            .as_deref()
            .and_then(Path::to_str)
            .unwrap_or("standard output")
    }

    /// The file being written (for a workbook, which is saved by path).
    fn writing_path(&self) -> PathBuf {
        self.writing.clone().unwrap_or_default()
    }

    fn writer(&self) -> Result<Box<dyn Write + Send>, ClientError> {
        match &self.writing {
            None => Ok(Box::new(BufWriter::new(io::stdout()))),
            Some(path) => {
                let file = File::create(path).map_err(|e| output_error(self.path(), e))?;
                Ok(Box::new(BufWriter::with_capacity(256 * 1024, file)))
            }
        }
    }

    /// Removes an output written aside that will not replace the old one.
    fn abandon(&self) {
        if let (Some(path), Some(writing)) = (&self.path, &self.writing)
            && path != writing
        {
            let _ = std::fs::remove_file(writing);
        }
    }

    /// Puts a resumed output in place of the old one.
    fn commit(&self) -> Result<(), ClientError> {
        if let (Some(path), Some(writing)) = (&self.path, &self.writing)
            && path != writing
        {
            std::fs::rename(writing, path).map_err(|e| output_error(self.path(), e))?;
        }
        Ok(())
    }
}

/// Reads every row on its own thread (file reading blocks), pairing it with the previous
/// output's record when resuming.
fn read_rows(reader: RowReader, mut previous: Option<PreviousOutput>, items: mpsc::Sender<Item>) {
    for (index, row) in (0u64..).zip(reader) {
        let item = match row {
            Err(e) => Item::Failed(e.into()),
            Ok(row) => match previous.as_mut().and_then(Iterator::next) {
                None => Item::Check(row),
                Some(old) if !same_input(&old, &row.input) => {
                    Item::Failed(ClientError::ResumeMismatch {
                        index,
                        line: row.line,
                        expected: old.input,
                        found: row.input,
                    })
                }
                Some(old) if old.status.is_final() => Item::Kept(RowResult {
                    index,
                    line: row.line,
                    cells: row.cells,
                    ..old
                }),
                Some(_) => Item::Check(row),
            },
        };
        let last = matches!(item, Item::Failed(_));
        if items.blocking_send(item).is_err() || last {
            return;
        }
    }
}

/// The previous output's row and this input's row hold the same input (TXT outputs keep the
/// normalized number only).
fn same_input(old: &RowResult, input: &str) -> bool {
    old.input == input
        || match (normalize_mobile(&old.input), normalize_mobile(input)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

fn progress_bar(show: bool, total: Option<u64>) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    let template = if total.is_some() {
        "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} rows · {rate} · ETA {eta}\n{msg}"
    } else {
        "{elapsed_precise} {spinner} {human_pos} rows · {rate}\n{msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        let style = style
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{} rows/s", report::thousands(state.per_sec() as u64));
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A row sent and not answered yet.
struct Pending {
    /// Its position in the input.
    row: u64,
    /// Its line.
    line: u64,
    /// The number as written.
    input: String,
    /// Its cells, written back with its result.
    cells: Vec<String>,
}

/// One run's moving parts.
struct Run {
    writer: ResultWriter,
    split: Option<SplitWriter>,
    out_path: String,
    progress: ProgressBar,
    window: usize,
    chunk: usize,
    /// The call's options, sent with the first chunk.
    options: Option<CheckOptions>,
    /// Rows from `first_slot` on, in input order: `None` until answered.
    slots: VecDeque<Option<RowResult>>,
    first_slot: u64,
    /// Rows sent and not answered, by the server's index.
    pending: HashMap<u32, Pending>,
    /// The server's index for the next row sent.
    next_index: u32,
    report: RunReport,
}

impl Run {
    /// Sends rows and writes answers until the stream ends; then writes the rows left (as
    /// unchecked, if the run stopped early).
    async fn online(
        &mut self,
        client: &mut BulkClient,
        mut items: mpsc::Receiver<Item>,
    ) -> Result<(), ClientError> {
        let (requests, rx) = mpsc::unbounded_channel();
        let mut requests = Some(requests);
        let mut responses = match client.check_bulk(UnboundedReceiverStream::new(rx)).await {
            Ok(r) => r.into_inner(),
            Err(status) => return Err(status.into()),
        };
        let mut chunk: Vec<String> = Vec::with_capacity(self.chunk);
        let mut input_open = true;
        let mut stream_open = true;
        let mut failure: Option<ClientError> = None;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut interrupted = false;

        while stream_open {
            let room = input_open && self.report.stop.is_none() && self.slots.len() < self.window;
            tokio::select! {
                biased;
                _ = &mut ctrl_c, if !interrupted => {
                    if self.report.stop.is_some() {
                        // The second Ctrl-C: stop waiting for the server.
                        interrupted = true;
                        stream_open = false;
                    } else {
                        self.progress.println("phonecheck: interrupted; waiting for the numbers already sent (Ctrl-C again to stop at once)");
                        self.report.stop = Some(Stop::Interrupted);
                        input_open = false;
                        self.send(&mut chunk, &mut requests);
                        requests = None;
                        ctrl_c.set(tokio::signal::ctrl_c());
                    }
                }
                message = responses.message() => match message {
                    Ok(Some(message)) => {
                        if let Some(summary) = message.summary {
                            self.report.server = Some(summary);
                        }
                        self.answer(message.results)?;
                    }
                    Ok(None) => {
                        stream_open = false;
                        if input_open || self.report.server.is_none() {
                            self.report.stop = Some(Stop::Failed(
                                "the server ended the stream before answering every row".into(),
                            ));
                        }
                    }
                    Err(status) => {
                        stream_open = false;
                        // An input of only resumed rows sends nothing; the server says so.
                        let nothing_sent = self.next_index == 0
                            && status.code() == Code::InvalidArgument
                            && tonic_types::StatusExt::get_details_error_info(&status)
                                .is_some_and(|i| i.reason == "NO_NUMBERS");
                        if input_open || !nothing_sent {
                            self.report.stop = Some(Stop::Failed(describe(&status)));
                        }
                    }
                },
                item = items.recv(), if room => match item {
                    Some(Item::Check(row)) => {
                        let entry = Pending {
                            row: self.row_index(),
                            line: row.line,
                            input: row.input.clone(),
                            cells: row.cells,
                        };
                        self.pending.insert(self.next_index, entry);
                        self.next_index += 1;
                        self.slots.push_back(None);
                        chunk.push(row.input);
                        if chunk.len() >= self.chunk {
                            self.send(&mut chunk, &mut requests);
                        }
                    }
                    Some(Item::Kept(r)) => {
                        self.report.resumed += 1;
                        self.slots.push_back(Some(r));
                        self.progress.inc(1);
                        self.write_ready()?;
                    }
                    Some(Item::Failed(e)) => {
                        input_open = false;
                        self.report.stop = Some(if matches!(e, ClientError::Input(_)) {
                            Stop::BadInput(e.to_string())
                        } else {
                            Stop::Failed(e.to_string())
                        });
                        failure = matches!(e, ClientError::ResumeMismatch { .. }).then_some(e);
                        self.send(&mut chunk, &mut requests);
                        requests = None;
                    }
                    None => {
                        input_open = false;
                        self.send(&mut chunk, &mut requests);
                        requests = None;
                    }
                },
                () = std::future::ready(()), if !chunk.is_empty() => {
                    self.send(&mut chunk, &mut requests);
                }
            }
        }
        drop(requests);
        if let Some(e) = failure {
            return Err(e);
        }
        if self.report.stop.is_none() && !self.pending.is_empty() {
            self.report.stop = Some(Stop::Failed(format!(
                "the server ended the call without answering {} rows",
                self.pending.len()
            )));
        }
        self.offline(items).await
    }

    /// After the stream: rows still waiting get `unchecked`, and so does every row not read yet
    /// (rows kept from a previous output stay as they were).
    async fn offline(&mut self, mut items: mpsc::Receiver<Item>) -> Result<(), ClientError> {
        let why = match &self.report.stop {
            None => return self.write_ready(),
            Some(Stop::Interrupted) => "not checked: interrupted".to_owned(),
            Some(Stop::Failed(message) | Stop::BadInput(message)) => {
                format!("not checked: {message}")
            }
        };
        for (_, p) in self.pending.drain() {
            // A pending row is unanswered, so not yet written: its slot is still in the window.
            let slot = (p.row - self.first_slot) as usize;
            let mut r = RowResult::unchecked(p.row, p.line, p.input, &why);
            r.cells = p.cells;
            self.slots[slot] = Some(r);
        }
        self.write_ready()?;
        while let Some(item) = items.recv().await {
            let r = match item {
                Item::Check(row) => {
                    let mut r = RowResult::unchecked(self.row_index(), row.line, row.input, &why);
                    r.cells = row.cells;
                    r
                }
                Item::Kept(r) => {
                    self.report.resumed += 1;
                    r
                }
                Item::Failed(_) => break,
            };
            self.slots.push_back(Some(r));
            self.write_ready()?;
        }
        Ok(())
    }

    fn row_index(&self) -> u64 {
        self.first_slot + self.slots.len() as u64
    }

    fn send(
        &mut self,
        chunk: &mut Vec<String>,
        requests: &mut Option<mpsc::UnboundedSender<CheckBulkRequest>>,
    ) {
        if chunk.is_empty() {
            return;
        }
        let mobiles = std::mem::replace(chunk, Vec::with_capacity(self.chunk));
        if let Some(tx) = requests {
            // The receiving end lives as long as the call; if the call is gone, its error
            // arrives on the response stream.
            let _ = tx.send(CheckBulkRequest {
                mobiles,
                options: self.options.take(),
            });
        }
    }

    fn answer(&mut self, results: Vec<PhoneResult>) -> Result<(), ClientError> {
        let n = results.len() as u64;
        for r in results {
            // An index we did not send (a confused server) is ignored rather than trusted.
            let Some(p) = self.pending.remove(&r.index) else {
                continue;
            };
            // A pending row is unanswered, so not yet written: its slot is still in the window.
            let slot = (p.row - self.first_slot) as usize;
            let mut r = crate::pb::list_record(r, p.row, p.line);
            r.cells = p.cells;
            if r.status.is_final() && r.status != RowStatus::Invalid && !r.duplicate {
                self.report.checked += 1;
            }
            self.slots[slot] = Some(r);
        }
        self.progress.inc(n);
        self.write_ready()?;
        self.progress.set_message(self.report.counts_line());
        Ok(())
    }

    /// Writes the answered rows at the front of the window, in order.
    fn write_ready(&mut self) -> Result<(), ClientError> {
        let mut wrote = false;
        while let Some(Some(_)) = self.slots.front() {
            let Some(Some(r)) = self.slots.pop_front() else {
                break;
            };
            self.first_slot += 1;
            self.report.count(&r);
            self.writer
                .write(&r)
                .map_err(|e| output_error(&self.out_path, e))?;
            if let Some(split) = &mut self.split {
                split
                    .write(&r)
                    .map_err(|e| output_error("the per-status files", e))?;
            }
            wrote = true;
        }
        if wrote {
            self.writer
                .flush()
                .map_err(|e| output_error(&self.out_path, e))?;
            if let Some(split) = &mut self.split {
                split
                    .flush()
                    .map_err(|e| output_error("the per-status files", e))?;
            }
        }
        Ok(())
    }
}
