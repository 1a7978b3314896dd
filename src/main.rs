//! The `pomost` command: `serve` runs the gRPC service; `hash-key` prints what to put in the
//! configuration for an API key; `simulate` runs the ranking offline on synthetic data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pomost::config::{Overrides, Settings};
use pomost::simulate::{SimulateArgs, simulate};
use tracing_subscriber::EnvFilter;

/// Pomost: ranked, explained shortlists of people in reintegration for job offers.
#[derive(Debug, Parser)]
#[command(name = "pomost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC service (defaults: 127.0.0.1:50051, data in ./data, dev mode without keys).
    Serve {
        /// A TOML configuration file (see config/default.toml for every option).
        #[arg(long, env = "POMOST_CONFIG")]
        config: Option<PathBuf>,
        /// Listen address, e.g. 127.0.0.1:50051.
        #[arg(long)]
        listen: Option<String>,
        /// Data directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Log JSON lines.
        #[arg(long)]
        log_json: bool,
    },
    /// Print the SHA-256 of an API key, for [[auth.keys]] in the configuration.
    HashKey {
        /// The bearer token.
        token: String,
    },
    /// Build a synthetic pool and print a shortlist with its explanation.
    Simulate(SimulateArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve { config, listen, data_dir, log_json } => {
            serve(config, Overrides { listen, data_dir, log_json })
        }
        Command::HashKey { token } => {
            println!("{}", pomost::auth::hash_key(&token));
            Ok(())
        }
        Command::Simulate(args) => simulate(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pomost: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Option<PathBuf>, overrides: Overrides) -> Result<(), String> {
    let settings = Settings::load(config.as_deref(), &overrides)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    if settings.log.json {
        tracing_subscriber::fmt().with_env_filter(filter).json().init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|error| format!("cannot listen on {}: {error}", settings.listen))?;
        pomost::server::run(settings, listener, shutdown_signal()).await
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
