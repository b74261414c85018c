//! The command-line client: `phonecheck check` and `phonecheck job`. It talks to a server
//! through the generated API ([`crate::pb`]) like any other client, and shares with the server
//! only the number parsing of `checking::number`; it imports nothing else of the
//! serving side (see ARCHITECTURE.md).
//!
//! - [`check`]: `phonecheck check`, a list through one `CheckBulk` stream.
//! - [`job`]: `phonecheck job`, durable jobs.
//! - `report`: the summary printed at the end.
//!
//! Reading and writing lists (text, CSV, workbooks, per-status files) is [`crate::lists`]'s.
//!
//! Each subcommand's clap arguments live beside the command that uses them; what both share
//! (which server, how a list is read) is here.

pub mod check;
pub mod job;
pub mod report;
pub mod usage;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request, Status};

use crate::checking::number::normalize_mobile;
use crate::lists::split::SplitLayout;
use crate::lists::{
    ColumnSpec, HeaderMode, InputFormat, InputOptions, ListError, OutputFormat, SheetSpec, Source,
    SplitFormat,
};
use crate::pb::CheckOptions;
use crate::pb::phone_check_client::PhoneCheckClient;

/// Which server the command-line client talks to, and how.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The phonecheck server's gRPC address: `host:port` (plain HTTP/2), or a URL
    /// (`http://…`, `https://…` for TLS).
    #[arg(
        long = "server",
        env = "PHONECHECK_SERVER",
        default_value = "127.0.0.1:50051",
        global = true
    )]
    pub url: String,

    /// For an https:// server: the CA certificate (PEM) its certificate is signed by.
    #[arg(long, env = "PHONECHECK_CA_CERT", global = true)]
    pub ca_cert: Option<PathBuf>,

    /// API key sent as `authorization: Bearer KEY`, for servers that require one.
    #[arg(
        long,
        env = "PHONECHECK_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub api_key: Option<String>,
}

/// How the command-line client reads a list and sends it: the same for `check` and
/// `job submit`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// How the input is laid out.
    #[arg(long, value_enum, default_value = "auto")]
    pub input_format: InputFormat,

    /// The column holding the numbers: a header name, or a position counting from 1
    /// (default: a column named like phone/mobile/手机号, else the one holding numbers).
    #[arg(long)]
    pub column: Option<ColumnSpec>,

    /// Whether a CSV input or a sheet starts with a header record.
    #[arg(long, value_enum, default_value = "auto")]
    pub header: HeaderMode,

    /// The sheet of a workbook: its name or its position counting from 1 (default: the first
    /// sheet holding phone numbers).
    #[arg(long)]
    pub sheet: Option<SheetSpec>,

    /// The text encoding of a text or CSV input: utf-8, gbk, gb18030, utf-16le, utf-16be, …
    /// (default: detected: a byte-order mark, else UTF-8 when valid, else GB18030).
    #[arg(long, value_parser = crate::lists::read::parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Accept cached answers only this fresh (e.g. 1h, 7d); default: the server's time to live.
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with = "no_cache")]
    pub max_age: Option<Duration>,

    /// Ask the upstream for every number even when the server has a fresh answer cached
    /// (every number is billed).
    #[arg(long)]
    pub no_cache: bool,

    /// Rows per message (at most the server's --max-bulk-chunk).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub chunk: u32,

    /// Say what the list would bill now (and how many rows the server's cache answers, are
    /// invalid or repeat), then stop: nothing is sent upstream, stored or billed.
    #[arg(long)]
    pub dry_run: bool,
}

impl ListArgs {
    /// How the input file is read.
    pub fn input_options(&self) -> InputOptions {
        InputOptions {
            format: self.input_format,
            column: self.column.clone(),
            header: self.header,
            sheet: self.sheet.clone(),
            encoding: self.encoding,
            named_by: crate::lists::ChoiceNames::COMMAND_LINE,
        }
    }

    /// How the server may use its result cache for this list.
    pub fn check_options(&self) -> CheckOptions {
        CheckOptions {
            max_age: self
                .max_age
                .and_then(|d| prost_types::Duration::try_from(d).ok()),
            skip_cache: self.no_cache,
            validate_only: false,
        }
    }
}

