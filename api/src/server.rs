//! HTTP: the axum router and the GraphQL endpoint's handlers.
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
//! - persisted queries ([`crate::persisted`]) are resolved first, so a GET
//!   naming a mutation by hash is refused too.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse, Request};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::{Instrument, Level};

use crate::auth::{Auth, TokenError, Viewer};
use crate::batch;
use crate::documents::ParsedDocuments;
use crate::error::{ApiError, ErrorCode};
use crate::graphiql::Graphiql;
use crate::limits::{Budget, Limits};
use crate::loaders::Loaders;
use crate::persisted::{PersistedQueries, Refusal};
use crate::schema::ShopSchema;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone)]
struct AppState {
    schema: ShopSchema,
    db: DatabaseConnection,
    persisted: Arc<PersistedQueries>,
    documents: Arc<ParsedDocuments>,
    /// Permits to execute; see `Config::max_concurrent_requests`.
    executing: Arc<tokio::sync::Semaphore>,
    limits: Limits,
    /// Set once the server starts shutting down.
    shutting_down: Arc<AtomicBool>,
    auth: Auth,
}

/// What the HTTP layer is configured with.
pub struct HttpConfig {
    pub max_body_bytes: usize,
    /// GraphiQL at `/`, unless production mode turned it off.
    pub graphiql: Option<Arc<Graphiql>>,
    pub limits: Limits,
    /// Set when the server starts shutting down; `/ready` then says 503.
    pub shutting_down: Arc<AtomicBool>,
    pub auth: Auth,
    /// Origins allowed to call the API from a browser; none: same origin only.
    pub cors_origins: Vec<String>,
}

/// The whole HTTP surface: GraphiQL on `/`, GraphQL on `/graphql`, `/health`.
pub fn router(schema: ShopSchema, db: DatabaseConnection, config: &HttpConfig) -> Router {
    let state = AppState {
        schema,
        db,
        persisted: Arc::new(PersistedQueries::default()),
        documents: Arc::new(ParsedDocuments::new(
            config.limits.text,
            config.limits.document_cache_bytes,
        )),
        executing: Arc::new(tokio::sync::Semaphore::new(
            config.limits.max_concurrent_requests,
        )),
        limits: config.limits.clone(),
        shutting_down: config.shutting_down.clone(),
        auth: config.auth.clone(),
    };
    let mut router = Router::new();
    if let Some(graphiql) = &config.graphiql {
        router = router.merge(graphiql.clone().router());
    }
    router
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/live", get(live))
        .route("/ready", get(ready))
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(cors(&config.cors_origins))
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

/// Cross-origin access for the configured origins only (`*`: any origin,
/// without credentials). Preflights are answered here; with no origins
/// configured, browsers keep other sites out.
fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
        ])
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

/// How long the readiness and health checks wait for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the database answers, within [`PING_TIMEOUT`].
async fn database_up(db: &DatabaseConnection) -> bool {
    match tokio::time::timeout(PING_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "database unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("database did not answer within {PING_TIMEOUT:?}");
            false
        }
    }
}

/// Health for people and monitors: the server and its database.
async fn health(State(state): State<AppState>) -> Response {
    if database_up(&state.db).await {
        Json(json!({ "status": "ok", "database": "up" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "down" })),
        )
            .into_response()
    }
}

/// Liveness: the process is running and serving HTTP; restart it if not.
async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: send traffic here? No while the database is unreachable or
/// the server is shutting down.
async fn ready(State(state): State<AppState>) -> Response {
    if state.shutting_down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting down" })),
        )
            .into_response();
    }
    if database_up(&state.db).await {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "down" })),
        )
            .into_response()
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
    let (requests, single) = match batch {
        BatchRequest::Single(request) => (vec![request], true),
        BatchRequest::Batch(requests) => (requests, false),
    };
    if requests.len() > state.limits.max_batch {
        return request_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchTooLarge,
            &format!(
                "A batch may hold at most {} operations",
                state.limits.max_batch
            ),
        );
    }
    let viewer = match identify(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(response) => return *response,
    };
    // Requests whose persisted query is unknown get that error in their
    // place; the others run together as one batch.
    let mut runnable = Vec::with_capacity(requests.len());
    let mut answers: Vec<Option<async_graphql::Response>> = Vec::with_capacity(requests.len());
    for mut request in requests {
        match prepare(&state, &mut request) {
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
    } else if single {
        let request = runnable.pop().expect("one request");
        vec![execute_one(&state, viewer, request).await]
    } else {
        match execute(&state, viewer, BatchRequest::Batch(runnable)).await {
            BatchResponse::Batch(responses) => responses,
            BatchResponse::Single(response) => vec![response],
        }
    };
    let mut executed = executed.into_iter();
    let mut responses: Vec<async_graphql::Response> = answers
        .into_iter()
        .map(|answer| answer.or_else(|| executed.next()).unwrap_or_default())
        .collect();
    let response = if single {
        BatchResponse::Single(responses.remove(0))
    } else {
        BatchResponse::Batch(responses)
    };
    graphql_response(&headers, response)
}

