//! Request IDs: every HTTP request has an ID, so a client's report, a log line
//! and an error can be matched. The caller's `x-request-id` is kept when it
//! is a plausible ID (at most [`MAX_CHARS`] characters of `A-Z a-z 0-9 - _
//! . : /`, so it cannot forge log lines or smuggle markup); otherwise a UUID
//! is made. The ID is echoed on the response, is a field of the request's
//! log span (so of every line logged while serving it), and is added as
//! `extensions.requestId` to every error the request answers, as Shopify's
//! API does.
//!
//! One middleware does it (rather than tower-http's set/propagate pair):
//! the caller's value must be checked before it is kept, and the ID must be
//! known to the code that writes error bodies, which reads it from a
//! task-local scoped around the request.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

/// The header the ID travels in, both ways.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-supplied ID kept.
pub const MAX_CHARS: usize = 128;

tokio::task_local! {
    static CURRENT: HeaderValue;
}

/// Gives the request its ID (the caller's, if acceptable, or a new one),
/// serves it (`serve`) within that ID's scope, and echoes the ID on the
/// response.
pub async fn assign<F>(mut request: Request, serve: impl FnOnce(Request) -> F) -> Response
where
    F: std::future::Future<Output = Response>,
{
    let id = request
        .headers()
        .get(&HEADER)
        .filter(|value| acceptable(value.as_bytes()))
        .cloned()
        .unwrap_or_else(made);
    request.headers_mut().insert(HEADER, id.clone());
    let mut response = CURRENT.scope(id.clone(), serve(request)).await;
    response.headers_mut().insert(HEADER, id);
    response
}

/// A new ID: a random (v4) UUID. Its bytes come from the thread's
/// generator (ChaCha, seeded from the OS once), not from the OS per
/// request as `Uuid::new_v4` takes them (a `getrandom` system call each).
fn made() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .expect("a UUID is a valid header value")
}

fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CHARS
        && id
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:/".contains(byte))
}

/// The ID of the request being served on this task, if any.
pub fn current() -> Option<String> {
    CURRENT
        .try_with(|id| id.to_str().ok().map(str::to_owned))
        .ok()
        .flatten()
}

/// Adds the request's ID to every error of `response` as
/// `extensions.requestId`.
pub fn tag_errors(response: &mut async_graphql::BatchResponse) {
    match response {
        async_graphql::BatchResponse::Single(single) => tag(single),
        async_graphql::BatchResponse::Batch(all) => all.iter_mut().for_each(tag),
    }
}

/// Adds the ID of the request being served (for a WebSocket, the request
/// that opened it) to every error of `response`.
pub fn tag(response: &mut async_graphql::Response) {
    let Some(id) = current() else {
        return;
    };
    for error in &mut response.errors {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("requestId", id.as_str());
    }
}

/// Runs `work` (a WebSocket connection, which outlives its request) with
/// the ID of the request that opened it, if any.
pub async fn scope<F: std::future::Future>(id: Option<String>, work: F) -> F::Output {
    match id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        Some(id) => CURRENT.scope(id, work).await,
        None => work.await,
    }
}

/// The ID of `request`, once [`assign`] has run (for its log span).
pub fn of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .headers()
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_ids_are_kept() {
        assert!(acceptable(b"0f8c2b9e-5a7d-4c1e-9a53-1b2c3d4e5f60"));
        assert!(acceptable(b"trace:abc/def_1.2"));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"has space"));
        assert!(!acceptable(b"new\nline"));
        assert!(!acceptable(b"<script>"));
        assert!(!acceptable(&[b'a'; MAX_CHARS + 1]));
        assert!(acceptable(&[b'a'; MAX_CHARS]));
    }
}
