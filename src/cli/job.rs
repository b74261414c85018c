//! `phonecheck job`: durable jobs from the command line. `submit` uploads a file (read like
//! `phonecheck check` reads it, each table row sent whole) and prints the job's id; `status
//! --watch` follows it with a progress bar; `results` writes every row in input order in the
//! formats of `check`, whole rows included, without needing the original file; `list`,
//! `cancel`, `resume` and `delete` do what they say.

use clap::{Args, Subcommand};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::report::thousands;
use super::{
    BulkClient, ClientError, ListArgs, OutputArgs, ServerArgs, connect, output_error, source,
    split_layout,
};
use crate::lists::{
    OutputFormat, ResultWriter, RowReader, RowStatus, Source, SplitWriter, WriteOptions,
};
use crate::pb::{
    CancelJobRequest, CreateJobRequest, DeleteJobRequest, GetJobRequest, GetJobResultsRequest, Job,
    JobState, ListJobsRequest, ResumeJobRequest, Row, WatchJobRequest,
};

/// Flags of `phonecheck job`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  phonecheck job submit big.csv --name march-campaign
  phonecheck job status j_0193a1b2c3d4e5f6 --watch
  phonecheck job results j_0193a1b2c3d4e5f6 --out results.csv
  phonecheck job results j_0193a1b2c3d4e5f6 --out results.xlsx --split lists.zip
  phonecheck job list")]
pub struct JobArgs {
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: JobCommand,
}

/// The `phonecheck job` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum JobCommand {
    /// Upload a list (a text, CSV or Excel file, or stdin) as a job and print its id.
    Submit(JobSubmitArgs),
    /// Show a job's state and progress; with --watch, follow it to the end.
    Status {
        /// The job's id.
        id: String,
        /// Follow the job with a progress bar until it ends (exit 0 when it succeeded).
        #[arg(long)]
        watch: bool,
    },
    /// Download a job's results, every row in input order (same formats as `check`).
    Results(JobResultsArgs),
    /// List the jobs on the server, newest first.
    List {
        /// The most jobs to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Cancel a queued or running job (what it stored stays readable).
    Cancel {
        /// The job's id.
        id: String,
    },
    /// Continue a failed or cancelled job, or retry a finished job's failed rows.
    Resume {
        /// The job's id.
        id: String,
        /// A new cap on the numbers the job may bill in all (to go on after it stopped at its
        /// cap).
        #[arg(long, value_name = "N")]
        max_billed: Option<u64>,
    },
    /// Delete a job and its results from the server.
    Delete {
        /// The job's id.
        id: String,
    },
}

/// The size at which an upload message is sent even when it holds fewer than `--chunk` rows.
const MESSAGE_BYTES: usize = 3 << 20;

/// Flags of `phonecheck job results`.
#[derive(Debug, Clone, Args)]
pub struct JobResultsArgs {
    /// The job's id.
    pub id: String,
    /// Where and how the results are written (per-status files as XLSX when --out is a
    /// workbook, else CSV).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `phonecheck job submit`.
#[derive(Debug, Clone, Args)]
pub struct JobSubmitArgs {
    /// The file of numbers ("-" or nothing for stdin).
    pub input: Option<String>,

    /// A name for the job (default: the file's name).
    #[arg(long)]
    pub name: Option<String>,

    /// Where the server POSTs the job, signed, when it ends (http or https; the server needs
    /// --webhook-secret-file).
    #[arg(long, value_name = "URL")]
    pub callback: Option<String>,

    /// The most numbers the job may bill in all: it stops FAILED there, and `job resume ID
    /// --max-billed N` goes on with a higher cap.
    #[arg(long, value_name = "N")]
    pub max_billed: Option<u64>,

    /// How the list is read and sent.
    #[command(flatten)]
    pub list: ListArgs,
}

/// Runs one `phonecheck job` command and returns its exit status: 0 done, 1 failed (with one
/// line on stderr saying why).
pub async fn run(args: JobArgs) -> i32 {
    match run_command(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("phonecheck: {e}");
            e.exit_status()
        }
    }
}

