//! The `shopgraph` binary: the command line, logging and signals. Serving
//! is the `api` library's job ([`api::App`]), the same door the tests use.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

mod settings;

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
    /// Delete the guest carts nobody changed for `--guest-cart-idle-hours`
    /// (the server also does this every hour), and say how many.
    PurgeGuestCarts,
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
        Command::PurgeGuestCarts => {
            let purged = api::purge_guest_carts(&cli.config).await?;
            println!("guest carts purged: {purged}");
            Ok(())
        }
    }
}

/// Logs to stderr (so stdout carries only the start-up banner), and, with
/// `--otlp-endpoint`, spans to an OpenTelemetry collector. Returns the span
/// exporter's provider, to flush at exit.
fn install_telemetry(config: &api::Config) -> anyhow::Result<Option<SdkTracerProvider>> {
    let filter = EnvFilter::try_new(&config.log).context("invalid log filter")?;
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match config.log_format {
        api::config::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).boxed(),
        // One JSON object per line; the fields of every span the line was
        // logged in (the request's ID among them) in `spans`.
        api::config::LogFormat::Json => logs.json().with_span_list(true).boxed(),
    };
    let Some(endpoint) = &config.otlp_endpoint else {
        tracing_subscriber::registry()
            .with(logs.with_filter(filter))
            .init();
        return Ok(None);
    };
    // OTLP over HTTP/protobuf, as every collector takes it; the endpoint is
    // the collector's base URL, as in OTEL_EXPORTER_OTLP_ENDPOINT.
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces)
        .build()
        .context("could not set up the OTLP exporter")?;
    // Which requests are traced is decided as each arrives, before any
    // span is built (`api::traced`, the caller's sampled flag or
    // `--otlp-sample-ratio`); the spans that reach the exporter are kept.
    let sampler = Sampler::AlwaysOn;
    let provider = SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("shopgraph")
                .build(),
        )
        .build();
    // Callers' W3C `traceparent` continues their trace.
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("shopgraph"))
        // Timing each span's busy and idle time reads the clock at every
        // poll of every instrumented future, and code locations and thread
        // names are attributes nobody queries: off, they cost much less
        // (bench/results/observability.md).
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_threads(false)
        // Requests, operations and batch loads are `info` spans (the
        // request's is `error`, so logs always have it); SeaORM's span per
        // SQL statement is `trace`. Only traced requests' spans are built.
        .with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_default(tracing::Level::INFO)
                .with_target("sea_orm::driver", tracing::Level::TRACE)
                .with_target("sea_orm::database::transaction", tracing::Level::TRACE)
                .and(TracedRequests),
        );
    tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(spans)
        .init();
    Ok(Some(provider))
}

/// Lets through the spans and events of traced requests only
/// ([`api::traced`]); asked at each span, as the answer is the task's.
struct TracedRequests;

impl<S> tracing_subscriber::layer::Filter<S> for TracedRequests {
    fn enabled(
        &self,
        _: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        api::traced::traced()
    }

    fn callsite_enabled(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
}

async fn serve(config: api::Config) -> anyhow::Result<()> {
    let telemetry = install_telemetry(&config)?;
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
