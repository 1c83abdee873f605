//! GraphQL over HTTP: the `/graphql` endpoint's handlers.
//!
//! The handlers are ours rather than async-graphql-axum's stock service,
//! because that service runs mutations sent by GET and accepts any content
//! type on POST. Here, following the GraphQL-over-HTTP spec:
//! - a POST must be `application/json` (415 otherwise). Browsers cannot send
//!   that cross-site without a CORS preflight, so this is also the CSRF
//!   defence: forms and `text/plain` posts never run, whatever headers they
//!   carry;
//! - a GET may only run queries (405 with `Allow: POST` for a mutation, which
//!   then runs nothing);
//! - the response's media type follows the client's `Accept` header; a
//!   request that fails before execution (unparseable, invalid) has no `data`
//!   entry, and with `application/graphql-response+json` its status is 400;
//! - persisted queries ([`crate::execute::persisted`]) are resolved first, so a GET
//!   naming a mutation by hash is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::{CART_TOKEN_HEADER, CartToken, TokenError, Viewer};
use crate::error::{ApiError, ErrorCode};
use crate::execute::Caller;
use crate::execute::persisted::Refusal;

use super::{AppState, request_error, ws};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub(super) async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let response = answer_post(state, client, &headers, body).await;
    in_negotiated_type(&headers, response)
}

/// Every GraphQL error body the endpoint sends (401, 413, 415, 429, …) in
/// the media type the client negotiated: with
/// `application/graphql-response+json`, a client such as Apollo Client
/// reads the error and its code instead of a bare HTTP failure.
fn in_negotiated_type(headers: &HeaderMap, mut response: Response) -> Response {
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

async fn answer_post(
    state: Arc<AppState>,
    client: SocketAddr,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "POST requests must have the content type application/json",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_refused(&rejection),
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("The request body is not a GraphQL request: {err}"),
            );
        }
    };
    let (requests, single) = match batch {
        BatchRequest::Single(request) => (vec![request], true),
        BatchRequest::Batch(requests) => (requests, false),
    };
    if requests.len() > state.max_batch {
        return request_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchTooLarge,
            &format!("A batch may hold at most {} operations", state.max_batch),
        );
    }
    let viewer = match identify(&state, headers).await {
        Ok(viewer) => viewer,
        Err(response) => return *response,
    };
    let address = state.client_address(headers, client);
    // Requests whose persisted query is unknown get that error in their
    // place; the others run together as one batch.
    let mut runnable = Vec::with_capacity(requests.len());
    let mut answers: Vec<Option<async_graphql::Response>> = Vec::with_capacity(requests.len());
    for mut request in requests {
        match prepare(&state, &mut request, address).await {
            Ok(()) => {
                runnable.push(request);
                answers.push(None);
            }
            Err(Prepared::NotFound) => answers.push(Some(persisted_query_not_found())),
            Err(Prepared::Refused(response)) => return *response,
        }
    }
    let executed = if runnable.is_empty() {
        Vec::new()
    } else {
        state
            .gate
            .execute(caller(headers, viewer, address), runnable)
            .await
    };
    let mut executed = executed.into_iter();
    let responses = answers
        .into_iter()
        .map(|answer| answer.or_else(|| executed.next()).unwrap_or_default());
    let response = if single {
        BatchResponse::Single(responses.take(1).next().unwrap_or_default())
    } else {
        BatchResponse::Batch(responses.collect())
    };
    graphql_response(headers, response)
}

/// Why a request cannot run as sent.
enum Prepared {
    /// Its persisted query is unknown; the client will send the query.
    NotFound,
    /// It is malformed: this response says how.
    Refused(Box<Response>),
}

/// Resolves a request's persisted query and checks that it has a document.
async fn prepare(state: &AppState, request: &mut Request, address: IpAddr) -> Result<(), Prepared> {
    match state.persisted.resolve(request, Some(address)).await {
        Ok(()) => {}
        Err(Refusal::NotFound) => return Err(Prepared::NotFound),
        Err(Refusal::Invalid(message)) => {
            return Err(Prepared::Refused(Box::new(request_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                message,
            ))));
        }
    }
    check_has_query(request).map_err(|response| Prepared::Refused(Box::new(response)))
}

/// Apollo clients recognise this message and code, and resend the query.
fn persisted_query_not_found() -> async_graphql::Response {
    let error = ErrorCode::PersistedQueryNotFound.error("PersistedQueryNotFound");
    async_graphql::Response::from_errors(vec![error])
}