async fn run_command(args: JobArgs) -> Result<i32, ClientError> {
    let mut client = connect(&args.server).await?;
    let changed = match args.command {
        JobCommand::Submit(submit_args) => return submit(&mut client, submit_args).await,
        JobCommand::Status { id, watch: true } => return follow(&mut client, id).await,
        JobCommand::Results(results_args) => return results(&mut client, results_args).await,
        JobCommand::List { limit } => {
            let page = client
                .list_jobs(ListJobsRequest {
                    page_size: limit,
                    page_token: String::new(),
                })
                .await?
                .into_inner();
            if page.jobs.is_empty() {
                eprintln!("no jobs on the server");
                return Ok(0);
            }
            println!(
                "{:<28}  {:<10} {:>12}    {:<12} {:<20} NAME",
                "ID", "STATE", "ROWS DONE", "OF", "CREATED"
            );
            for job in &page.jobs {
                println!(
                    "{:<28}  {:<10} {:>12} of {:<12} {:<20} {}",
                    job.id,
                    state_name(job.state()),
                    thousands(job.done),
                    thousands(job.total),
                    time(job.created_at.as_ref()),
                    job.name
                );
            }
            return Ok(0);
        }
        JobCommand::Delete { id } => {
            client
                .delete_job(DeleteJobRequest { id: id.clone() })
                .await?;
            eprintln!("job {id} deleted");
            return Ok(0);
        }
        JobCommand::Status { id, watch: false } => {
            // A job that ended without success (failed, cancelled) exits 1, as `status
            // --watch` does.
            let job = client.get_job(GetJobRequest { id }).await?.into_inner();
            println!("{}", render(&job));
            return Ok(match job.state() {
                JobState::Failed | JobState::Cancelled => 1,
                _ => 0,
            });
        }
        JobCommand::Cancel { id } => {
            let job = client.cancel_job(CancelJobRequest { id }).await?;
            (
                job.into_inner(),
                JobState::Cancelled,
                "had already ended",
                "cancel",
            )
        }
        JobCommand::Resume { id, max_billed } => {
            let max_billed = max_billed.unwrap_or(0);
            let job = client
                .resume_job(ResumeJobRequest { id, max_billed })
                .await?;
            (
                job.into_inner(),
                JobState::Queued,
                "has nothing to check again",
                "resume",
            )
        }
    };
    // Cancel and resume show the job as it is now, saying when they had nothing to do.
    let (job, done, why, what) = changed;
    if job.state() != done {
        eprintln!(
            "phonecheck: job {} {why} ({}); nothing to {what}",
            job.id,
            state_name(job.state())
        );
    }
    println!("{}", render(&job));
    Ok(0)
}

/// Uploads the rows of a file (or stdin) as a job; prints the id on stdout. With
/// `--dry-run`, previews it instead.
async fn submit(client: &mut BulkClient, args: JobSubmitArgs) -> Result<i32, ClientError> {
    let inputs: Vec<String> = args.input.iter().cloned().collect();
    let source = source(&inputs)?;
    if let Source::Numbers(_) = source {
        return Err(ClientError::Usage(format!(
            "{} is not a file; give a file of numbers, or - for stdin",
            inputs.join(" ")
        )));
    }
    if args.list.dry_run {
        return preview(client, &source, &args.list).await;
    }
    let cap = Cap {
        max_billed: args.max_billed.unwrap_or(0),
        validate_only: false,
    };
    let job = upload(client, &source, &args.list, args.name, args.callback, cap).await?;
    eprintln!(
        "job {} created: {} rows ({} distinct numbers, {} invalid, {} repeats); follow it with\n  phonecheck job status {} --watch",
        job.id,
        thousands(job.total),
        thousands(job.unique),
        thousands(job.invalid),
        thousands(job.duplicates),
        job.id
    );
    println!("{}", job.id);
    Ok(0)
}

/// Says what checking the list at `source` would bill now, sending, storing and billing
/// nothing (`check --dry-run` and `job submit --dry-run`).
pub(crate) async fn preview(
    client: &mut BulkClient,
    source: &Source,
    list: &ListArgs,
) -> Result<i32, ClientError> {
    let preview = Cap {
        max_billed: 0,
        validate_only: true,
    };
    let counted = upload(client, source, list, None, None, preview).await?;
    println!(
        "{}: checking it now would bill {} numbers: {} rows, {} distinct numbers, {} answered \
         from the server's cache, {} invalid, {} repeats; nothing was sent",
        source.name(),
        thousands(counted.billable),
        thousands(counted.total),
        thousands(counted.unique),
        thousands(counted.cache_hits),
        thousands(counted.invalid),
        thousands(counted.duplicates),
    );
    if let Some(budget) = super::usage::own_budget(client).await {
        let stop = if counted.billable > budget.left {
            format!(
                "; it would stop there, {} numbers short",
                thousands(counted.billable - budget.left)
            )
        } else {
            String::new()
        };
        println!("your budget: {}{stop}", super::usage::budget_line(&budget));
    }
    Ok(0)
}

