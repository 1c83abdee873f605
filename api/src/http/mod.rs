//! HTTP: the axum router, its layers, and the state its handlers share.
//!
//! - [`graphql`] — GraphQL over HTTP (POST and GET, and the WebSocket
//!   upgrade); [`ws`] — GraphQL over WebSocket;
//! - [`probes`] — `/live`, `/ready`, `/health`;
//! - [`serve`] — accepting connections, their limits and timeouts.

use std::any::Any;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

mod answer;
mod forwarded;
pub mod graphiql;
mod graphql;
mod probes;
pub mod serve;
pub mod ws;

use crate::auth::Auth;
use crate::error::ErrorCode;
use crate::execute::Gate;
use crate::execute::persisted::{PersistedQueries, SharedStore};
use crate::observe::metrics::Metrics;
use crate::observe::request_id;
use crate::store::events::Events;
use graphiql::Graphiql;
use serve::Connections;
use ws::{SocketContext, SocketLimits};

#[derive(Clone)]
struct AppState {
    /// Where every operation runs, within the limits.
    gate: Gate,
    db: DatabaseConnection,
    /// The probes' own connection ([`crate::store::db::connect_probe`]).
    probe_db: DatabaseConnection,
    persisted: Arc<PersistedQueries>,
    max_batch: usize,
    /// How long shared caches may keep anonymous catalogue GET answers.
    catalogue_max_age: u32,
    /// Set once the server starts shutting down.
    shutting_down: Arc<AtomicBool>,
    auth: Auth,
    /// Open connections; a WebSocket takes a place of its own once upgraded.
    connections: Connections,
    socket: SocketContext,
    /// The header a trusted proxy names the client's address in, if any.
    client_address_header: Option<HeaderName>,
}

impl AppState {
    /// The client's address, as quotas count it
    /// ([`crate::auth::counted_address`]): the connection's peer, or, behind
    /// a proxy configured with `--client-address-header`, the last address
    /// that header lists (the one the proxy appended; those before it are
    /// the client's word). A missing header falls back to the peer; a value
    /// that does not parse counts in a bucket of its own, never the proxy's
    /// (which every client would share), and is logged.
    fn client_address(&self, headers: &axum::http::HeaderMap, peer: SocketAddr) -> IpAddr {
        let peer = crate::auth::counted_address(peer.ip());
        let Some(name) = &self.client_address_header else {
            return peer;
        };
        let Some(value) = headers.get_all(name).iter().next_back() else {
            return peer;
        };
        match value.to_str().ok().and_then(forwarded::last_address) {
            Some(address) => crate::auth::counted_address(address),
            None => {
                forwarded::warn_unparseable(name, value);
                forwarded::UNPARSEABLE
            }
        }
    }
}

/// What the HTTP layer is configured with.
pub struct HttpConfig {
    pub max_body_bytes: usize,
    /// GraphiQL at `/`, unless production mode turned it off.
    pub graphiql: Option<Arc<Graphiql>>,
    /// Most operations in one JSON-array batch.
    pub max_batch: usize,
    /// How long shared caches may keep anonymous catalogue GET answers, in
    /// seconds; 0: never.
    pub catalogue_max_age: u32,
    /// Set when the server starts shutting down; `/ready` then says 503.
    pub shutting_down: Arc<AtomicBool>,
    pub auth: Auth,
    /// Origins allowed to call the API from a browser; none: same origin only.
    pub cors_origins: Vec<String>,
    /// Request headers allowed cross-origin besides the defaults.
    pub cors_allow_headers: Vec<String>,
    /// The connections being served, counted against their limits.
    pub connections: Connections,
    /// Longest a request body may take to arrive.
    pub body_timeout: Duration,
    /// How WebSocket connections are bounded.
    pub socket: SocketLimits,
    /// The probes' own connection ([`crate::store::db::connect_probe`]).
    pub probe_db: DatabaseConnection,
    /// The header a trusted proxy names the client's address in, if any.
    pub client_address_header: Option<HeaderName>,
    /// The app's metrics, counted by every request.
    pub metrics: Arc<Metrics>,
    /// Trusted documents, which can be sent by hash alone.
    pub trusted: Option<Arc<crate::execute::trusted::TrustedDocuments>>,
    /// Automatic persisted queries one client address may share per hour.
    pub persisted_queries_per_hour: u32,
    /// The share of requests starting a trace that are traced
    /// (`--otlp-sample-ratio`; 0 without `--otlp-endpoint`).
    pub trace_sample_ratio: f64,
}

