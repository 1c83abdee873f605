//! Putting the server together: [`App::build`] opens the database, builds
//! the schema, the gate and the routers, and binds the sockets; `main` and
//! the integration tests both call it, so the tests exercise exactly what
//! ships. [`App::run`] serves until shutdown, beside the hourly chores.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::{Config, redact};
use crate::customer::passwords;
use crate::execute::{limits, persisted, throttle, trusted};
use crate::http::graphiql;
use crate::observe::{self, metrics};
use crate::store::{db, events};
use crate::{auth, cart, demo, execute, http, money, schema};

/// A server ready to run: database connected and migrated, socket bound.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    connections: http::serve::Connections,
    shutting_down: Arc<AtomicBool>,
    drain: std::time::Duration,
    grace: std::time::Duration,
    /// The database and idle hours of the hourly guest-cart purge.
    purge: (DatabaseConnection, u32),
    /// The metrics endpoint's socket and router, when it is on.
    metrics: Option<(TcpListener, axum::Router)>,
}

impl App {
    /// Checks every setting, then connects to and migrates the database and
    /// builds the app over it: a bad setting is reported before the
    /// database is touched.
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        let parts = Parts::from_config(config)?;
        let db = db::connect_and_migrate(config).await.with_context(|| {
            format!(
                "could not open and migrate the database at {}",
                redact(&config.database_url)
            )
        })?;
        App::assemble(config, parts, db).await
    }

    /// Builds the app over an open, migrated database (seeding it with demo
    /// data if asked) and binds the listening socket. Tests use this to watch
    /// the statements the server runs.
    pub async fn with_database(config: &Config, db: DatabaseConnection) -> anyhow::Result<App> {
        App::assemble(config, Parts::from_config(config)?, db).await
    }

    async fn assemble(
        config: &Config,
        parts: Parts,
        mut db: DatabaseConnection,
    ) -> anyhow::Result<App> {
        let metrics = Arc::new(metrics::Metrics::new());
        if config.metrics_listen.is_some() {
            // Before the connection is cloned: clones share the callback.
            // (Tests count statements with a callback of their own, so it
            // is only set when the metrics are served.)
            let counting = metrics.clone();
            db.set_metric_callback(move |info| {
                counting.statement(info.elapsed);
                observe::counting::statement_ran();
            });
        }
        if config.seed_demo && demo::seed(&db).await.context("could not seed demo data")? {
            tracing::info!("seeded the empty database with demo data");
        }
        let events = events::Events::start(&db);
        let schema = schema::build(
            db.clone(),
            money::Currency {
                code: config.currency.clone(),
            },
            events.clone(),
            parts.auth.clone(),
            passwords::Passwords::new(config.max_concurrent_password_hashes()),
            (
                cart::guest::GuestCartQuota::new(config.guest_carts_per_hour),
                cart::OpenCartCap(u64::from(config.max_open_carts_per_customer)),
            ),
            &schema::SchemaOptions {
                limits: parts.limits.clone(),
                introspection: config.introspection_enabled(),
                write_patience: Duration::from_millis(config.db_busy_timeout_ms),
                taxes: crate::tax::TaxSettings {
                    prices_include_tax: config.prices_include_tax,
                    tax_shipping: config.tax_shipping,
                },
            },
        );
        let gate = execute::Gate::new(
            schema,
            schema::loaders::make(db.clone()),
            parts.limits,
            parts.rate,
            parts.subscription_caps,
            parts.trusted.clone(),
        );
        let shutting_down = Arc::new(AtomicBool::new(false));
        let connections = http::serve::Connections::new(parts.connection_limits);
        let http_config = http::HttpConfig {
            graphiql: config
                .graphiql_enabled()
                .then(|| Arc::new(graphiql::Graphiql::load(config.graphiql_assets.as_deref()))),
            max_batch: usize::from(config.max_batch),
            catalogue_max_age: config.cache_max_age_s,
            shutting_down: shutting_down.clone(),
            auth: parts.auth,
            max_body_bytes: usize::try_from(config.max_body_bytes).unwrap_or(usize::MAX),
            cors_origins: config.cors_origins.clone(),
            cors_allow_headers: config.cors_allow_headers.clone(),
            metrics: metrics.clone(),
            trusted: parts.trusted,
            persisted_queries_per_hour: config.persisted_queries_per_hour,
            trace_sample_ratio: if config.otlp_endpoint.is_some() {
                config.otlp_sample_ratio
            } else {
                0.0
            },
            client_address_header: parts.client_address_header,
            connections: connections.clone(),
            body_timeout: Duration::from_millis(config.body_timeout_ms),
            socket: parts.socket_limits,
            probe_db: db::connect_probe(config)
                .await
                .context("could not open the probes' database connection")?,
        };
        let scrape = scrape_endpoint(metrics, &gate, &db, &connections);
        let router = http::router(gate, db.clone(), events, &http_config);
        let metrics = match config.metrics_listen {
            Some(addr) => {
                let listener = http::bind(addr)
                    .await
                    .with_context(|| format!("could not serve metrics on {addr}"))?;
                tracing::info!(address = %listener.local_addr()?, "Prometheus metrics at /metrics");
                Some((listener, scrape.router()))
            }
            None => None,
        };
        let listener = http::bind(config.listen)
            .await
            .with_context(|| format!("could not listen on {}", config.listen))?;
        Ok(App {
            listener,
            router,
            connections,
            shutting_down,
            drain: Duration::from_millis(config.shutdown_drain_ms),
            grace: Duration::from_millis(config.shutdown_grace_ms),
            purge: (db, config.guest_cart_idle_hours),
            metrics,
        })
    }

    /// The address the server listens on (useful when the port was 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (shutting_down, drain, grace) = (self.shutting_down, self.drain, self.grace);
        let closing = Arc::new(tokio::sync::Notify::new());
        let closed = closing.clone();
        let shutdown = async move {
            shutdown.await;
            // Readiness fails at once, and the server keeps serving for the
            // drain period so that load balancers notice; then it stops
            // accepting and lets the requests in flight finish.
            shutting_down.store(true, Ordering::SeqCst);
            tracing::info!(?drain, ?grace, "shutting down");
            tokio::time::sleep(drain).await;
            closing.notify_one();
        };
        let serving = http::serve::serve(self.listener, self.router, self.connections, shutdown);
        let (db, idle_hours) = self.purge;
        let metrics = async {
            match self.metrics {
                Some((listener, router)) => axum::serve(listener, router).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = serving => result,
            result = metrics => result,
            () = housekeeping(db, idle_hours) => Ok(()),
            () = async {
                closed.notified().await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(?grace, "requests still running after the grace period; exiting");
                Ok(())
            }
        }
    }
}