/// What an upload may spend: a job's cap, or nothing at all (a preview).
struct Cap {
    max_billed: u64,
    validate_only: bool,
}

/// Sends the rows of `source` to `CreateJob` (as a preview when `cap` says so), reading them
/// on a thread of their own, whole rows kept for a table; returns the server's answer.
async fn upload(
    client: &mut BulkClient,
    source: &Source,
    list: &ListArgs,
    name: Option<String>,
    callback: Option<String>,
    cap: Cap,
) -> Result<Job, ClientError> {
    let Cap {
        max_billed,
        validate_only,
    } = cap;
    let options = list.input_options();
    let reader = RowReader::open(source, &options)?;
    eprintln!(
        "phonecheck: reading {}: {}",
        source.name(),
        reader.description
    );
    let name = name.unwrap_or_else(|| match source {
        Source::File(path) => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        _ => "stdin".to_owned(),
    });
    // Read through once first: a broken file is refused before any job exists.
    if !reader.is_sheet() {
        RowReader::count(source, &options)?;
    }
    let chunk = list.chunk as usize;
    let options = Some(list.check_options());
    let header = reader
        .layout
        .as_ref()
        .map(|l| l.columns.clone())
        .unwrap_or_default();
    let keep_rows = reader.layout.is_some();
    let bar = bar(None, "{spinner} uploading {human_pos} rows");
    let (tx, rx) = mpsc::channel::<CreateJobRequest>(4);
    let (failed_tx, mut failed_rx) = mpsc::channel::<ClientError>(1);
    let uploading = bar.clone();
    // Rows are read on a thread of their own: file reading blocks.
    std::thread::spawn(move || {
        let mut message = CreateJobRequest {
            name,
            options,
            mobiles: Vec::with_capacity(chunk),
            header,
            rows: Vec::new(),
            callback_url: callback.unwrap_or_default(),
            validate_only,
            max_billed,
            // One per submission: a retried upload never makes a second job.
            request_id: ulid::Ulid::generate().to_string(),
            ..CreateJobRequest::default()
        };
        // Bytes of the message so far: wide rows end a message before `chunk` rows, so it
        // stays well under the 4 MiB every gRPC peer accepts.
        let mut bytes = 0usize;
        for row in reader {
            match row {
                Ok(row) => {
                    bytes += row.input.len() + 12;
                    message.mobiles.push(row.input);
                    // Every row goes with its line, so the results name the file's lines;
                    // a table's rows go whole. A preview needs neither.
                    if !validate_only {
                        let cells = if keep_rows { row.cells } else { Vec::new() };
                        bytes += cells.iter().map(|c| c.len() + 4).sum::<usize>();
                        message.rows.push(Row {
                            cells,
                            line: row.line,
                        });
                    }
                }
                Err(e) => {
                    let _ = failed_tx.blocking_send(e.into());
                    return;
                }
            }
            if message.mobiles.len() == chunk || bytes >= MESSAGE_BYTES {
                uploading.inc(message.mobiles.len() as u64);
                bytes = 0;
                let next = CreateJobRequest {
                    mobiles: Vec::with_capacity(chunk),
                    ..Default::default()
                };
                if tx
                    .blocking_send(std::mem::replace(&mut message, next))
                    .is_err()
                {
                    return;
                }
            }
        }
        uploading.inc(message.mobiles.len() as u64);
        let _ = tx.blocking_send(message);
    });
    let created = client.create_job(ReceiverStream::new(rx)).await;
    bar.finish_and_clear();
    if let Ok(e) = failed_rx.try_recv() {
        return Err(e);
    }
    Ok(created?.into_inner())
}

