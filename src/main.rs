//! The `shopgraph` binary: the command line, logging and signals. Serving
//! is the `api` library's job ([`api::App`]), the same door the tests use.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// A GraphQL response is built from many small allocations (a map per
/// object, a string per field); mimalloc serves them faster than glibc's
/// malloc (see bench/results/latest.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// shopgraph: a GraphQL API server for a shop (customers, products, carts)
/// over SQLite or PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "shopgraph", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: api::Config,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API (the default when no command is given).
    Serve,
    /// Write the GraphQL schema (SDL) to a file, `schema.graphql` by default.
    ExportSchema {
        /// Where to write the SDL; `-` writes to standard output.
        #[arg(default_value = "schema.graphql")]
        path: PathBuf,
    },
    /// Delete the guest carts nobody changed for `--guest-cart-idle-hours`
    /// (the server also does this every hour), and say how many.
    PurgeGuestCarts,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::ExportSchema { path } => {
            let sdl = api::schema::sdl();
            if path.as_os_str() == "-" {
                print!("{sdl}");
            } else {
                std::fs::write(&path, sdl)
                    .with_context(|| format!("could not write {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
        Command::PurgeGuestCarts => {
            let purged = api::purge_guest_carts(&cli.config).await?;
            println!("guest carts purged: {purged}");
            Ok(())
        }
    }
}

async fn serve(config: api::Config) -> anyhow::Result<()> {
    // Logs go to stderr, so stdout carries only the start-up banner.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("invalid log filter")?)
        .with_writer(std::io::stderr);
    match config.log_format {
        api::config::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // One JSON object per line; the fields of every span the line was
        // logged in (the request's ID among them) in `spans`.
        api::config::LogFormat::Json => logs.json().with_span_list(true).init(),
    }
    let app = api::App::build(&config).await?;
    let addr = app.local_addr()?;
    tracing::info!(database = %api::redact(&config.database_url), "GraphiQL on http://{addr}/ , GraphQL endpoint http://{addr}/graphql");
    println!("shopgraph listening on http://{addr}/ (GraphQL endpoint: http://{addr}/graphql)");
    app.run(shutdown_signal()).await?;
    tracing::info!("shut down");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
