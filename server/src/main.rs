use std::io::IsTerminal;
use std::process::ExitCode;

use arena_server::cli::{Cli, Command};
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    // The server and the load generator run on every core. The other commands are a
    // few queries or a file read on threads of their own: a runtime on this thread
    // spares them the start of a worker per core, which an offline board would wait
    // for as long as it takes to read a small file.
    let mut runtime = match &cli.command {
        None | Some(Command::Serve(_) | Command::Bench(_)) => {
            tokio::runtime::Builder::new_multi_thread()
        }
        Some(_) => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