/// Where and how `check` and `job results` write the results: the same flags for both.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write results to this file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,

    /// Output format (default: from the --out file name: .xlsx, .jsonl, .txt, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write only where each row was and its result (index, line, input, mobile, status, …)
    /// instead of the whole input row followed by the result columns.
    #[arg(long)]
    pub results_only: bool,

    /// Start CSV outputs with a UTF-8 byte-order mark, so Excel shows Chinese text.
    #[arg(long)]
    pub excel: bool,

    /// Also write one file per status (real, empty, …) into this folder, or into this zip
    /// when the name ends in .zip.
    #[arg(long, value_name = "DIR|FILE.zip")]
    pub split: Option<PathBuf>,

    /// What the per-status files hold: the whole rows under their header (CSV, or XLSX for
    /// a workbook), or the numbers only, each once.
    #[arg(long, value_enum, default_value = "rows")]
    pub split_format: SplitFormat,
}

impl OutputArgs {
    /// The format asked for, else the one `--out`'s name implies, else CSV.
    pub fn format(&self) -> OutputFormat {
        self.format
            .or(self.out.as_deref().map(OutputFormat::for_path))
            .unwrap_or(OutputFormat::Csv)
    }
}

/// What the per-status files hold: the whole rows under `columns` (XLSX when `workbook`, else
/// CSV), or the numbers only when asked or when there are no columns (a text list).
pub fn split_layout(
    format: SplitFormat,
    columns: Option<Vec<String>>,
    workbook: bool,
    bom: bool,
) -> SplitLayout {
    match (format, columns) {
        (SplitFormat::Rows, Some(header)) if workbook => SplitLayout::Xlsx { header },
        (SplitFormat::Rows, Some(header)) => SplitLayout::Csv { header, bom },
        _ => SplitLayout::Txt,
    }
}

/// Why a run could not start or had to stop without writing its output.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Bad command-line use that clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// The input could not be read.
    #[error(transparent)]
    Input(#[from] ListError),
    /// The output could not be written.
    #[error("{path}: {error}")]
    Output {
        /// The file.
        path: String,
        /// What went wrong.
        error: io::Error,
    },
    /// The server could not be reached.
    #[error("cannot reach the server at {server}: {message}")]
    Connect {
        /// The server's address.
        server: String,
        /// Why.
        message: String,
    },
    /// The input holds no rows at all.
    #[error("{0} holds no numbers")]
    NoRows(String),
    /// The server refused the call before any row was sent.
    #[error("{0}")]
    Refused(String),
    /// `--resume` was given an output written for another input.
    #[error(
        "--resume: row {index} (line {line}) of the input is {found:?} but the output has {expected:?}; \
         is this the output of another input? Nothing was changed"
    )]
    ResumeMismatch {
        /// The row.
        index: u64,
        /// Its line in the input.
        line: u64,
        /// The input recorded in the previous output.
        expected: String,
        /// The input now.
        found: String,
    },
}

impl ClientError {
    /// The exit status it ends the command with: 2 for a mistake in the command or the
    /// input (nothing was sent), 1 for the rest.
    pub fn exit_status(&self) -> i32 {
        match self {
            ClientError::Usage(_)
            | ClientError::Input(_)
            | ClientError::NoRows(_)
            | ClientError::Output { .. } => 2,
            _ => 1,
        }
    }
}

impl From<Status> for ClientError {
    /// A call the server refused, as one line a user can act on.
    fn from(status: Status) -> Self {
        ClientError::Refused(describe(&status))
    }
}

/// The rows come from the arguments when they are numbers, else from one file or stdin.
pub fn source(inputs: &[String]) -> Result<Source, ClientError> {
    match inputs {
        [] => Ok(Source::Stdin),
        [one] if one == "-" => Ok(Source::Stdin),
        [one] if Path::new(one).is_file() => Ok(Source::File(PathBuf::from(one))),
        many => {
            // Not files: numbers. A word that is neither names the likely mistake.
            if let Some(bad) = many
                .iter()
                .find(|a| normalize_mobile(a).is_err() && !a.chars().any(|c| c.is_ascii_digit()))
            {
                return Err(ClientError::Usage(format!(
                    "{bad:?} is neither a file nor a phone number (give numbers, or one file, or - for stdin)"
                )));
            }
            Ok(Source::Numbers(many.to_vec()))
        }
    }
}

/// An output file's error, naming the file.
pub fn output_error(path: &str, error: io::Error) -> ClientError {
    ClientError::Output {
        path: path.to_owned(),
        error,
    }
}

