//! Which requests are traced. With `--otlp-endpoint`, each request is
//! decided once, as it arrives: a caller's W3C `traceparent` decides for
//! its trace (sampled or not, as OpenTelemetry's parent-based sampler
//! would), and a trace starting here is kept with the probability
//! `--otlp-sample-ratio`.
//!
//! The decision is made before any span exists, and the OpenTelemetry
//! layer is filtered on it ([`traced`]), so an untraced request builds no
//! OpenTelemetry span at all. Sampling after the spans were built (the
//! SDK's sampler) would still pay for building them: measured at 0.1, it
//! cost about 10% of a small read's throughput on 2 cores, sampled or not.
//!
//! The decision lives in a task-local around the request (and the
//! WebSocket connection it opens, and the batch fetches it spawns,
//! through [`carry`]); work outside any request is not traced.

use axum::extract::Request;
use axum::response::Response;
use opentelemetry::trace::TraceContextExt as _;

/// The W3C Trace Context header naming the caller's span.
const TRACEPARENT: &str = "traceparent";

tokio::task_local! {
    static TRACED: bool;
}

/// The caller's trace context, when the request is traced and continues
/// one: an extension of the request, read by the span that starts it.
#[derive(Clone)]
pub struct CallerTrace(opentelemetry::Context);

/// Decides whether the request is traced (the caller's sampled flag, or
/// `ratio`), and serves it (`serve`) within that decision.
pub async fn decide<F>(
    ratio: f64,
    mut request: Request,
    serve: impl FnOnce(Request) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    // Most requests carry no trace context: they skip the propagator.
    let caller = request
        .headers()
        .contains_key(TRACEPARENT)
        .then(|| {
            opentelemetry::global::get_text_map_propagator(|propagator| {
                propagator.extract(&Headers(request.headers()))
            })
        })
        .filter(|caller| caller.span().span_context().is_valid());
    let traced = match &caller {
        Some(caller) => caller.span().span_context().is_sampled(),
        None => ratio >= 1.0 || (ratio > 0.0 && rand::random::<f64>() < ratio),
    };
    if let Some(caller) = caller.filter(|_| traced) {
        request.extensions_mut().insert(CallerTrace(caller));
    }
    TRACED.scope(traced, serve(request)).await
}

/// Whether the work running on this task belongs to a traced request.
pub fn traced() -> bool {
    TRACED.try_with(|traced| *traced).unwrap_or(false)
}

/// Runs `work` (a WebSocket connection, which outlives its request) under
/// the decision of the request that opened it.
pub async fn scope<F: std::future::Future>(traced: bool, work: F) -> F::Output {
    TRACED.scope(traced, work).await
}

/// `work` under the decision of the task spawning it, for a batch fetch
/// that runs as a task of its own.
pub fn carry<F: Future + Send + 'static>(
    work: F,
) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F::Output: Send,
{
    Box::pin(TRACED.scope(traced(), work))
}

/// Makes `span` (the request's) a child of the caller's span when the
/// request continues a traced caller's trace.
pub fn continue_trace(span: &tracing::Span, request: &Request) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if let Some(CallerTrace(caller)) = request.extensions().get::<CallerTrace>() {
        let _ = span.set_parent(caller.clone());
    }
}

/// Request headers as OpenTelemetry's propagators read them.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
