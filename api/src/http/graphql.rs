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
use axum::response::Response;
use serde::Deserialize;

use crate::auth::{CART_TOKEN_HEADER, CartToken, TokenError, Viewer};
use crate::error::{ApiError, ErrorCode};
use crate::execute::Caller;
use crate::execute::persisted::Refusal;

use super::answer::{
    body_refused, cache_control, graphql_response, in_negotiated_type, without_caller_state,
};
use super::{AppState, request_error, ws};

pub(super) async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let response = answer_post(state, client, &headers, body).await;
    in_negotiated_type(&headers, response)
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
    let parsed = if mentions_document_id(&body) {
        serde_json::from_slice(&body).and_then(with_document_ids)
    } else {
        serde_json::from_slice(&body)
    };
    let batch: BatchRequest = match parsed {
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
    /// A persisted document's ID (GraphQL over HTTP, persisted documents
    /// appendix): `sha256:<hex>` or the bare hash.
    document_id: Option<String>,
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
        if let Some(id) = self.document_id {
            by_document_id(&mut request, id);
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
    // Who asks comes first: a forged token is refused before a persisted
    // query is looked up or registered.
    let mut response = match identify(&state, headers).await {
        Err(response) => *response,
        Ok(viewer) => match prepare(&state, &mut request, address).await {
            Err(Prepared::Refused(response)) => *response,
            Err(Prepared::NotFound) => {
                graphql_response(headers, BatchResponse::Single(persisted_query_not_found()))
            }
            Ok(())
                if state.gate.documents().operation_type(&request)
                    == Some(OperationType::Mutation) =>
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
            Ok(()) => {
                let caller = caller(headers, viewer, address);
                let response = state.gate.execute(caller, vec![request]).await;
                let mut response = response.into_iter().next().unwrap_or_default();
                let cache = cache_control(headers, &response, state.catalogue_max_age);
                if cache.starts_with("public") {
                    without_caller_state(&mut response);
                }
                let mut answer = graphql_response(headers, BatchResponse::Single(response));
                answer.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_str(&cache).unwrap_or(HeaderValue::from_static("no-store")),
                );
                answer
            }
        },
    };
    // The answer to a GET depends on `Accept` and on who asks; caches must
    // key on both (answers to a bearer token are never stored anyway).
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("accept, authorization"),
    );
    response
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

/// A request naming its document by `documentId` (GraphQL over HTTP,
/// persisted documents appendix; Hive Gateway, Yoga and others send it):
/// the ID is a SHA-256 (`sha256:` prefix or not), looked up as persisted
/// queries are, among the trusted documents first.
fn by_document_id(request: &mut Request, id: String) {
    request.extensions.insert(
        "persistedQuery".to_owned(),
        async_graphql::Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": id }))
            .unwrap_or_default(),
    );
}

/// Whether a POST body may name a document by ID: only such bodies take
/// the slower path through a JSON value.
fn mentions_document_id(body: &[u8]) -> bool {
    body.windows(b"documentId".len())
        .any(|window| window == b"documentId")
}

/// The requests of a body parsed as JSON, each `documentId` made a lookup
/// by hash ([`by_document_id`]).
fn with_document_ids(body: serde_json::Value) -> serde_json::Result<BatchRequest> {
    fn one(mut value: serde_json::Value) -> serde_json::Result<Request> {
        let mut id = None;
        if let Some(object) = value.as_object_mut() {
            id = object
                .remove("documentId")
                .and_then(|id| id.as_str().map(str::to_owned));
            object
                .entry("query")
                .or_insert_with(|| serde_json::Value::String(String::new()));
        }
        let mut request: Request = serde_json::from_value(value)?;
        if let Some(id) = id {
            by_document_id(&mut request, id);
        }
        Ok(request)
    }
    Ok(match body {
        serde_json::Value::Array(requests) => BatchRequest::Batch(
            requests
                .into_iter()
                .map(one)
                .collect::<serde_json::Result<_>>()?,
        ),
        request => BatchRequest::Single(one(request)?),
    })
}