/// The generated client, with the API key added to every call.
pub type BulkClient = PhoneCheckClient<InterceptedService<Channel, Auth>>;

/// Connects to the server the flags name, with its CA certificate and API key.
pub async fn connect(args: &ServerArgs) -> Result<BulkClient, ClientError> {
    let server = server_url(&args.url);
    let (server, ca_cert, api_key) = (
        server.as_str(),
        args.ca_cert.as_deref(),
        args.api_key.as_deref(),
    );
    let failed = |message: String| ClientError::Connect {
        server: server.to_owned(),
        message,
    };
    let mut endpoint = Endpoint::from_shared(server.to_owned())
        .map_err(|e| failed(format!("not a server URL ({e})")))?
        .connect_timeout(Duration::from_secs(10));
    if server.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(path) = ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| ClientError::Usage(format!("--ca-cert {}: {e}", path.display())))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        endpoint = endpoint
            .tls_config(tls)
            .map_err(|e| failed(format!("TLS: {e}")))?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| failed(crate::causes::one_line(&e)))?;
    let auth = match api_key {
        None => Auth(None),
        Some(key) => Auth(Some(
            MetadataValue::try_from(format!("Bearer {key}")).map_err(|_| {
                ClientError::Usage("--api-key holds characters a header cannot".into())
            })?,
        )),
    };
    Ok(PhoneCheckClient::with_interceptor(channel, auth).max_decoding_message_size(64 << 20))
}

/// The server as a URL: `host:port`, as grpcurl and README write it, means plain HTTP/2 to
/// it (`http://host:port`); a URL with a scheme is kept.
fn server_url(server: &str) -> String {
    let server = server.trim();
    if server.contains("://") {
        server.to_owned()
    } else {
        format!("http://{server}")
    }
}

/// Whether a failed call reached an HTTP server that is not phonecheck's gRPC (the console
/// and ALAPI door's port, a web server): its answer is a plain HTTP page or JSON, whose first
/// byte tonic reads as a message's compression flag ("protocol error: received message with
/// invalid compression flag: 123 … while receiving response with status: 404 Not Found").
fn answered_by_plain_http(status: &Status) -> bool {
    let message = status.message();
    message.contains("invalid compression flag")
        || message.contains("while receiving response with status")
}

/// Adds the API key to every call.
#[derive(Clone)]
pub struct Auth(Option<MetadataValue<tonic::metadata::Ascii>>);

impl tonic::service::Interceptor for Auth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(key) = &self.0 {
            request.metadata_mut().insert("authorization", key.clone());
        }
        Ok(request)
    }
}

/// A status as one line a user can act on.
fn describe(status: &Status) -> String {
    if answered_by_plain_http(status) {
        return "this address answers HTTP, not phonecheck's gRPC: point --server at the gRPC \
                port (`serve --listen`, 127.0.0.1:50051 by default); the HTTP port \
                (`--http-listen`) serves the web console and the ALAPI-compatible door"
            .to_owned();
    }
    let reason = tonic_types::StatusExt::get_details_error_info(status)
        .map(|i| i.reason)
        .unwrap_or_default();
    let what = match (status.code(), reason.as_str()) {
        (Code::ResourceExhausted, "UPSTREAM_QUOTA_EXHAUSTED") => "the upstream quota is used up",
        (Code::Unauthenticated, r) if r.starts_with("UPSTREAM") => {
            "the server's upstream token is refused"
        }
        (Code::Unauthenticated, _) => {
            "the server refused the API key (--api-key / PHONECHECK_API_KEY)"
        }
        (Code::PermissionDenied, r) if r.starts_with("UPSTREAM") => {
            "the upstream refused the server's account"
        }
        // The request itself: a bad date, another caller's usage without an admin key…
        (Code::PermissionDenied | Code::InvalidArgument | Code::FailedPrecondition, _) => {
            "the server refused the request"
        }
        // Only a job id names something a call can miss.
        (Code::NotFound, _) => "the server has no such job",
        (Code::Unavailable, _) => "the server is unavailable",
        (Code::DeadlineExceeded, _) => "the deadline passed",
        (Code::ResourceExhausted, _) => "a limit was reached",
        _ => "the server failed the call",
    };
    format!("{what} ({:?}: {})", status.code(), status.message())
}
