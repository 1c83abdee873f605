//! The `shopgraph` binary: the command line, logging and signals. Serving
//! is the `api` library's job ([`api::App`]), the same door the tests use.

// The merged mutation root's resolver futures nest deeper than the
// default limit of 128 lets the compiler lay out.
#![recursion_limit = "256"]

use std::path::PathBuf;

use anyhow::Context as _;
use api::store::db::MigrationStep;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod settings;
mod telemetry;

/// A GraphQL response is built from many small allocations (a map per
/// object, a string per field); mimalloc serves them faster than glibc's
/// malloc (see bench/results/latest.md). Built without transparent huge
/// pages (`no_thp`): mimalloc asks for them on its arenas, and a 2 MiB
/// page is resident as soon as one byte of it is touched — measured, the
/// SQLite server's peak RSS under the benchmark fell from 104–105 to
/// 72–84 MiB at the same throughput.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// shopgraph: a GraphQL API server for a shop (customers, products, carts)
/// over SQLite or PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "shopgraph", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A TOML file of settings, under the flags' names
    /// (`database-url = "…"`); the environment and the flags override it.
    #[arg(long = settings::FLAG, env = settings::ENV)]
    config_file: Option<PathBuf>,
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
    /// Print the effective settings (flags over environment over file over
    /// defaults), as TOML, with secrets hidden.
    Config,
    /// Apply or roll back the database's migrations (the server applies
    /// pending ones at start), then list them, applied or pending.
    Migrate {
        #[command(subcommand)]
        step: MigrateStep,
    },
    /// Delete the guest carts nobody changed for `--guest-cart-idle-hours`
    /// (the server also does this every hour), and say how many.
    PurgeGuestCarts,
}

#[derive(Debug, Subcommand)]
enum MigrateStep {
    /// Only list the migrations.
    Status,
    /// Apply the pending migrations.
    Up,
    /// Roll back the last applied migrations (one by default).
    Down {
        #[arg(default_value_t = 1)]
        steps: u32,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = Cli::command();
    let layered = settings::with_file(&command, std::env::args_os().collect())?;
    let matches = command
        .clone()
        .try_get_matches_from(&layered.args)
        .unwrap_or_else(|err| err.exit());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config => {
            print!("{}", settings::describe(&command, &matches, &layered));
            Ok(())
        }
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
        Command::Migrate { step } => {
            let step = match step {
                MigrateStep::Status => MigrationStep::Status,
                MigrateStep::Up => MigrationStep::Up,
                MigrateStep::Down { steps } => MigrationStep::Down(steps),
            };
            let migrations = api::store::db::migrate(&cli.config, step)
                .await
                .with_context(|| {
                    format!(
                        "could not migrate the database at {}",
                        api::redact(&cli.config.database_url)
                    )
                })?;
            for (name, applied) in migrations {
                println!("{} {name}", if applied { "applied" } else { "pending" });
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
    let telemetry = telemetry::install(&config)?;
    let app = api::App::build(&config).await?;
    let addr = app.local_addr()?;
    tracing::info!(database = %api::redact(&config.database_url), "GraphiQL on http://{addr}/ , GraphQL endpoint http://{addr}/graphql");
    println!("shopgraph listening on http://{addr}/ (GraphQL endpoint: http://{addr}/graphql)");
    app.run(shutdown_signal()).await?;
    tracing::info!("shut down");
    if let Some(provider) = telemetry {
        // The spans not yet exported go now, or never.
        if let Err(err) = provider.shutdown() {
            eprintln!("could not export the last spans: {err}");
        }
    }
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
