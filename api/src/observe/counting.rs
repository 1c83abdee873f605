//! Counting from wherever the work is: code that counts reaches the app's
//! [`Metrics`] through a task-local the HTTP layer scopes around each
//! request and the WebSocket layer around each connection ([`scope`],
//! [`record`]), so resolvers and the gate count without the registry being
//! threaded through every call.
//!
//! The statements a request runs are added to a second task-local, carried
//! into the batch loaders' fetch tasks by [`carry`]; it gives the
//! `statements per request` histogram.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::metrics::{Metrics, OperationType, Outcome};

tokio::task_local! {
    static CURRENT: Arc<Metrics>;
    static STATEMENTS: Arc<AtomicUsize>;
}

/// Runs `work` with `metrics` as the metrics [`record`] reaches.
pub async fn scope<F: Future>(metrics: Arc<Metrics>, work: F) -> F::Output {
    CURRENT.scope(metrics, work).await
}

/// Counts something on the metrics of the request or connection being
/// served, if it has any.
pub fn record(count: impl FnOnce(&Metrics)) {
    let _ = CURRENT.try_with(|metrics| count(metrics));
}

/// Adds a statement to the count of the request running it, if any (the
/// database connection's metric callback calls this).
pub fn statement_ran() {
    let _ = STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
}

/// Runs `work`, counting the statements it runs (batch fetches it spawns
/// through [`carry`] included); returns its output and that count.
pub async fn count_statements<F: Future>(work: F) -> (F::Output, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let output = STATEMENTS.scope(count.clone(), work).await;
    (output, count.load(Ordering::Relaxed))
}

/// Counts a request the gate answered: each operation (`operations` and
/// `responses` side by side) with its outcome and the request's time `took`,
/// each top-level error by code, and the `statements` the request ran.
pub fn answered(
    operations: &[(Option<String>, OperationType)],
    responses: &[async_graphql::Response],
    statements: usize,
    took: Duration,
) {
    record(|metrics| {
        metrics.request_statements(statements);
        for ((name, kind), response) in operations.iter().zip(responses) {
            for error in &response.errors {
                metrics.error(error_code(error));
            }
            let outcome = match response.errors.first() {
                Some(error) => Outcome::Error(error_code(error)),
                None if has_user_errors(&response.data) => Outcome::UserError,
                None => Outcome::Ok,
            };
            metrics.operation(name.as_deref(), *kind, outcome, took);
        }
    });
}

/// The code of a top-level error (every error of ours has one).
fn error_code(error: &async_graphql::ServerError) -> &str {
    match error
        .extensions
        .as_ref()
        .and_then(|values| values.get("code"))
    {
        Some(async_graphql::Value::String(code)) => code,
        _ => "UNKNOWN",
    }
}

/// Whether a mutation's payload (a root field's object) lists user errors.
fn has_user_errors(data: &async_graphql::Value) -> bool {
    let async_graphql::Value::Object(roots) = data else {
        return false;
    };
    roots.values().any(|payload| match payload {
        async_graphql::Value::Object(fields) => matches!(
            fields.get("userErrors"),
            Some(async_graphql::Value::List(errors)) if !errors.is_empty()
        ),
        _ => false,
    })
}

/// `work` with the statement counter of the task spawning it, for a batch
/// fetch that runs as a task of its own.
pub fn carry<F: Future + Send + 'static>(
    work: F,
) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F::Output: Send,
{
    match STATEMENTS.try_with(Arc::clone) {
        Ok(count) => Box::pin(STATEMENTS.scope(count, work)),
        Err(_) => Box::pin(work),
    }
}