/// The whole HTTP surface: GraphiQL on `/`, GraphQL on `/graphql` (HTTP and
/// WebSocket), and the probes.
pub fn router(gate: Gate, db: DatabaseConnection, events: Events, config: &HttpConfig) -> Router {
    let persisted = Arc::new(PersistedQueries::new(
        config.trusted.clone(),
        Some(SharedStore::new(
            db.clone(),
            config.persisted_queries_per_hour,
        )),
    ));
    let state = AppState {
        socket: SocketContext {
            gate: gate.clone(),
            persisted: persisted.clone(),
            db: db.clone(),
            auth: config.auth.clone(),
            events,
            limits: config.socket,
            metrics: config.metrics.clone(),
        },
        gate,
        db,
        probe_db: config.probe_db.clone(),
        persisted,
        max_batch: config.max_batch,
        catalogue_max_age: config.catalogue_max_age,
        shutting_down: config.shutting_down.clone(),
        auth: config.auth.clone(),
        connections: config.connections.clone(),
        client_address_header: config.client_address_header.clone(),
    };
    let mut router = Router::new();
    if let Some(graphiql) = &config.graphiql {
        router = router.merge(graphiql.clone().router());
    }
    router
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health", get(probes::health))
        .route("/live", get(probes::live))
        .route("/ready", get(probes::ready))
        .with_state(Arc::new(state))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(config.body_timeout))
        .layer(cors(&config.cors_origins, &config.cors_allow_headers))
        .layer(CompressionLayer::new())
        // One log line per request at `info`: method, path, status, latency;
        // every line logged while serving it carries its request ID. (The
        // span is at `error` so that any filter that lets a line through
        // keeps its span too: a warning under `RUST_LOG=warn` still names
        // its request.)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::extract::Request| {
                    let span = tracing::error_span!(
                        "request",
                        method = %request.method(),
                        uri = %request.uri(),
                        request_id = request_id::of(request),
                    );
                    crate::observe::traced::continue_trace(&span, request);
                    span
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        // Outermost, one layer (axum's `from_fn` clones the service inside
        // it for every request, so three layers cloned it three times):
        // the request's ID (even a panic's answer carries it), whether it
        // is traced (decided before its first span), and the app's metrics
        // (everything the request does counts on them).
        .layer(axum::middleware::from_fn({
            let metrics = config.metrics.clone();
            let ratio = config.trace_sample_ratio;
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let metrics = metrics.clone();
                request_id::assign(request, move |request| {
                    crate::observe::traced::decide(ratio, request, move |request| {
                        crate::observe::counting::scope(metrics, next.run(request))
                    })
                })
            }
        }))
}

/// Binds the listening socket; port 0 picks a free port.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Request headers browsers may send cross-origin by default: GraphQL's
/// own, ours (a guest's `x-cart-token`), Apollo Client's (preflight, operation name, client awareness), and
/// distributed tracing's (W3C `traceparent`/`tracestate`/`baggage`,
/// Sentry's, request IDs), so instrumented clients pass the preflight.
const CORS_HEADERS: [&str; 13] = [
    "content-type",
    "accept",
    "authorization",
    crate::auth::CART_TOKEN_HEADER,
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "x-request-id",
];

/// Cross-origin access for the configured origins only (`*`: any origin,
/// without credentials), with `x-request-id` and `Retry-After` readable. Preflights are answered here; with no origins
/// configured, browsers keep other sites out. `extra_headers` are allowed
/// besides [`CORS_HEADERS`]; names that are not valid header names are
/// skipped.
fn cors(origins: &[String], extra_headers: &[String]) -> CorsLayer {
    let headers: Vec<HeaderName> = CORS_HEADERS
        .iter()
        .map(|name| HeaderName::from_static(name))
        .chain(
            extra_headers
                .iter()
                .filter_map(|name| HeaderName::try_from(name.trim()).ok()),
        )
        .collect();
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(headers)
        // Browser code on another origin reads only the response headers
        // named here: the request ID (to quote in a support ticket) and
        // how long to wait after a 429 or 503.
        .expose_headers([request_id::HEADER, axum::http::header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|origin| origin == "*") {
        return layer.allow_origin(AllowOrigin::any());
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    layer.allow_origin(AllowOrigin::list(origins))
}

/// A panic anywhere in a request is answered like any internal error: a
/// GraphQL error body with code `INTERNAL` and status 500, the panic's
/// message in the log only.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request panicked");
    request_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "Internal server error",
    )
}

/// A coded GraphQL error body with `status`, for failures outside GraphQL
/// execution; it carries the request's ID, as every error does.
fn request_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    crate::observe::counting::record(|metrics| metrics.error(code.as_str()));
    let mut extensions = json!({ "code": code.as_str() });
    if let Some(id) = request_id::current() {
        extensions["requestId"] = json!(id);
    }
    (
        status,
        Json(json!({ "errors": [{ "message": message, "extensions": extensions }] })),
    )
        .into_response()
}
