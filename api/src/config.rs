//! Typed configuration, read once at start-up from flags and environment
//! variables (clap with `env`), then passed down. Nothing else in the crate
//! reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The `shopgraph` command line.
#[derive(Debug, Parser)]
#[command(name = "shopgraph", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (the default when no command is given).
    Serve,
    /// Write the GraphQL schema (SDL) to a file, `schema.graphql` by default.
    ExportSchema {
        /// Where to write the SDL; `-` writes to standard output.
        #[arg(default_value = "schema.graphql")]
        path: PathBuf,
    },
}

/// Server settings. Every flag can also be given by the environment variable
/// named beside it.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database to serve: `sqlite://FILE?mode=rwc` (created if missing) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://shop.db?mode=rwc"
    )]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "SHOPGRAPH_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Log filter in `tracing` syntax; `sqlx=debug` shows every SQL statement.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// ISO 4217 code of the shop's currency. Prices are stored in its minor
    /// units, assumed to be hundredths (USD, EUR, GBP, ...).
    #[arg(long, env = "SHOPGRAPH_CURRENCY", default_value = "USD", value_parser = parse_currency)]
    pub currency: String,

    /// Fill an empty database with a few demo customers, products and carts.
    #[arg(long, env = "SHOPGRAPH_SEED_DEMO")]
    pub seed_demo: bool,

    /// Size of the database connection pool.
    #[arg(long, env = "SHOPGRAPH_DB_POOL_SIZE", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub db_pool_size: u32,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SHOPGRAPH_MAX_BODY_BYTES", default_value_t = 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_body_bytes: u64,
}

impl Config {
    /// The defaults, as `shopgraph` with no flags and no environment would use them,
    /// but for the given database. Tests build on this.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Cli::parse_from(["shopgraph"]).config;
        config.database_url = database_url.into();
        config
    }
}

fn parse_currency(code: &str) -> Result<String, String> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "`{code}` is not an ISO 4217 currency code (three capital letters)"
        ))
    }
}
