//! The HTTP side of a GraphQL answer: the media type the client
//! negotiated, the status code the GraphQL-over-HTTP spec gives each kind
//! of failure, `Retry-After`, and how long shared caches may keep a GET.

use async_graphql::BatchResponse;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ErrorCode;

use super::request_error;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Every GraphQL error body the endpoint sends (401, 413, 415, 429, …) in
/// the media type the client negotiated: with
/// `application/graphql-response+json`, a client such as Apollo Client
/// reads the error and its code instead of a bare HTTP failure.
pub(super) fn in_negotiated_type(headers: &HeaderMap, mut response: Response) -> Response {
    let is_plain_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == b"application/json");
    if is_plain_json && wants_graphql_response_json(headers) {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(GRAPHQL_RESPONSE_JSON),
        );
    }
    response
}

/// How long shared caches may keep a GET answer: one that touched only
/// public data (every type is, but `Customer`, `Cart`, `CartLine`, `Order`
/// and the fields whose answer depends on who asks: `cart`, `carts`,
/// `node`, `nodes`, `viewer`) and no error, for `max_age` seconds
/// (`--cache-max-age-s`); nothing asked with a bearer token, which may
/// see more, is stored. A guest's `X-Cart-Token` does not stop the
/// catalogue being cached: no public answer depends on it.
pub(super) fn cache_control(
    headers: &HeaderMap,
    response: &async_graphql::Response,
    max_age: u32,
) -> String {
    let hints = response.cache_control;
    if headers.contains_key(header::AUTHORIZATION) || !hints.public {
        "private, no-store".to_owned()
    } else if !response.errors.is_empty() || hints.max_age < 0 || max_age == 0 {
        "no-store".to_owned()
    } else {
        format!("public, max-age={max_age}")
    }
}

/// A publicly cached answer is served to everyone: it keeps what it cost,
/// but not the first caller's rate-limit status.
pub(super) fn without_caller_state(response: &mut async_graphql::Response) {
    if let Some(async_graphql::Value::Object(cost)) = response.extensions.get_mut("cost") {
        cost.shift_remove("throttleStatus");
    }
}

fn wants_graphql_response_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(GRAPHQL_RESPONSE_JSON))
        })
}

/// Whether a response reports a request error: one raised before execution
/// (parse, validation, unknown persisted query), whose errors point at no
/// field, as opposed to field errors that happened to null the whole `data`.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// Whether a response served nothing because the database is unreachable:
/// then 503 tells load balancers and retrying clients to try again. (Every
/// root field is null then: the nullable ones in place, as the spec says.)
fn nothing_for_want_of_database(response: &async_graphql::Response) -> bool {
    let nothing = match &response.data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields
            .values()
            .all(|value| *value == async_graphql::Value::Null),
        _ => false,
    };
    nothing
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| {
            error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("code"))
                == Some(&async_graphql::Value::from(
                    ErrorCode::ServiceUnavailable.as_str(),
                ))
        })
}

/// A response as JSON, without `data` when execution never started: the
/// GraphQL spec says `data` is absent then, not null.
fn response_json(response: &async_graphql::Response) -> serde_json::Result<serde_json::Value> {
    let mut json = serde_json::to_value(response)?;
    if is_request_error(response)
        && let Some(object) = json.as_object_mut()
    {
        object.remove("data");
    }
    Ok(json)
}

/// A response serialized as [`response_json`] makes it.
fn response_bytes(response: &async_graphql::Response) -> serde_json::Result<Vec<u8>> {
    if is_request_error(response) {
        serde_json::to_vec(&response_json(response)?)
    } else {
        serde_json::to_vec(response)
    }
}

/// The seconds after which a response refused by its client's rate limit
/// may be tried again; `None` unless all it holds is that refusal.
fn retry_after(response: &async_graphql::Response) -> Option<u64> {
    if response.data != async_graphql::Value::Null || response.errors.is_empty() {
        return None;
    }
    let throttled = async_graphql::Value::from(ErrorCode::Throttled.as_str());
    response
        .errors
        .iter()
        .map(|error| {
            let extensions = error.extensions.as_ref()?;
            if extensions.get("code") != Some(&throttled) {
                return None;
            }
            match extensions.get("retryAfter") {
                Some(async_graphql::Value::Number(seconds)) => seconds.as_u64(),
                _ => Some(1),
            }
        })
        .try_fold(0, |most, seconds| Some(most.max(seconds?)))
}

pub(super) fn graphql_response(headers: &HeaderMap, response: BatchResponse) -> Response {
    // A request its client's rate limit refused ran nothing: 429, with when
    // to try again.
    let throttled = match &response {
        BatchResponse::Single(single) => retry_after(single),
        BatchResponse::Batch(all) => all
            .iter()
            .map(retry_after)
            .try_fold(0, |most, seconds| Some(most.max(seconds?))),
    };
    let mut answer = graphql_body(headers, response);
    if let Some(seconds) = throttled {
        *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    answer
}

fn graphql_body(headers: &HeaderMap, mut response: BatchResponse) -> Response {
    crate::observe::request_id::tag_errors(&mut response);
    let graphql_media = wants_graphql_response_json(headers);
    // With `application/graphql-response+json`, a request error is reported
    // in the status too, as the spec asks; field errors keep 200.
    let status = match &response {
        BatchResponse::Single(single) if nothing_for_want_of_database(single) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        BatchResponse::Single(single) if graphql_media && is_request_error(single) => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    };
    let content_type = if graphql_media {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    // Straight to bytes: a detour through `serde_json::Value` would copy
    // every response (bench/results/latest.md).
    let body = match &response {
        BatchResponse::Single(single) => response_bytes(single),
        BatchResponse::Batch(all) => all
            .iter()
            .map(response_json)
            .collect::<serde_json::Result<Vec<_>>>()
            .and_then(|all| serde_json::to_vec(&all)),
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "could not serialize a GraphQL response");
            return request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "Internal server error",
            );
        }
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A body that could not be read: over the size limit (413), not sent
/// within the body timeout (408), or broken off (400); each with a coded
/// GraphQL error body.
pub(super) fn body_refused(rejection: &BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            "The request body is larger than the server accepts",
        );
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return request_error(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::Timeout,
                "The request body did not arrive in time",
            );
        }
        cause = error.source();
    }
    request_error(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        "The request body could not be read",
    )
}