/// What the settings make, each part by its own constructor, checked
/// before anything is opened.
struct Parts {
    limits: limits::Limits,
    auth: auth::Auth,
    rate: Option<Arc<throttle::RateLimits>>,
    subscription_caps: execute::SubscriptionCaps,
    connection_limits: http::serve::ConnectionLimits,
    socket_limits: http::ws::SocketLimits,
    client_address_header: Option<axum::http::HeaderName>,
    trusted: Option<Arc<trusted::TrustedDocuments>>,
}

impl Parts {
    fn from_config(config: &Config) -> anyhow::Result<Parts> {
        Ok(Parts {
            limits: limits::Limits::from(config),
            auth: auth::Auth::from_config(config).map_err(anyhow::Error::msg)?,
            rate: throttle::RateLimits::from_config(config).map_err(anyhow::Error::msg)?,
            subscription_caps: execute::SubscriptionCaps::from(config),
            connection_limits: http::serve::ConnectionLimits::from(config).within_open_file_limit(),
            socket_limits: http::ws::SocketLimits::from(config),
            client_address_header: config
                .client_address_header
                .as_deref()
                .map(|name| {
                    axum::http::HeaderName::try_from(name.trim())
                        .with_context(|| format!("`{name}` is not a header name"))
                })
                .transpose()?,
            trusted: trusted_documents(config)?,
        })
    }
}

/// The trusted documents `--trusted-documents` names, if any.
fn trusted_documents(config: &Config) -> anyhow::Result<Option<Arc<trusted::TrustedDocuments>>> {
    let Some(path) = &config.trusted_documents else {
        return Ok(None);
    };
    let list = trusted::TrustedDocuments::load(path, config.production)?;
    tracing::info!(
        documents = list.len(),
        enforced = list.enforced(),
        "trusted documents loaded{}",
        if list.enforced() {
            ": only these run"
        } else {
            " (not enforced outside --production)"
        }
    );
    Ok(Some(Arc::new(list)))
}

/// The metrics endpoint, sampling the gate's load, the open connections
/// and the pool at each scrape.
fn scrape_endpoint(
    metrics: Arc<metrics::Metrics>,
    gate: &execute::Gate,
    db: &DatabaseConnection,
    connections: &http::serve::Connections,
) -> observe::scrape::Endpoint {
    let (gate, db, connections) = (gate.clone(), db.clone(), connections.clone());
    observe::scrape::Endpoint {
        metrics,
        sample: Arc::new(move || {
            let load = gate.load();
            let (pool_size, pool_idle) = db::pool_now(&db);
            let (parsed_documents, parsed_document_bytes) = gate.documents().held();
            metrics::Sampled {
                running: load.running,
                waiting: load.waiting,
                listening: load.listening,
                connections: connections.open(),
                pool_size,
                pool_idle,
                parsed_documents,
                parsed_document_bytes,
            }
        }),
    }
}

/// The server's hourly chores, run beside serving (so they stop with the
/// server): abandoned guest carts and old shared persisted queries go. The
/// first run is a minute after start, not at once: a server restarted in a
/// loop should not purge in a loop, and the first requests get the database
/// to themselves. A failed chore is logged and tried again next hour.
async fn housekeeping(db: DatabaseConnection, guest_cart_idle_hours: u32) {
    let hour = std::time::Duration::from_secs(3600);
    let first = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut hourly = tokio::time::interval_at(first, hour);
    hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        hourly.tick().await;
        let idle = chrono::Duration::hours(i64::from(guest_cart_idle_hours));
        match cart::guest::purge_abandoned(&db, idle).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged abandoned guest carts"),
            Err(err) => tracing::warn!(error = %err, "could not purge abandoned guest carts"),
        }
        match persisted::purge_older_than(&db, persisted::KEPT_DAYS).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged old shared persisted queries"),
            Err(err) => tracing::warn!(error = %err, "could not purge shared persisted queries"),
        }
    }
}

/// Deletes the guest carts idle for the configured hours, now (what
/// `shopgraph purge-guest-carts` runs); returns how many.
pub async fn purge_guest_carts(config: &Config) -> anyhow::Result<u64> {
    let db = db::connect_and_migrate(config).await.with_context(|| {
        format!(
            "could not open and migrate the database at {}",
            redact(&config.database_url)
        )
    })?;
    let idle = chrono::Duration::hours(i64::from(config.guest_cart_idle_hours));
    Ok(cart::guest::purge_abandoned(&db, idle).await?)
}