/// Why a request cannot run as sent.
enum Prepared {
    /// Its persisted query is unknown; the client will send the query.
    NotFound,
    /// It is malformed: this response says how.
    Refused(Box<Response>),
}

/// Resolves a request's persisted query and checks that it has a document.
fn prepare(state: &AppState, request: &mut Request) -> Result<(), Prepared> {
    match state.persisted.resolve(request) {
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
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    if let (Ok(upgrade), Ok(protocol)) = (upgrade, protocol) {
        return subscriptions(state, upgrade, protocol);
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
    let mut response = match prepare(&state, &mut request) {
        Err(Prepared::Refused(response)) => *response,
        Err(Prepared::NotFound) => {
            graphql_response(&headers, BatchResponse::Single(persisted_query_not_found()))
        }
        Ok(()) if state.documents.is_mutation(&request) => {
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
        Ok(()) => match identify(&state, &headers).await {
            Err(response) => *response,
            Ok(viewer) => {
                let response = execute_one(&state, viewer, request).await;
                graphql_response(&headers, BatchResponse::Single(response))
            }
        },
    };
    // The answer to a GET depends on `Accept`; caches must key on it.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Serves subscriptions over a WebSocket on `/graphql`, with the
/// `graphql-transport-ws` protocol or the legacy `graphql-ws` one. The
/// connection's operations load through one set of batch loaders, driven
/// like a request's (loaders keep nothing between loads, so events always
/// read fresh rows).
fn subscriptions(
    state: AppState,
    upgrade: WebSocketUpgrade,
    protocol: GraphQLProtocol,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let loaders = Arc::new(Loaders::new(&state.db));
            let mut data = async_graphql::Data::default();
            data.insert(loaders.clone());
            let (auth, db) = (state.auth.clone(), state.db.clone());
            // The client sends its token in `connection_init`'s payload,
            // as `{"Authorization": "Bearer …"}` (browsers cannot set
            // WebSocket headers).
            let connection = GraphQLWebSocket::new(socket, state.schema, protocol)
                .with_data(data)
                .on_connection_init(move |payload| async move {
                    let authorization = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|key| payload.get(*key).and_then(|value| value.as_str()))
                        .map(str::to_owned);
                    let viewer =
                        auth.viewer(&db, authorization.as_deref())
                            .await
                            .map_err(|_| {
                                async_graphql::Error::new("The token is invalid or expired")
                            })?;
                    let mut data = async_graphql::Data::default();
                    data.insert(viewer);
                    Ok(data)
                })
                .serve();
            batch::drive(loaders, connection)
                .instrument(tracing::info_span!("graphql", operation = "subscriptions"))
        })
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

/// Executes a request in a span naming its operations, so every log line
/// (SQL included) says which operation it belongs to.
async fn execute(state: &AppState, viewer: Viewer, mut batch: BatchRequest) -> BatchResponse {
    let operations = match &batch {
        BatchRequest::Single(request) => operation_name(request).to_owned(),
        BatchRequest::Batch(requests) => requests
            .iter()
            .map(operation_name)
            .collect::<Vec<_>>()
            .join(","),
    };
    let span = tracing::info_span!("graphql", operation = %operations);
    let batch_size = match &batch {
        BatchRequest::Single(_) => None,
        BatchRequest::Batch(requests) => Some(requests.len()),
    };
    match &mut batch {
        BatchRequest::Single(request) => state.documents.attach(request),
        BatchRequest::Batch(requests) => requests
            .iter_mut()
            .for_each(|request| state.documents.attach(request)),
    }
    // Every operation of the request spends from one complexity budget.
    let batch = batch.data(Budget::default()).data(viewer);
    // Waiting for a permit counts towards the request's timeout.
    let run = async {
        let _permit = state.executing.acquire().await;
        crate::loaders::execute(&state.schema, &state.db, batch).await
    }
    .instrument(span);
    match tokio::time::timeout(state.limits.request_timeout, run).await {
        Ok(response) => response,
        // The execution is dropped: an open transaction rolls back.
        Err(_) => {
            let limit = state.limits.request_timeout;
            match batch_size {
                None => BatchResponse::Single(timed_out(limit)),
                Some(n) => BatchResponse::Batch((0..n).map(|_| timed_out(limit)).collect()),
            }
        }
    }
}

fn timed_out(limit: Duration) -> async_graphql::Response {
    let message = format!("The request took longer than {} ms", limit.as_millis());
    async_graphql::Response::from_errors(vec![ErrorCode::Timeout.error(message)])
}

async fn execute_one(
    state: &AppState,
    viewer: Viewer,
    request: Request,
) -> async_graphql::Response {
    match execute(state, viewer, BatchRequest::Single(request)).await {
        BatchResponse::Single(response) => response,
        BatchResponse::Batch(mut responses) => responses.pop().unwrap_or_default(),
    }
}

fn operation_name(request: &Request) -> &str {
    request.operation_name.as_deref().unwrap_or("anonymous")
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
/// then 503 tells load balancers and retrying clients to try again.
fn nothing_for_want_of_database(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
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

fn graphql_response(headers: &HeaderMap, response: BatchResponse) -> Response {
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

fn request_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }),
        ),
    )
        .into_response()
}
