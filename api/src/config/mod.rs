//! Typed configuration: the server's settings as flags and environment
//! variables (clap's `Args` with `env`), read once by the binary's command
//! line (`src/main.rs`) and passed down. Nothing in the crate reads the
//! environment.

mod defaults;
mod redact;

use std::net::SocketAddr;

use clap::Args;
use defaults::{parse_currency, parse_ratio};
pub use redact::redact;

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

    /// Where to serve Prometheus metrics (`GET /metrics`), e.g.
    /// `127.0.0.1:9100`; off when unset. Never the API's address: metrics
    /// are for the operator's network, not for clients.
    #[arg(long, env = "SHOPGRAPH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Log filter in `tracing` syntax; `sqlx=debug` shows every SQL statement.
    #[arg(long, env = "RUST_LOG", default_value = defaults::LOG)]
    pub log: String,

    /// An OpenTelemetry collector's OTLP/HTTP base URL (e.g.
    /// `http://127.0.0.1:4318`): spans of every request, GraphQL operation,
    /// batch load and SQL statement are exported there, continuing the
    /// caller's W3C `traceparent`. Off when unset.
    #[arg(long, env = "SHOPGRAPH_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// The share of traces starting at this server that are exported, 0
    /// to 1 (a caller's sampled trace is always continued). Decided as a
    /// request arrives; an untraced request builds no span. Tracing every
    /// request costs 6-19% of the throughput of the bench's operations on
    /// 2 cores, 0.1 costs 0-8% (bench/results/latest.md).
    #[arg(long, env = "SHOPGRAPH_OTLP_SAMPLE_RATIO", default_value_t = 1.0,
          value_parser = parse_ratio)]
    pub otlp_sample_ratio: f64,

    /// How log lines are written: `text` for people, `json` (one object per
    /// line, with the request's span fields such as `request_id`) for log
    /// shippers.
    #[arg(long, env = "SHOPGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// ISO 4217 code of the shop's currency. Prices are stored in its minor
    /// units, assumed to be hundredths (USD, EUR, GBP, ...).
    #[arg(long, env = "SHOPGRAPH_CURRENCY", default_value = defaults::CURRENCY,
          value_parser = parse_currency)]
    pub currency: String,

    /// Prices (and shipping rates) include tax, as in the EU: the tax is
    /// the part of them that is tax. Off: tax is added on top, as in the US.
    #[arg(long, env = "SHOPGRAPH_PRICES_INCLUDE_TAX")]
    pub prices_include_tax: bool,

    /// Tax shipping at the address's rate too. Off: shipping is not taxed.
    #[arg(long, env = "SHOPGRAPH_TAX_SHIPPING")]
    pub tax_shipping: bool,

    /// Fill an empty database with a few demo customers, products and carts.
    #[arg(long, env = "SHOPGRAPH_SEED_DEMO")]
    pub seed_demo: bool,

    /// Size of the database connection pool.
    #[arg(long, env = "SHOPGRAPH_DB_POOL_SIZE", default_value_t = defaults::DB_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection, in milliseconds;
    /// when the database is down, requests fail with SERVICE_UNAVAILABLE
    /// after this.
    #[arg(long, env = "SHOPGRAPH_DB_ACQUIRE_TIMEOUT_MS", default_value_t = defaults::DB_ACQUIRE_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub db_acquire_timeout_ms: u64,

    /// SQLite: how long a write waits for its turn, behind this server's
    /// other writers (a first-come, first-served queue) or another process
    /// holding the file, before failing with SERVICE_UNAVAILABLE, in ms.
    #[arg(long, env = "SHOPGRAPH_DB_BUSY_TIMEOUT_MS", default_value_t = defaults::DB_BUSY_TIMEOUT_MS)]
    pub db_busy_timeout_ms: u64,

    /// On SIGTERM/SIGINT, how long to keep serving (with `/ready` answering
    /// 503, so load balancers stop sending traffic) before closing, in ms.
    #[arg(long, env = "SHOPGRAPH_SHUTDOWN_DRAIN_MS", default_value_t = 0)]
    pub shutdown_drain_ms: u64,

    /// After that, how long requests in flight may take to finish before
    /// the server exits anyway, in ms.
    #[arg(long, env = "SHOPGRAPH_SHUTDOWN_GRACE_MS", default_value_t = defaults::SHUTDOWN_GRACE_MS)]
    pub shutdown_grace_ms: u64,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SHOPGRAPH_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_body_bytes: u64,

    /// Longest wait for a complete request head, in milliseconds: from the
    /// connection's opening, and between requests on a kept-alive
    /// connection (so also its idle timeout). Then the connection closes.
    #[arg(long, env = "SHOPGRAPH_HEADER_TIMEOUT_MS", default_value_t = defaults::HEADER_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,

    /// Longest a request body may take to arrive, in milliseconds (408).
    #[arg(long, env = "SHOPGRAPH_BODY_TIMEOUT_MS", default_value_t = defaults::BODY_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,

    /// Most connections open at once, WebSockets included; more are answered
    /// 503 and closed. Lowered at start under the open-file limit.
    #[arg(long, env = "SHOPGRAPH_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Most connections open at once from one client address; 0 for no
    /// limit (set 0 behind a proxy, where every client has its address).
    #[arg(long, env = "SHOPGRAPH_MAX_CONNECTIONS_PER_IP", default_value_t = defaults::MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: u32,

    /// WebSocket: longest wait for `connection_init`, in milliseconds (then
    /// close 4408).
    #[arg(long, env = "SHOPGRAPH_WS_INIT_TIMEOUT_MS", default_value_t = defaults::WS_INIT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_init_timeout_ms: u64,

    /// WebSocket: ping interval in milliseconds; a client that sends nothing
    /// (not even a pong) for two intervals is disconnected.
    #[arg(long, env = "SHOPGRAPH_WS_KEEPALIVE_MS", default_value_t = defaults::WS_KEEPALIVE_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_keepalive_ms: u64,

    /// WebSocket: longest a message may wait to be written, in
    /// milliseconds; a client that does not read within it is disconnected.
    #[arg(long, env = "SHOPGRAPH_WS_WRITE_TIMEOUT_MS", default_value_t = defaults::WS_WRITE_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_write_timeout_ms: u64,

    /// Most subscriptions open on one WebSocket connection
    /// (TOO_MANY_SUBSCRIPTIONS).
    #[arg(long, env = "SHOPGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = defaults::MAX_SUBSCRIPTIONS_PER_CONNECTION,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_subscriptions_per_connection: u32,

    /// Most subscriptions open at once for one customer, over all their
    /// connections to this instance (TOO_MANY_SUBSCRIPTIONS).
    #[arg(long, env = "SHOPGRAPH_MAX_SUBSCRIPTIONS_PER_CUSTOMER", default_value_t = defaults::MAX_SUBSCRIPTIONS_PER_CUSTOMER,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_subscriptions_per_customer: u32,

    /// An origin allowed to call the API from a browser (CORS), such as
    /// `https://shop.example`; repeat the flag or separate them by commas in
    /// the variable. `*` allows any origin. None: same origin only.
    #[arg(
        long = "cors-origin",
        env = "SHOPGRAPH_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// How long shared caches (CDNs, proxies, browsers) may keep the answer
    /// to an anonymous GET of catalogue data, in seconds (`Cache-Control:
    /// public, max-age=…`); answers with a token, with customer data or
    /// with errors are `no-store`. 0: never cached.
    #[arg(long, env = "SHOPGRAPH_CACHE_MAX_AGE_S", default_value_t = defaults::CACHE_MAX_AGE_S)]
    pub cache_max_age_s: u32,

    /// More request headers browsers may send cross-origin, besides the
    /// defaults (content-type, accept, authorization, Apollo's
    /// `apollo-require-preflight`, `x-apollo-operation-name`,
    /// `apollographql-client-name`/`-version`, and tracing's `traceparent`,
    /// `tracestate`, `baggage`, `sentry-trace`, `x-request-id`). Repeat the
    /// flag, or separate with commas in the variable.
    #[arg(
        long = "cors-allow-header",
        env = "SHOPGRAPH_CORS_ALLOW_HEADERS",
        value_delimiter = ','
    )]
    pub cors_allow_headers: Vec<String>,

    /// Behind a reverse proxy: the request header that names the client's
    /// address (`x-forwarded-for`, `x-real-ip`, …). The last address it
    /// lists, the one the proxy appended, counts for rate limits and
    /// throttles instead of the proxy's own. Unset (the default), the
    /// header is ignored: a client could write any address into it.
    #[arg(long, env = "SHOPGRAPH_CLIENT_ADDRESS_HEADER")]
    pub client_address_header: Option<String>,

    /// A manifest of trusted documents, as graphql-codegen's client preset
    /// writes it (`persisted-documents.json`: SHA-256 hash → document).
    /// Listed documents can be sent by hash alone; with `--production`,
    /// only they run (`PERSISTED_QUERY_NOT_IN_LIST` for anything else).
    #[arg(long, env = "SHOPGRAPH_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<std::path::PathBuf>,

    /// Automatic persisted queries one client address (IPv6: its /64) may
    /// add per hour to the table all instances share; beyond that they are
    /// still served, and remembered by this instance only.
    #[arg(long, env = "SHOPGRAPH_PERSISTED_QUERIES_PER_HOUR", default_value_t = defaults::PERSISTED_QUERIES_PER_HOUR)]
    pub persisted_queries_per_hour: u32,

    /// Where GraphiQL's npm packages are installed (a `node_modules`
    /// directory); by default `web/graphiql/node_modules` of the checkout.
    /// Without them the page at `/` loads GraphiQL from a CDN.
    #[arg(long, env = "SHOPGRAPH_GRAPHIQL_ASSETS")]
    pub graphiql_assets: Option<std::path::PathBuf>,

    /// The staff token: requests with `Authorization: Bearer <it>` may do
    /// everything. None: no staff access.
    #[arg(long, env = "SHOPGRAPH_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// The key that signs customers' tokens; share it between instances.
    /// None: a random key, and tokens end when the server stops.
    #[arg(long, env = "SHOPGRAPH_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// Guest carts nobody changed for this many hours are deleted: by the
    /// server, a minute after start and every hour, and by `shopgraph
    /// purge-guest-carts`.
    #[arg(long, env = "SHOPGRAPH_GUEST_CART_IDLE_HOURS", default_value_t = defaults::GUEST_CART_IDLE_HOURS)]
    pub guest_cart_idle_hours: u32,

    /// Open carts (not checked out) one customer may hold; creating another
    /// is the user error `TOO_MANY`.
    #[arg(long, env = "SHOPGRAPH_MAX_OPEN_CARTS_PER_CUSTOMER", default_value_t = defaults::MAX_OPEN_CARTS_PER_CUSTOMER,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_open_carts_per_customer: u32,

    /// Guest carts one client address (IPv6: its /64) may create per hour,
    /// in a burst or spread out; more are refused with the user error
    /// `THROTTLED`.
    #[arg(long, env = "SHOPGRAPH_GUEST_CARTS_PER_HOUR", default_value_t = defaults::GUEST_CARTS_PER_HOUR,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub guest_carts_per_hour: u32,

    /// How long a login lasts, in hours.
    #[arg(long, env = "SHOPGRAPH_TOKEN_HOURS", default_value_t = defaults::TOKEN_HOURS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub token_hours: u64,

    /// Deepest nesting of fields in one operation.
    #[arg(long, env = "SHOPGRAPH_MAX_DEPTH", default_value_t = defaults::MAX_DEPTH)]
    pub max_depth: usize,

    /// Complexity budget of one HTTP request, over all the operations of a
    /// batch; every field costs 1, and lists multiply what they select by
    /// the page size asked.
    #[arg(long, env = "SHOPGRAPH_MAX_COMPLEXITY", default_value_t = defaults::MAX_COMPLEXITY)]
    pub max_complexity: usize,

    /// Most aliases in one document.
    #[arg(long, env = "SHOPGRAPH_MAX_ALIASES", default_value_t = defaults::MAX_ALIASES)]
    pub max_aliases: usize,

    /// Most tokens (names, numbers, strings, punctuators) in one document;
    /// longer documents are refused before parsing (QUERY_TOO_LARGE). A
    /// parsed document holds up to ~400 bytes per token.
    #[arg(long, env = "SHOPGRAPH_MAX_TOKENS", default_value_t = defaults::MAX_TOKENS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: u32,

    /// Deepest nesting of brackets (`{`, `[`, `(`) in one document, values
    /// included; deeper documents are refused before parsing
    /// (QUERY_TOO_DEEP). At most 128, well below what overflows the stack.
    #[arg(long, env = "SHOPGRAPH_MAX_NESTING", default_value_t = defaults::MAX_NESTING,
          value_parser = clap::value_parser!(u8).range(1..=128))]
    pub max_nesting: u8,

    /// Memory the cache of parsed documents may hold, in bytes (estimated
    /// from their tokens).
    #[arg(long, env = "SHOPGRAPH_DOCUMENT_CACHE_BYTES", default_value_t = defaults::DOCUMENT_CACHE_BYTES)]
    pub document_cache_bytes: u64,

    /// Most operations in one batch (a JSON array of requests).
    #[arg(long, env = "SHOPGRAPH_MAX_BATCH", default_value_t = defaults::MAX_BATCH,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_batch: u16,

    /// Most GraphQL requests executing at once; more wait their turn (within
    /// their timeout). Bounds memory: a nested request holds about 2 MB
    /// while it runs, and with 2 cores more at once gains no throughput.
    #[arg(long, env = "SHOPGRAPH_MAX_CONCURRENT_REQUESTS", default_value_t = defaults::MAX_CONCURRENT_REQUESTS,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_requests: u16,

    /// Most password hashes (logIn, signUp; ~25 ms and 19 MiB each) computed
    /// at once; others wait within their request's timeout. Default: the
    /// number of CPU cores.
    #[arg(long, env = "SHOPGRAPH_MAX_CONCURRENT_PASSWORD_HASHES",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_password_hashes: Option<u16>,

    /// Most GraphQL requests of one client address executing at once; its
    /// others wait their turn (within their timeout), so one client cannot
    /// take every permit.
    #[arg(long, env = "SHOPGRAPH_MAX_CONCURRENT_PER_CLIENT", default_value_t = defaults::MAX_CONCURRENT_PER_CLIENT,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_per_client: u16,

    /// Each client's allowance of complexity points (a customer, staff, or
    /// an anonymous client address): a request is charged its cost before
    /// it runs and refused whole (HTTP 429, THROTTLED, with Retry-After)
    /// when its client's allowance does not cover it. At least
    /// `--max-complexity`; 0 turns the rate limit off.
    #[arg(long, env = "SHOPGRAPH_RATE_LIMIT_POINTS", default_value_t = defaults::RATE_LIMIT_POINTS)]
    pub rate_limit_points: u32,

    /// Points restored to each client's allowance per second.
    #[arg(long, env = "SHOPGRAPH_RATE_LIMIT_RESTORE", default_value_t = defaults::RATE_LIMIT_RESTORE,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_restore: u32,

    /// Longest a request may run, in milliseconds.
    #[arg(long, env = "SHOPGRAPH_REQUEST_TIMEOUT_MS", default_value_t = defaults::REQUEST_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,

    /// PostgreSQL's `statement_timeout` for the server's connections, in
    /// milliseconds; 0 for none.
    #[arg(long, env = "SHOPGRAPH_STATEMENT_TIMEOUT_MS", default_value_t = defaults::STATEMENT_TIMEOUT_MS)]
    pub statement_timeout_ms: u64,

    /// Production mode: introspection, field suggestions and GraphiQL are
    /// off unless `--introspection` or `--graphiql` turn them back on.
    #[arg(long, env = "SHOPGRAPH_PRODUCTION")]
    pub production: bool,

    /// Keep introspection (and field suggestions) in production mode.
    #[arg(long, env = "SHOPGRAPH_INTROSPECTION")]
    pub introspection: bool,

    /// Keep GraphiQL in production mode.
    #[arg(long, env = "SHOPGRAPH_GRAPHIQL")]
    pub graphiql: bool,
}

