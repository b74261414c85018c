//! The `phonecheck` binary: `serve` runs the gRPC server, `mock-upstream` the simulated ALAPI.

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use phonecheck::client::report::thousands;
use phonecheck::client::{self, Stop};
use phonecheck::config::{
    CheckArgs, Cli, Command, LogFormat, MockUpstreamArgs, ServeArgs, UpstreamTarget,
};
use phonecheck::server;
use phonecheck::upstream::Token;
use phonecheck::upstream::simulator::{self, Simulator, SimulatorConfig};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::MockUpstream(args) => mock_upstream(args).await,
        Command::Check(args) => std::process::exit(check(args).await),
        Command::Job(args) => std::process::exit(match client::jobs::run(args).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("phonecheck: {e}");
                1
            }
        }),
    };
    if let Err(e) = result {
        // One clear line, with its causes, and a non-zero exit.
        eprintln!("phonecheck: {e:#}");
        std::process::exit(1);
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.into_config(std::env::var("ALAPI_TOKEN").ok())?;

    // Kept alive for as long as the server runs: dropping it stops the simulator.
    let mut _demo = None;
    let (url, token) = match &config.upstream {
        UpstreamTarget::Remote { url, token } => (url.clone(), token.clone()),
        UpstreamTarget::Demo => {
            let token = Token::new("demo");
            let running = simulator::spawn(SimulatorConfig {
                token: Some(token.clone()),
                ..SimulatorConfig::default()
            })
            .await
            .context("starting the demo upstream")?;
            let url = running.url();
            tracing::warn!(%url, "DEMO MODE: results are simulated by the built-in mock upstream; nothing real is checked or billed");
            _demo = Some(running);
            (url, token)
        }
    };

    let assembled = server::build_pipeline(&config, url.clone(), token)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("--listen {}: cannot bind", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, upstream = %url, qps = config.qps.map_or(0, |q| q.get()),
        max_batch = config.max_batch, linger_ms = config.linger.as_millis() as u64,
        concurrency = config.concurrency, tls = config.tls.is_some(),
        mutual_tls = config.tls.as_ref().is_some_and(|t| t.client_ca.is_some()),
        "phonecheck listening (gRPC)");
    match &assembled.keys {
        Some(keys) => {
            tracing::info!(file = ?config.api_keys_file, "API keys required (reloaded on SIGHUP)");
            tokio::spawn(reload_keys_on_sighup(keys.clone()));
        }
        None if addr.ip().is_loopback() => tracing::info!(
            "no --api-keys-file: the API is open to anyone who can reach this loopback address"
        ),
        None => tracing::warn!(%addr,
            "NO API KEYS on a non-loopback address: anyone who can reach it spends the upstream account's money; set --api-keys-file"),
    }
    if let Some(metrics_addr) = config.metrics_listen {
        let handle = phonecheck::metrics::install()?;
        let listener = TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("--metrics-listen {metrics_addr}: cannot bind"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "metrics listening: GET /metrics");
        // Served until the process ends, so the last scrapes see the shutdown too.
        tokio::spawn(async move {
            if let Err(e) =
                phonecheck::metrics::serve(listener, handle, std::future::pending()).await
            {
                tracing::error!(error = %e, "the metrics endpoint stopped");
            }
        });
    }
    let max_message = server::max_message_bytes(config.limits.max_stream_numbers);
    let (signalled, mut on_signal) = tokio::sync::watch::channel(());
    if let Some(http) = config.http_listen {
        let listener = TcpListener::bind(http)
            .await
            .with_context(|| format!("--http-listen {http}: cannot bind"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "ALAPI-compatible HTTP endpoint listening: POST /api/phonecheck");
        let (pipeline, keys) = (assembled.pipeline.clone(), assembled.keys.clone());
        let mut stop = on_signal.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = phonecheck::alapi::serve(listener, pipeline, keys, stopped).await {
                tracing::error!(error = %e, "the HTTP endpoint stopped");
            }
        });
    }
    let serve = server::serve(listener, assembled, max_message, async move {
        shutdown_signal().await;
        let _ = signalled.send(());
    });
    tokio::select! {
        result = serve => result?,
        // tonic waits for every open connection to close; a client that never lets go must
        // not keep the process alive past the grace period.
        _ = async {
            let _ = on_signal.changed().await;
            tokio::time::sleep(config.shutdown_grace).await;
        } => tracing::warn!(grace = ?config.shutdown_grace, "open calls did not finish in time; stopping anyway"),
    }
    tracing::info!("phonecheck stopped");
    Ok(())
}

/// Runs `phonecheck check` and returns its exit status: 0 when every row has its answer, 1
/// when the run failed or stopped with rows unanswered, 130 after Ctrl-C.
async fn check(args: CheckArgs) -> i32 {
    let quiet = args.quiet;
    let report = match client::check(args).await {
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
        ..SimulatorConfig::default()
    });
    tracing::info!(url = %format!("http://{addr}/api/phonecheck"), stats = %format!("http://{addr}/stats"),
        "mock upstream listening");
    simulator::serve(listener, sim, shutdown_signal()).await?;
    Ok(())
}

/// Reads the API keys file again on every SIGHUP; a broken file keeps the keys in force.
async fn reload_keys_on_sighup(keys: std::sync::Arc<phonecheck::auth::ApiKeys>) {
    #[cfg(unix)]
    {
        let mut hangups =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGHUP; keys will not reload");
                    return;
                }
            };
        while hangups.recv().await.is_some() {
            match keys.reload() {
                Ok(n) => tracing::info!(keys = n, "API keys reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "API keys not reloaded; the previous keys stay in force")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = keys;
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