/// Follows a job to its end with a progress bar; 0 when it succeeded.
async fn follow(client: &mut BulkClient, id: String) -> Result<i32, ClientError> {
    let mut updates = client
        .watch_job(WatchJobRequest { id: id.clone() })
        .await?
        .into_inner();
    let bar = bar(
        Some(0),
        "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} rows · {msg}",
    );
    let mut last = None;
    loop {
        match updates.message().await {
            Ok(Some(job)) => {
                bar.set_length(job.total);
                bar.set_position(job.done);
                bar.set_message(format!(
                    "{} · billed {}",
                    state_name(job.state()),
                    thousands(job.billed)
                ));
                last = Some(job);
            }
            Ok(None) => break,
            Err(status) => {
                bar.finish_and_clear();
                return Err(status.into());
            }
        }
    }
    bar.finish_and_clear();
    let Some(job) = last else {
        return Err(ClientError::Refused(format!("job {id}: no update")));
    };
    println!("{}", render(&job));
    if matches!(job.state(), JobState::Queued | JobState::Running) {
        eprintln!(
            "phonecheck: the server stopped while the job runs; it resumes when the server starts again (then: phonecheck job status {} --watch)",
            job.id
        );
    }
    Ok(if job.state() == JobState::Succeeded {
        0
    } else {
        1
    })
}

/// Writes every row of a job's results, in input order, in `check`'s formats: the whole rows
/// the job kept followed by the result columns, an XLSX workbook, per-status files.
async fn results(client: &mut BulkClient, args: JobResultsArgs) -> Result<i32, ClientError> {
    let id = args.id.clone();
    let job = client
        .get_job(GetJobRequest { id: id.clone() })
        .await?
        .into_inner();
    let output = &args.output;
    let format = output.format();
    let path = output
        .out
        .as_deref()
        .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
    let whole = !output.results_only && !job.header.is_empty();
    let options = WriteOptions {
        columns: whole.then(|| job.header.clone()),
        bom: output.excel,
        sheet: None,
    };
    // A workbook is valid only once whole: it is written aside and put in place at the end.
    let partial = output.out.as_ref().map(|out| {
        let mut name = out.file_name().unwrap_or_default().to_owned();
        name.push(".partial");
        out.with_file_name(name)
    });
    let mut writer = match (format, &output.out, &partial) {
        (OutputFormat::Xlsx, Some(_), Some(partial)) => {
            ResultWriter::xlsx(partial.clone(), &options)
        }
        (OutputFormat::Xlsx, _, _) => {
            return Err(ClientError::Usage(
                "an XLSX workbook cannot go to standard output; give --out NAME.xlsx".to_owned(),
            ));
        }
        (_, Some(out), _) => {
            let file = std::fs::File::create(out).map_err(|e| output_error(&path, e))?;
            ResultWriter::new(Box::new(std::io::BufWriter::new(file)), format, &options)
        }
        (_, None, _) => ResultWriter::new(
            Box::new(std::io::BufWriter::new(std::io::stdout())),
            format,
            &options,
        ),
    }
    .map_err(|e| output_error(&path, e))?;
    let mut split = match &output.split {
        None => None,
        Some(target) => {
            let layout = split_layout(
                output.split_format,
                whole.then(|| job.header.clone()),
                format == OutputFormat::Xlsx,
                output.excel,
            );
            let split = SplitWriter::create(target, layout)
                .map_err(|e| output_error(&target.display().to_string(), e))?;
            Some(split)
        }
    };
    let mut stream = client
        .get_job_results(GetJobResultsRequest {
            id: id.clone(),
            from_index: 0,
        })
        .await?
        .into_inner();
    let bar = bar(Some(job.total), "[{wide_bar}] {human_pos}/{human_len} rows");
    let (mut written, mut unchecked) = (0u64, 0u64);
    loop {
        match stream.message().await {
            Ok(Some(message)) => {
                for r in crate::pb::page_records(message) {
                    if r.status == RowStatus::Unchecked {
                        unchecked += 1;
                    }
                    writer.write(&r).map_err(|e| output_error(&path, e))?;
                    if let Some(split) = &mut split {
                        split
                            .write(&r)
                            .map_err(|e| output_error("the per-status files", e))?;
                    }
                    written += 1;
                }
                bar.set_position(written);
            }
            Ok(None) => break,
            Err(status) => {
                bar.finish_and_clear();
                if let Some(partial) = &partial
                    && format == OutputFormat::Xlsx
                {
                    drop(writer);
                    let _ = std::fs::remove_file(partial);
                }
                return Err(status.into());
            }
        }
    }
    bar.finish_and_clear();
    writer.finish().map_err(|e| output_error(&path, e))?;
    if let (Some(out), Some(partial)) = (&output.out, &partial)
        && format == OutputFormat::Xlsx
    {
        std::fs::rename(partial, out).map_err(|e| output_error(&path, e))?;
    }
    if let (Some(split), Some(target)) = (split, &output.split) {
        split
            .finish()
            .map_err(|e| output_error(&target.display().to_string(), e))?;
    }
    let rest = if unchecked > 0 {
        format!(
            "; {} of them unchecked{}",
            thousands(unchecked),
            rest_of(&job)
        )
    } else if written < job.total {
        rest_of(&job)
    } else {
        String::new()
    };
    eprintln!(
        "{} of {} rows written to {path}{rest}",
        thousands(written),
        thousands(job.total),
    );
    Ok(if written == job.total && unchecked == 0 {
        0
    } else {
        1
    })
}

