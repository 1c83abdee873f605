//! HTTP: the axum router and the GraphQL endpoint's handlers.
//!
//! The handlers are ours rather than async-graphql-axum's stock service,
//! because that service runs mutations sent by GET and accepts any content
//! type on POST. Here a POST must be `application/json` (415 otherwise, which
//! also keeps cross-site form posts out), a GET may only run queries (405 with
//! `Allow: POST` for a mutation, which then runs nothing), and the response's
//! media type follows the client's `Accept` header.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::LazyLock;

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::{Instrument, Level};

use crate::error::ErrorCode;
use crate::schema::ShopSchema;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone)]
struct AppState {
    schema: ShopSchema,
    db: DatabaseConnection,
}

/// The whole HTTP surface: GraphiQL on `/`, GraphQL on `/graphql`, `/health`.
pub fn router(schema: ShopSchema, db: DatabaseConnection, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .with_state(AppState { schema, db })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(CompressionLayer::new())
        // One log line per request at `info`: method, path, status, latency.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the listening socket; port 0 picks a free port.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

async fn graphiql() -> Html<&'static str> {
    static PAGE: LazyLock<String> = LazyLock::new(|| {
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("shopgraph")
            .finish()
    });
    Html(PAGE.as_str())
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

async fn health(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": "up" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "down" })),
            )
                .into_response()
        }
    }
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
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
    let requests: Vec<&Request> = match &batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) => requests.iter().collect(),
    };
    if let Some(Err(response)) = requests
        .into_iter()
        .map(check_has_query)
        .find(Result::is_err)
    {
        return response;
    }
    let response = execute(&state, batch).await;
    graphql_response(&headers, response)
}

/// The parameters of a GraphQL request sent by GET. (async-graphql's own
/// parser expects `operation_name`, so the spec's `operationName` is read here.)
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
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

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let request = match params
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
    if let Err(response) = check_has_query(&request) {
        return response;
    }
    if is_mutation(&request) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadRequest,
            "Mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let response = execute(&state, BatchRequest::Single(request)).await;
    graphql_response(&headers, response)
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

/// Executes a request in a span naming its operations, so every log line
/// (SQL included) says which operation it belongs to.
async fn execute(state: &AppState, batch: BatchRequest) -> BatchResponse {
    let operations = match &batch {
        BatchRequest::Single(request) => operation_name(request).to_owned(),
        BatchRequest::Batch(requests) => requests
            .iter()
            .map(operation_name)
            .collect::<Vec<_>>()
            .join(","),
    };
    let span = tracing::info_span!("graphql", operation = %operations);
    crate::loaders::execute(&state.schema, &state.db, batch)
        .instrument(span)
        .await
}

fn operation_name(request: &Request) -> &str {
    request.operation_name.as_deref().unwrap_or("anonymous")
}

/// Whether the operation `request` would run is a mutation. A document that
/// does not parse is left to the executor, which reports the parse error.
fn is_mutation(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation),
        DocumentOperations::Multiple(operations) => match &request.operation_name {
            Some(name) => operations.get(name.as_str()),
            None if operations.len() == 1 => operations.values().next(),
            None => None,
        },
    };
    operation.is_some_and(|operation| operation.node.ty == OperationType::Mutation)
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

fn graphql_response(headers: &HeaderMap, response: BatchResponse) -> Response {
    let graphql_media = wants_graphql_response_json(headers);
    // With `application/graphql-response+json`, a request that failed before
    // execution (no `data`) is reported in the status too, as the spec asks.
    let status = match &response {
        BatchResponse::Single(single)
            if graphql_media && single.data == async_graphql::Value::Null && single.is_err() =>
        {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    };
    let content_type = if graphql_media {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    let body = match serde_json::to_vec(&response) {
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

fn request_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }),
        ),
    )
        .into_response()
}
