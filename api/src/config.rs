//! Typed configuration, read once at start-up from flags and environment
//! variables (clap with `env`), then passed down. Nothing else in the crate
//! reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// shopgraph: a GraphQL API server for a shop (customers, products, carts)
/// over SQLite or PostgreSQL.
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
    #[arg(long, env = "DATABASE_URL", default_value = defaults::DATABASE_URL)]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "SHOPGRAPH_LISTEN", default_value_t = defaults::listen())]
    pub listen: SocketAddr,

    /// Log filter in `tracing` syntax; `sqlx=debug` shows every SQL statement.
    #[arg(long, env = "RUST_LOG", default_value = defaults::LOG)]
    pub log: String,

    /// ISO 4217 code of the shop's currency. Prices are stored in its minor
    /// units, assumed to be hundredths (USD, EUR, GBP, ...).
    #[arg(long, env = "SHOPGRAPH_CURRENCY", default_value = defaults::CURRENCY,
          value_parser = parse_currency)]
    pub currency: String,

    /// Fill an empty database with a few demo customers, products and carts.
    #[arg(long, env = "SHOPGRAPH_SEED_DEMO")]
    pub seed_demo: bool,

    /// Size of the database connection pool.
    #[arg(long, env = "SHOPGRAPH_DB_POOL_SIZE", default_value_t = defaults::DB_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub db_pool_size: u32,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SHOPGRAPH_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_body_bytes: u64,

    /// An origin allowed to call the API from a browser (CORS), such as
    /// `https://shop.example`; repeat the flag or separate them by commas in
    /// the variable. `*` allows any origin. None: same origin only.
    #[arg(
        long = "cors-origin",
        env = "SHOPGRAPH_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Where GraphiQL's npm packages are installed (a `node_modules`
    /// directory); by default `web/graphiql/node_modules` of the checkout.
    /// Without them the page at `/` loads GraphiQL from a CDN.
    #[arg(long, env = "SHOPGRAPH_GRAPHIQL_ASSETS")]
    pub graphiql_assets: Option<std::path::PathBuf>,
}

/// The default of each setting, shared by the command line and [`Config::for_database`].
mod defaults {
    use std::net::{Ipv4Addr, SocketAddr};

    pub const DATABASE_URL: &str = "sqlite://shop.db?mode=rwc";
    pub const LOG: &str = "info";
    pub const CURRENCY: &str = "USD";
    pub const DB_POOL_SIZE: u32 = 10;
    pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

    pub fn listen() -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, 8000))
    }
}

impl Config {
    /// The default settings, ignoring the environment, for the given
    /// database. Tests build on this, so they do not depend on the shell.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            listen: defaults::listen(),
            log: defaults::LOG.to_owned(),
            currency: defaults::CURRENCY.to_owned(),
            seed_demo: false,
            db_pool_size: defaults::DB_POOL_SIZE,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            cors_origins: Vec::new(),
            graphiql_assets: None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes() {
        assert!(parse_currency("EUR").is_ok());
        assert!(parse_currency("eur").is_err());
        assert!(parse_currency("EURO").is_err());
    }
}