/// The parameters of a GraphQL request sent by GET. (async-graphql's own
/// parser expects `operation_name`, so the spec's `operationName` is read here.)
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetParams {
    #[serde(default)]
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl GetParams {
    fn into_request(self) -> Result<Request, String> {
        fn json<T: serde::de::DeserializeOwned>(
            name: &str,
            text: Option<String>,
        ) -> Result<Option<T>, String> {
            text.map(|text| {
                serde_json::from_str(&text)
                    .map_err(|err| format!("`{name}` is not a JSON object: {err}"))
            })
            .transpose()
        }
        let mut request = Request::new(self.query);
        request.operation_name = self.operation_name;
        if let Some(variables) = json("variables", self.variables)? {
            request.variables = variables;
        }
        if let Some(extensions) = json("extensions", self.extensions)? {
            request.extensions = extensions;
        }
        Ok(request)
    }
}

pub(super) async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let response = answer_get(state, client, &headers, upgrade, params).await;
    in_negotiated_type(&headers, response)
}

async fn answer_get(
    state: Arc<AppState>,
    client: SocketAddr,
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    if let (Ok(upgrade), Some(protocol)) = (upgrade, ws::protocol(headers)) {
        // The upgraded socket outlives this HTTP connection's place.
        let Some(slot) = state.connections.admit(client.ip()) else {
            return request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::TooManyConnections,
                "Too many connections; try again later",
            );
        };
        let address = state.client_address(headers, client);
        return ws::upgrade(state.socket.clone(), upgrade, protocol, slot, address);
    }
    let mut request = match params
        .map_err(|err| err.body_text())
        .and_then(|Query(params)| params.into_request())
    {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("The query string is not a GraphQL request: {err}"),
            );
        }
    };
    let address = state.client_address(headers, client);
    let mut response = match prepare(&state, &mut request, address).await {
        Err(Prepared::Refused(response)) => *response,
        Err(Prepared::NotFound) => {
            graphql_response(headers, BatchResponse::Single(persisted_query_not_found()))
        }
        Ok(())
            if state.gate.documents().operation_type(&request) == Some(OperationType::Mutation) =>
        {
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                "Mutations must be sent with POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
        Ok(()) => match identify(&state, headers).await {
            Err(response) => *response,
            Ok(viewer) => {
                let caller = caller(headers, viewer, address);
                let response = state.gate.execute(caller, vec![request]).await;
                let response = response.into_iter().next().unwrap_or_default();
                let cache = cache_control(headers, &response, state.catalogue_max_age);
                let mut answer = graphql_response(headers, BatchResponse::Single(response));
                answer.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("no-store")),
                );
                answer
            }
        },
    };
    // The answer to a GET depends on `Accept`; caches must key on it.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// How long shared caches may keep a GET answer: anonymous catalogue reads
/// (every object in them public, as `Product` is) for `max_age` seconds;
/// anything asked with a token (bearer or cart), touching a customer's data (`Customer`,
/// `Cart`, `CartLine` are private) or answered with an error, not at all.
fn cache_control(headers: &HeaderMap, response: &async_graphql::Response, max_age: u32) -> String {
    let hints = response.cache_control;
    let credentials = [header::AUTHORIZATION.as_str(), CART_TOKEN_HEADER];
    if credentials.iter().any(|name| headers.contains_key(*name)) || !hints.public {
        "private, no-store".to_owned()
    } else if !response.errors.is_empty() || hints.max_age <= 0 || max_age == 0 {
        "no-store".to_owned()
    } else {
        format!("public, max-age={max_age}")
    }
}

/// Who sent the request and from where, with the guest cart token its
/// `X-Cart-Token` header carries (one that cannot be ours opens nothing).
fn caller(headers: &HeaderMap, viewer: Viewer, address: IpAddr) -> Caller {
    Caller {
        viewer,
        address: Some(address),
        cart_token: headers
            .get(CART_TOKEN_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(CartToken::from_client),
    }
}

/// Who sent the request, from its `Authorization` header. A token that is
/// not valid (forged, expired, revoked) is refused with 401 rather than
/// treated as anonymous, so the client knows to log in again.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Box<Response>> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match state.auth.viewer(&state.db, authorization).await {
        Ok(viewer) => Ok(viewer),
        Err(TokenError::Invalid) => {
            let mut response = request_error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "The token is invalid or expired; log in again",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Err(Box::new(response))
        }
        Err(TokenError::Database(err)) => {
            let (status, code) = match err {
                ApiError::Unavailable(code, _) => (StatusCode::SERVICE_UNAVAILABLE, code),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            };
            Err(Box::new(request_error(
                status,
                code,
                "The request could not be authenticated",
            )))
        }
    }
}

/// A request must carry a document: a missing or empty `query` is a bad
/// request, not an operation that fails to parse.
#[allow(clippy::result_large_err)]
fn check_has_query(request: &Request) -> Result<(), Response> {
    if request.query.trim().is_empty() {
        Err(request_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "The request has no `query`",
        ))
    } else {
        Ok(())
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

fn graphql_response(headers: &HeaderMap, response: BatchResponse) -> Response {
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
fn body_refused(rejection: &BytesRejection) -> Response {
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
