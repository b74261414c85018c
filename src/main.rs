//! The `phonecheck` binary: `serve` runs the server ([`phonecheck::serving`]), `mock-upstream`
//! the simulated ALAPI, and `check` / `job` the command-line client ([`phonecheck::cli`]).
//! Everything but parsing the command line and setting up logs lives in the library.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use phonecheck::checking::upstream::Token;
use phonecheck::checking::upstream::simulator::{self, Faults, Simulator, SimulatorConfig};
#[cfg(feature = "cli")]
use phonecheck::cli::{check::CheckArgs, job::JobArgs};
use phonecheck::serving::{ServeArgs, Server};
use phonecheck::traces::{TraceError, TraceExport};

/// phonecheck: a gRPC service in front of the ALAPI phone-number status API (空号检测).
#[derive(Debug, Parser)]
#[command(name = "phonecheck", version, about, long_about = None)]
struct Cli {
    /// Log lines as text for people or JSON for log collectors (filter with RUST_LOG, e.g.
    /// RUST_LOG=phonecheck=debug).
    #[arg(
        long,
        global = true,
        env = "PHONECHECK_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,

    /// What to run.
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC server.
    Serve(Box<ServeArgs>),
    /// Run the simulated ALAPI upstream (for tests, demos and your own integration tests).
    MockUpstream(MockUpstreamArgs),
    /// Check a list of numbers (arguments, a text/CSV file, or stdin) through a server.
    #[cfg(feature = "cli")]
    Check(CheckArgs),
    /// Durable jobs on a server: submit a list, disconnect, come back for the results.
    #[cfg(feature = "cli")]
    Job(JobArgs),
    /// What callers spent, by day: numbers billed, cache hits, invalid inputs, repeats, calls.
    #[cfg(feature = "cli")]
    Usage(phonecheck::cli::usage::UsageArgs),
}

/// Flags of `phonecheck mock-upstream`.
#[derive(Debug, Clone, Args)]
struct MockUpstreamArgs {
    /// Address to serve the simulated upstream on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The only token to accept (default: any non-empty token).
    #[arg(long, env = "MOCK_UPSTREAM_TOKEN")]
    token: Option<String>,
    /// Calls per second allowed before answering 429 (default: unlimited).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    qps: Option<u32>,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fraction of calls (0.0 to 1.0) failing with HTTP 502 at random.
    #[arg(long, default_value_t = 0.0, value_parser = phonecheck::traces::fraction)]
    fail_rate: f64,
    /// Fraction of successful answers (0.0 to 1.0) whose `usage` is not the number of
    /// entries, to see how a server reports it.
    #[arg(long, default_value_t = 0.0, value_parser = phonecheck::traces::fraction)]
    wrong_usage: f64,
    /// Every N-th call fails, alternately with 429 and HTTP 500 (a deterministic flaky upstream).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    fail_every: Option<u32>,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let export = match logs(&cli) {
        Ok(export) => export,
        Err(e) => {
            eprintln!("phonecheck: {}", phonecheck::causes::one_line(&e));
            std::process::exit(2);
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::MockUpstream(args) => mock_upstream(args).await,
        #[cfg(feature = "cli")]
        Command::Check(args) => std::process::exit(phonecheck::cli::check::run(args).await),
        #[cfg(feature = "cli")]
        Command::Job(args) => std::process::exit(phonecheck::cli::job::run(args).await),
        #[cfg(feature = "cli")]
        Command::Usage(args) => std::process::exit(phonecheck::cli::usage::run(args).await),
    };
    if let Some(export) = export {
        // Blocks while the last spans are sent.
        let _ = tokio::task::spawn_blocking(move || export.shutdown()).await;
    }
    if let Err(e) = result {
        // One clear line, with its causes, and a non-zero exit.
        eprintln!("phonecheck: {}", phonecheck::causes::one_line(e.as_ref()));
        std::process::exit(1);
    }
}

/// Sets up the log lines on stderr (`RUST_LOG` filters them, and the spans exported with
/// them) and, for `serve --otlp-endpoint`, the trace exporter, returned to be shut down last.
fn logs(cli: &Cli) -> Result<Option<TraceExport>, TraceError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match cli.log_format {
        LogFormat::Json => lines.json().boxed(),
        LogFormat::Text => lines
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .boxed(),
    };
    let logs = tracing_subscriber::registry().with(filter).with(lines);
    let traces = match &cli.command {
        Command::Serve(args) => TraceExport::start(&args.traces)?,
        _ => None,
    };
    let (layer, export) = traces.unzip();
    logs.with(layer).init();
    Ok(export)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.into_config(std::env::var("ALAPI_TOKEN").ok())?;
    if let Some(table) = config.segments.take() {
        let listed = table.listed();
        phonecheck::checking::segments::install(table)?;
        tracing::info!(prefixes = listed, "number blocks from --segments-file");
    }
    let server = Server::bind(config).await?;
    server.run(shutdown_signal()).await?;
    Ok(())
}

async fn mock_upstream(args: MockUpstreamArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("--listen {}: cannot bind", args.listen))?;
    let addr = listener.local_addr()?;
    let sim = Simulator::new(SimulatorConfig {
        token: args.token.map(Token::new),
        qps: args.qps,
        latency: std::time::Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        fail_every: args.fail_every,
        faults: Faults {
            wrong_usage: args.wrong_usage,
            ..Faults::default()
        },
        ..SimulatorConfig::default()
    });
    tracing::info!(url = %format!("http://{addr}/api/phonecheck"), stats = %format!("http://{addr}/stats"),
        "mock upstream listening");
    simulator::serve(listener, sim, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