impl Config {
    /// How many password hashes may run at once.
    pub fn max_concurrent_password_hashes(&self) -> usize {
        self.max_concurrent_password_hashes
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// Whether introspection and field suggestions are on.
    pub fn introspection_enabled(&self) -> bool {
        !self.production || self.introspection
    }

    /// Whether GraphiQL is served.
    pub fn graphiql_enabled(&self) -> bool {
        !self.production || self.graphiql
    }

    /// The default settings, ignoring the environment, for the given
    /// database. Tests build on this, so they do not depend on the shell.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            listen: defaults::listen(),
            metrics_listen: None,
            log: defaults::LOG.to_owned(),
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            otlp_sample_ratio: 1.0,
            currency: defaults::CURRENCY.to_owned(),
            prices_include_tax: false,
            tax_shipping: false,
            seed_demo: false,
            db_pool_size: defaults::DB_POOL_SIZE,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            db_acquire_timeout_ms: defaults::DB_ACQUIRE_TIMEOUT_MS,
            db_busy_timeout_ms: defaults::DB_BUSY_TIMEOUT_MS,
            shutdown_drain_ms: 0,
            shutdown_grace_ms: defaults::SHUTDOWN_GRACE_MS,
            cors_origins: Vec::new(),
            cors_allow_headers: Vec::new(),
            client_address_header: None,
            cache_max_age_s: defaults::CACHE_MAX_AGE_S,
            header_timeout_ms: defaults::HEADER_TIMEOUT_MS,
            body_timeout_ms: defaults::BODY_TIMEOUT_MS,
            max_connections: defaults::MAX_CONNECTIONS,
            max_connections_per_ip: defaults::MAX_CONNECTIONS_PER_IP,
            ws_init_timeout_ms: defaults::WS_INIT_TIMEOUT_MS,
            ws_keepalive_ms: defaults::WS_KEEPALIVE_MS,
            ws_write_timeout_ms: defaults::WS_WRITE_TIMEOUT_MS,
            max_subscriptions_per_connection: defaults::MAX_SUBSCRIPTIONS_PER_CONNECTION,
            max_subscriptions_per_customer: defaults::MAX_SUBSCRIPTIONS_PER_CUSTOMER,
            graphiql_assets: None,
            trusted_documents: None,
            persisted_queries_per_hour: defaults::PERSISTED_QUERIES_PER_HOUR,
            admin_token: None,
            token_secret: None,
            token_hours: defaults::TOKEN_HOURS,
            guest_cart_idle_hours: defaults::GUEST_CART_IDLE_HOURS,
            guest_carts_per_hour: defaults::GUEST_CARTS_PER_HOUR,
            max_open_carts_per_customer: defaults::MAX_OPEN_CARTS_PER_CUSTOMER,
            max_depth: defaults::MAX_DEPTH,
            max_complexity: defaults::MAX_COMPLEXITY,
            max_aliases: defaults::MAX_ALIASES,
            max_batch: defaults::MAX_BATCH,
            max_tokens: defaults::MAX_TOKENS,
            max_nesting: defaults::MAX_NESTING,
            document_cache_bytes: defaults::DOCUMENT_CACHE_BYTES,
            max_concurrent_requests: defaults::MAX_CONCURRENT_REQUESTS,
            request_timeout_ms: defaults::REQUEST_TIMEOUT_MS,
            max_concurrent_per_client: defaults::MAX_CONCURRENT_PER_CLIENT,
            rate_limit_points: defaults::RATE_LIMIT_POINTS,
            rate_limit_restore: defaults::RATE_LIMIT_RESTORE,
            max_concurrent_password_hashes: None,
            statement_timeout_ms: defaults::STATEMENT_TIMEOUT_MS,
            production: false,
            introspection: false,
            graphiql: false,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
