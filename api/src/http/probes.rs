//! Probes for orchestrators and monitors: `/live` (the process serves
//! HTTP), `/ready` (send it traffic: the database answers and the server is
//! not shutting down) and `/health` (the server and its database). They use
//! a database connection of their own ([`crate::store::db::connect_probe`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::AppState;

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

/// Health for people and monitors: the server and its database, how many
/// GraphQL operations run (hold a permit) and wait for their turn, and how
/// many subscriptions listen for events.
pub(super) async fn health(State(state): State<Arc<AppState>>) -> Response {
    let load = state.gate.load();
    let requests = json!({ "running": load.running, "waiting": load.waiting });
    let (status, body) = if database_up(&state.probe_db).await {
        (StatusCode::OK, json!({ "status": "ok", "database": "up" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "database": "down" }),
        )
    };
    let mut body = body;
    body["requests"] = requests;
    body["subscriptions"] = json!(load.listening);
    (status, Json(body)).into_response()
}

/// Liveness: the process is running and serving HTTP; restart it if not.
pub(super) async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: send traffic here? No while the database is unreachable or
/// the server is shutting down.
pub(super) async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if state.shutting_down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting down" })),
        )
            .into_response();
    }
    if database_up(&state.probe_db).await {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "down" })),
        )
            .into_response()
    }
}
