//! Prometheus metrics, served on their own address (`--metrics-listen`,
//! never the API's) at `/metrics` in Prometheus' text format.
//!
//! The registry belongs to the app (prometheus-client keeps no global
//! state), so several servers in one process — the tests — count apart.
//! Code that counts reaches the app's [`Metrics`] through
//! [`super::counting`]; the endpoint that serves them is
//! [`super::scrape`]. Statements are counted by the database connection's
//! metric callback.
//!
//! Label values a client chooses are bounded: operation names and error
//! codes beyond [`MAX_LABEL_VALUES`] distinct values, or not shaped like a
//! GraphQL name, are counted as `other`, so no client can grow the series
//! without bound.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Distinct values one client-chosen label may take; the rest are `other`.
pub const MAX_LABEL_VALUES: usize = 100;

/// Longest operation name kept as a label value.
const MAX_NAME_CHARS: usize = 64;

/// The kind of a GraphQL operation.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum OperationType {
    query,
    mutation,
    subscription,
    /// Refused before its type was known (unparseable, too large, …).
    unknown,
}

impl From<async_graphql::parser::types::OperationType> for OperationType {
    fn from(kind: async_graphql::parser::types::OperationType) -> Self {
        use async_graphql::parser::types::OperationType as Kind;
        match kind {
            Kind::Query => OperationType::query,
            Kind::Mutation => OperationType::mutation,
            Kind::Subscription => OperationType::subscription,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation_name: String,
    operation_type: OperationType,
    /// `ok`, `user_error` (a mutation payload's `userErrors`), or the code
    /// of the first top-level error.
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    operation_name: String,
    operation_type: OperationType,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The app's metrics.
pub struct Metrics {
    registry: Registry,
    operations: Family<OperationLabels, Counter>,
    duration: Histograms<DurationLabels>,
    errors: Family<CodeLabels, Counter>,
    statements: Counter,
    statement_duration: Histogram,
    statements_per_request: Histogram,
    logins: Family<OutcomeLabels, Counter>,
    checkouts: Family<OutcomeLabels, Counter>,
    orders_placed: Counter,
    change_events_dropped: Counter,
    websockets: Gauge,
    // Sampled when scraped, from what the server already keeps.
    running: Gauge,
    waiting: Gauge,
    subscriptions: Gauge,
    connections: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
    parsed_documents: Gauge,
    parsed_document_bytes: Gauge,
    names: BoundedValues,
    codes: BoundedValues,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("shopgraph");
        let metrics = Metrics {
            operations: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
            errors: Family::default(),
            statements: Counter::default(),
            statement_duration: latency_histogram(),
            statements_per_request: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            logins: Family::default(),
            checkouts: Family::default(),
            orders_placed: Counter::default(),
            change_events_dropped: Counter::default(),
            websockets: Gauge::default(),
            running: Gauge::default(),
            waiting: Gauge::default(),
            subscriptions: Gauge::default(),
            connections: Gauge::default(),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
            parsed_documents: Gauge::default(),
            parsed_document_bytes: Gauge::default(),
            names: BoundedValues::default(),
            codes: BoundedValues::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        registry.register(
            "operations",
            "GraphQL operations answered, by name (at most 100 names; the rest `other`), type and outcome",
            m.operations.clone(),
        );
        registry.register(
            "operation_duration_seconds",
            "Time to answer a GraphQL request, waiting for a turn included, by operation",
            m.duration.clone(),
        );
        registry.register(
            "errors",
            "Top-level GraphQL errors answered, by code (limit refusals among them)",
            m.errors.clone(),
        );
        registry.register("sql_statements", "SQL statements run", m.statements.clone());
        registry.register(
            "sql_statement_duration_seconds",
            "Time each SQL statement took",
            m.statement_duration.clone(),
        );
        registry.register(
            "sql_statements_per_request",
            "SQL statements one GraphQL request (or batch) ran",
            m.statements_per_request.clone(),
        );
        registry.register(
            "logins",
            "logIn attempts, by outcome (succeeded, failed, throttled)",
            m.logins.clone(),
        );
        registry.register(
            "checkouts",
            "checkout calls, by outcome (placed, replayed, refused)",
            m.checkouts.clone(),
        );
        registry.register("orders_placed", "Orders placed", m.orders_placed.clone());
        registry.register(
            "change_events_dropped",
            "Subscription change events dropped because the announcement queue (65,536) was full",
            m.change_events_dropped.clone(),
        );
        registry.register(
            "websocket_connections",
            "WebSocket connections open",
            m.websockets.clone(),
        );
        registry.register(
            "requests_running",
            "GraphQL operations executing (holding a permit)",
            m.running.clone(),
        );
        registry.register(
            "requests_waiting",
            "GraphQL operations waiting for their client's turn or a permit",
            m.waiting.clone(),
        );
        registry.register(
            "subscriptions_listening",
            "Subscriptions listening for events",
            m.subscriptions.clone(),
        );
        registry.register(
            "connections_open",
            "Client connections open (HTTP and WebSocket)",
            m.connections.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections in the pool",
            m.pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections idle in the pool",
            m.pool_idle.clone(),
        );
        registry.register(
            "parsed_documents",
            "Parsed documents remembered by query text (only of requests let in)",
            m.parsed_documents.clone(),
        );
        registry.register(
            "parsed_document_bytes",
            "Memory the remembered parsed documents hold, estimated (bounded by --document-cache-bytes)",
            m.parsed_document_bytes.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Counts one answered operation.
    pub fn operation(
        &self,
        name: Option<&str>,
        operation_type: OperationType,
        outcome: Outcome<'_>,
        took: Duration,
    ) {
        let operation_name = self.names.label(name.unwrap_or("anonymous"));
        let outcome = match outcome {
            Outcome::Ok => "ok".to_owned(),
            Outcome::UserError => "user_error".to_owned(),
            Outcome::Error(code) => self.codes.label(code),
        };
        self.operations
            .get_or_create(&OperationLabels {
                operation_name: operation_name.clone(),
                operation_type,
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&DurationLabels {
                operation_name,
                operation_type,
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a top-level error answered with `code`.
    pub fn error(&self, code: &str) {
        let code = self.codes.label(code);
        self.errors.get_or_create(&CodeLabels { code }).inc();
    }

    /// Counts a SQL statement that took `took`.
    pub fn statement(&self, took: Duration) {
        self.statements.inc();
        self.statement_duration.observe(took.as_secs_f64());
    }

    /// Counts the statements one request ran.
    pub fn request_statements(&self, statements: usize) {
        self.statements_per_request.observe(statements as f64);
    }

    /// Counts a logIn attempt.
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts a checkout call; a placed one is also an order.
    pub fn checkout(&self, outcome: &'static str) {
        self.checkouts
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
        if outcome == "placed" {
            self.orders_placed.inc();
        }
    }

    /// Counts a change event the announcer had no room for.
    pub fn change_event_dropped(&self) {
        self.change_events_dropped.inc();
    }

    /// Counts an open WebSocket connection until the guard is dropped.
    pub fn websocket(self: &Arc<Self>) -> impl Drop + Send + use<> {
        self.websockets.inc();
        WebSocketOpen(self.clone())
    }

    /// The metrics in Prometheus' text format, with the sampled gauges set
    /// from `now`.
    pub fn render(&self, now: Sampled) -> String {
        self.running.set(now.running as i64);
        self.waiting.set(now.waiting as i64);
        self.subscriptions.set(now.listening as i64);
        self.connections.set(now.connections as i64);
        self.pool_size.set(i64::from(now.pool_size));
        self.pool_idle.set(now.pool_idle as i64);
        self.parsed_documents.set(now.parsed_documents as i64);
        self.parsed_document_bytes
            .set(now.parsed_document_bytes as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

struct WebSocketOpen(Arc<Metrics>);

impl Drop for WebSocketOpen {
    fn drop(&mut self) {
        self.0.websockets.dec();
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Ok,
    UserError,
    Error(&'a str),
}

/// What the server keeps and the scrape reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sampled {
    pub running: usize,
    pub waiting: usize,
    pub listening: usize,
    pub connections: usize,
    pub pool_size: u32,
    pub pool_idle: usize,
    pub parsed_documents: usize,
    pub parsed_document_bytes: usize,
}

/// Label values seen so far, at most [`MAX_LABEL_VALUES`].
#[derive(Default)]
struct BoundedValues(Mutex<HashSet<String>>);

impl BoundedValues {
    /// `value` itself while there is room and it looks like a GraphQL name
    /// (or error code), else `other`.
    fn label(&self, value: &str) -> String {
        let plausible = !value.is_empty()
            && value.len() <= MAX_NAME_CHARS
            && value
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
        if !plausible {
            return "other".to_owned();
        }
        let mut seen = self.0.lock().expect("never poisoned");
        if seen.contains(value) {
            return value.to_owned();
        }
        if seen.len() < MAX_LABEL_VALUES {
            seen.insert(value.to_owned());
            return value.to_owned();
        }
        "other".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_labels_are_bounded() {
        let values = BoundedValues::default();
        assert_eq!(values.label("ListProducts"), "ListProducts");
        assert_eq!(values.label("has space"), "other");
        assert_eq!(values.label(&"A".repeat(65)), "other");
        for i in 0..MAX_LABEL_VALUES * 2 {
            values.label(&format!("Op{i}"));
        }
        assert_eq!(values.0.lock().unwrap().len(), MAX_LABEL_VALUES);
        assert_eq!(values.label("ListProducts"), "ListProducts", "seen before");
        assert_eq!(values.label("BrandNew"), "other");
    }

    #[test]
    fn the_text_format_names_every_series() {
        let metrics = Metrics::new();
        metrics.operation(
            Some("ListProducts"),
            OperationType::query,
            Outcome::Ok,
            Duration::from_millis(3),
        );
        let text = metrics.render(Sampled::default());
        assert!(text.contains(
            r#"shopgraph_operations_total{operation_name="ListProducts",operation_type="query",outcome="ok"} 1"#
        ), "{text}");
        assert!(text.contains("shopgraph_build_info{version="), "{text}");
        assert!(text.contains("shopgraph_db_pool_connections 0"), "{text}");
    }
}