/// A progress bar on stderr when it is a terminal (hidden otherwise).
fn bar(length: Option<u64>, template: &str) -> ProgressBar {
    let bar = match length {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What a user does about the rows a job has not answered yet: wait for a job still going,
/// resume one that stopped.
fn rest_of(job: &Job) -> String {
    match job.state() {
        JobState::Failed | JobState::Cancelled => {
            let why = job
                .error
                .as_ref()
                .map_or(String::new(), |e| format!(" ({})", e.message));
            format!(
                "; the job {}{why} before the rest: `{}` continues it without billing \
                 anything twice, then fetch the results again",
                state_name(job.state()),
                resume_command(job)
            )
        }
        state => format!(
            "; the job is {}: fetch the results again when it ends (`phonecheck job status {} --watch`)",
            state_name(state),
            job.id
        ),
    }
}

fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Unspecified => "unknown",
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Succeeded => "succeeded",
        JobState::Failed => "failed",
        JobState::Cancelled => "cancelled",
    }
}

fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| SystemTime::try_from(*t).ok()).map_or_else(
        || "-".to_owned(),
        |t| humantime::format_rfc3339_seconds(t).to_string(),
    )
}

/// A job as a few lines for people.
fn render(job: &Job) -> String {
    let percent = if job.total == 0 {
        0.0
    } else {
        job.done as f64 * 100.0 / job.total as f64
    };
    let mut out = format!(
        "job {} ({}): {}\n  rows {} of {} answered ({percent:.1}%) · billed {} · from the server's cache {} · invalid {} · repeats {}",
        job.id,
        job.name,
        state_name(job.state()),
        thousands(job.done),
        thousands(job.total),
        thousands(job.billed),
        thousands(job.cache_hits),
        thousands(job.invalid),
        thousands(job.duplicates),
    );
    if job.max_billed > 0 {
        out.push_str(&format!(
            " · capped at {} billed",
            thousands(job.max_billed)
        ));
    }
    if let Some(c) = &job.by_status {
        out.push_str(&format!(
            "\n  real {} · empty {} · suspended {} · silent {} · risk {} · not in database {} · failed {}",
            thousands(c.real.into()),
            thousands(c.empty.into()),
            thousands(c.suspended.into()),
            thousands(c.silent.into()),
            thousands(c.risk.into()),
            thousands(c.not_in_database.into()),
            thousands(c.failed.into()),
        ));
    }
    out.push_str(&format!(
        "\n  created {} · finished {}",
        time(job.created_at.as_ref()),
        time(job.finished_at.as_ref())
    ));
    if let Some(e) = &job.error {
        out.push_str(&format!(
            "\n  stopped: {} (continue it with: {})",
            e.message,
            resume_command(job)
        ));
    }
    out
}

/// The command that continues a stopped job. A job stopped by its cap gets one high enough
/// for every row it has left, since resuming under the same cap stops again at once.
fn resume_command(job: &Job) -> String {
    let capped = job.error.as_ref().and_then(crate::pb::reason_of).as_deref()
        == Some(crate::pb::JOB_CAP_REACHED_REASON);
    if capped {
        let enough = job.billed + job.total.saturating_sub(job.done);
        format!("phonecheck job resume {} --max-billed {enough}", job.id)
    } else {
        format!("phonecheck job resume {}", job.id)
    }
}
