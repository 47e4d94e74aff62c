//! `arena-worker`: serves models to an arena over the worker protocol
//! (`--server URL --token T (--config worker.toml | --demo)`), or makes one image from
//! a local model folder (`arena-worker generate`, with the `candle` feature).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use arena_worker::client::WorkerClient;
use arena_worker::config::{WorkerConfig, load_backends};
use arena_worker::run::{RunOptions, run};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "arena-worker",
    version,
    about = "Generates images for an arena: leases jobs, draws them, uploads the results",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// The arena's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "ARENA_SERVER")]
    server: Option<String>,
    /// The worker token printed by `arena workers add NAME`.
    #[arg(long, env = "ARENA_WORKER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// worker.toml: the models to serve and their backends.
    #[arg(long, conflicts_with = "demo")]
    config: Option<PathBuf>,
    /// Serve every built-in demo model (no configuration needed).
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One image from a local model folder, no server (to try a model).
    #[cfg(feature = "candle")]
    Generate(arena_worker::candle::GenerateArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        #[cfg(feature = "candle")]
        Some(Command::Generate(args)) => arena_worker::candle::run_generate(&args),
        None => serve(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(cli: Cli) -> anyhow::Result<()> {
    let config = match (&cli.config, cli.demo) {
        (Some(path), _) => WorkerConfig::load(path)?,
        (None, true) => WorkerConfig::demo(),
        (None, false) => anyhow::bail!("say which models to serve: --config worker.toml or --demo"),
    };
    let server = cli
        .server
        .or(config.server.clone())
        .context("--server URL is required (or `server` in the config file)")?;
    let token = cli
        .token
        .context("--token is required (create one with `arena workers add NAME`)")?;
    let options = RunOptions {
        wait_secs: config
            .wait_secs
            .unwrap_or(arena_worker::protocol::MAX_WAIT_SECS),
        shutdown_grace: Duration::from_secs(config.shutdown_grace_secs.unwrap_or(60)),
        ..RunOptions::default()
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let backends = load_backends(&config)?;
        let client = WorkerClient::new(&server, &token)?;
        let (stop_tx, stop) = tokio::sync::watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                shutdown_signal().await;
                let n = *stop_tx.borrow() + 1;
                match n {
                    1 => tracing::info!("stopping: finishing the current job (again to stop now)"),
                    _ => tracing::info!("stopping now: giving the current job back"),
                }
                if stop_tx.send(n).is_err() {
                    break;
                }
            }
        });
        run(&client, &backends, &options, stop).await.map(|_| ())
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
