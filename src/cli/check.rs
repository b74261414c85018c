//! `phonecheck check`: the command-line client for lists. It reads rows (arguments, a text
//! or CSV file, stdin), sends them through one `CheckBulk` stream, and writes every row once,
//! in input order, with its status: as CSV, JSON lines or text, plus one list per status.
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

use super::input::{Row, RowReader, Source};
use super::output::{OutputFormat, PreviousOutput, ResultWriter, RowResult, RowStatus};
use super::report::{self, thousands};
pub use super::report::{RunReport, Stop};
use super::{
    BulkClient, ClientError, ListArgs, ServerArgs, connect, describe, output_error, row_result,
    source,
};
use crate::checking::number::normalize_mobile;
use crate::pb::{CheckBulkRequest, CheckOptions, PhoneResult};

/// Flags of `phonecheck check`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  phonecheck check 13111111111 13222222222
  phonecheck check numbers.csv --out results.csv --split lists/
  phonecheck check numbers.csv --out results.csv --resume
  zcat numbers.txt.gz | phonecheck check --out results.jsonl

Exit status: 0 when every row has its answer; 1 when the run stopped or some rows could not be
checked (the output then holds every row, those marked error or unchecked, and --resume
checks just those); 2 on bad flags; 130 after Ctrl-C.")]
pub struct CheckArgs {
    /// Numbers to check, or one file of them ("-" for stdin). With neither, stdin is read.
    pub inputs: Vec<String>,

    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,

    /// Write results to this file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,

    /// Output format (default: from the --out file name: .jsonl, .txt, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Also write one list per status into this directory: real.txt, empty.txt, …
    #[arg(long, value_name = "DIR")]
    pub split: Option<PathBuf>,

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
    let quiet = args.quiet;
    let report = match check(args).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("phonecheck: {e}");
            return 1;
        }
    };
    if !quiet {
        eprintln!("{}", report.render());
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
                Stop::Failed(message) => message.clone(),
            };
            eprintln!(
                "phonecheck: stopped: {why}; {} of {} rows answered, the rest written as unchecked{resume}",
                thousands(done),
                thousands(report.rows())
            );
            if *stop == Stop::Interrupted { 130 } else { 1 }
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
    let format = args
        .format
        .or(args.out.as_deref().map(OutputFormat::for_path))
        .unwrap_or(OutputFormat::Csv);
    if let (Source::File(input), Some(out)) = (&source, &args.out)
        && same_file(input, out)
    {
        return Err(ClientError::Usage(format!(
            "--out {} is the input file; choose another name",
            out.display()
        )));
    }
    // Opened first: a wrong file or column is reported before anything is sent.
    let reader = RowReader::open(&source, &options)?;
    let show = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    if !args.quiet {
        eprintln!(
            "phonecheck: reading {}: {}",
            source.name(),
            reader.description
        );
    }
    let total = if show {
        RowReader::count(&source, &options)?
    } else {
        None
    };
    let mut client = connect(&args.server).await?;

    let (out, previous) = Destination::open(args.out.as_deref(), args.resume, format)?;
    let writer = ResultWriter::new(out.writer()?, format, args.split.as_deref())
        .map_err(|error| output_error(out.path(), error))?;

    let (items_tx, items) = mpsc::channel(4096);
    std::thread::spawn(move || read_rows(reader, previous, items_tx));

    let progress = progress_bar(show, total);
    let mut run = Run {
        writer,
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
    run.writer
        .flush()
        .map_err(|error| output_error(out.path(), error))?;
    drop(run.writer);
    out.commit()?;
    let mut report = run.report;
    if report.rows() == 0 && report.stop.is_none() {
        return Err(ClientError::NoRows(source.name()));
    }
    report.elapsed = started.elapsed();
    report.output = args.out.clone();
    report.split = args.split.clone();
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
    ) -> Result<(Destination, Option<PreviousOutput>), ClientError> {
        let Some(path) = path else {
            let stdout = Destination {
                path: None,
                writing: None,
            };
            return Ok((stdout, None));
        };
        let previous = if resume && path.exists() {
            let previous = PreviousOutput::open(path, format)
                .map_err(|e| output_error(&path.display().to_string(), e))?;
            Some(previous)
        } else {
            None
        };
        let writing = if previous.is_some() {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push(".resuming");
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

    fn writer(&self) -> Result<Box<dyn Write + Send>, ClientError> {
        match &self.writing {
            None => Ok(Box::new(BufWriter::new(io::stdout()))),
            Some(path) => {
                let file = File::create(path).map_err(|e| output_error(self.path(), e))?;
                Ok(Box::new(BufWriter::with_capacity(256 * 1024, file)))
            }
        }
    }

    /// Removes a resumed output that will not replace the old one.
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

/// One run's moving parts.
struct Run {
    writer: ResultWriter,
    out_path: String,
    progress: ProgressBar,
    window: usize,
    chunk: usize,
    /// The call's options, sent with the first chunk.
    options: Option<CheckOptions>,
    /// Rows from `first_slot` on, in input order: `None` until answered.
    slots: VecDeque<Option<RowResult>>,
    first_slot: u64,
    /// Rows sent and not answered: by the server's index, the row's index, line and input.
    pending: HashMap<u32, (u64, u64, String)>,
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
                        let entry = (self.row_index(), row.line, row.input.clone());
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
                        self.report.stop = Some(Stop::Failed(e.to_string()));
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
            Some(Stop::Failed(message)) => format!("not checked: {message}"),
        };
        for (_, (row, line, input)) in self.pending.drain() {
            // A pending row is unanswered, so not yet written: its slot is still in the window.
            let slot = (row - self.first_slot) as usize;
            self.slots[slot] = Some(RowResult::unchecked(row, line, input, &why));
        }
        self.write_ready()?;
        while let Some(item) = items.recv().await {
            let r = match item {
                Item::Check(row) => {
                    RowResult::unchecked(self.row_index(), row.line, row.input, &why)
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
            let Some((row, line, _)) = self.pending.remove(&r.index) else {
                continue;
            };
            // A pending row is unanswered, so not yet written: its slot is still in the window.
            let slot = (row - self.first_slot) as usize;
            let r = row_result(r, row, line);
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
            wrote = true;
        }
        if wrote {
            self.writer
                .flush()
                .map_err(|e| output_error(&self.out_path, e))?;
        }
        Ok(())
    }
}
