//! GraphQL over WebSocket: the `graphql-transport-ws` protocol (and the
//! legacy `graphql-ws` one), with the limits HTTP has.
//!
//! async-graphql's protocol state machine ([`async_graphql::http::WebSocket`])
//! reads client messages and yields server messages; this module owns the
//! socket around it, because the stock loop (async-graphql-axum's
//! `GraphQLWebSocket::serve`) awaits each write with no deadline: a
//! subscriber that stopped reading froze its connection's whole future, and
//! with it every database read its subscriptions had started, until the
//! pool was gone. Here:
//! - three parts run side by side: a reader (frames in), the protocol (the
//!   state machine and its operations, with the connection's batch
//!   loaders), and a writer that owns the socket's sending half;
//! - the protocol hands messages to the writer through a small queue; the
//!   writer must get each onto the socket within `write_timeout`, or the
//!   client is not reading: the connection closes and everything its
//!   operations held is dropped;
//! - the writer pings every `keepalive`; a client silent for two intervals
//!   (not even a pong) is gone;
//! - `connection_init` must arrive within `init_timeout` (close 4408); a
//!   refused token closes 4403; messages are at most the body limit;
//! - operations pass the same gate as HTTP ([`crate::execute`]);
//! - the connection lives as long as its login: `logOut` on any instance
//!   (a change event, [`crate::store::events`]) or the token's expiry closes it
//!   with 4403.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols as Protocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::auth::{Auth, CartToken, Viewer};
use crate::execute::Gate;
use crate::execute::persisted::PersistedQueries;
use crate::http::serve::Slot;
use crate::observe::counting;
use crate::observe::metrics::Metrics;
use crate::store::batch;
use crate::store::events::{Event, Events};

/// How a WebSocket connection is bounded in time and size.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    /// Largest message or frame, in bytes (the HTTP body limit).
    pub max_message_bytes: usize,
    /// Longest wait for `connection_init` (then close 4408).
    pub init_timeout: Duration,
    /// Ping interval; a client that sends nothing for two is disconnected.
    pub keepalive: Duration,
    /// Longest a message may wait to be written: a client that does not
    /// read within it is disconnected.
    pub write_timeout: Duration,
}

/// Messages the protocol may have ready for the writer before it waits.
const OUTBOX: usize = 16;

/// What a connection needs from the server.
#[derive(Clone)]
pub struct SocketContext {
    pub gate: Gate,
    /// Documents sent by hash (`extensions.persistedQuery`) are resolved
    /// here as over HTTP: trusted documents run by hash on every transport.
    pub persisted: Arc<PersistedQueries>,
    pub db: DatabaseConnection,
    pub auth: Auth,
    pub events: Events,
    pub limits: SocketLimits,
    pub metrics: Arc<Metrics>,
}

/// The subprotocol a WebSocket upgrade asks for, if it is one of ours.
pub fn protocol(headers: &axum::http::HeaderMap) -> Option<Protocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())?
        .split(',')
        .find_map(|name| name.trim().parse().ok())
}

/// Accepts the upgrade and serves the connection; `slot` is its place
/// among the server's connections, held until it closes.
pub fn upgrade(
    context: SocketContext,
    upgrade: WebSocketUpgrade,
    protocol: Protocols,
    slot: Slot,
    address: std::net::IpAddr,
) -> Response {
    let max = context.limits.max_message_bytes;
    // The connection's errors carry the ID of the request that opened it
    // (read now: the connection is served after this request's scope).
    let opened_by = crate::observe::request_id::current();
    let traced = crate::observe::traced::traced();
    // Made now, within the request (so under its tracing decision, and a
    // child of its span); the connection is served after it.
    let span = tracing::info_span!("graphql", operation = "websocket");
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let metrics = context.metrics.clone();
            let connection = async move {
                let _slot = slot;
                let _open = context.metrics.websocket();
                serve(socket, context, protocol, address).await;
            };
            // The connection's operations count on the app's metrics.
            let connection = crate::observe::request_id::scope(opened_by, connection);
            let connection = crate::observe::traced::scope(traced, connection);
            counting::scope(metrics, connection).instrument(span)
        })
}

/// What `connection_init` established.
struct Login {
    /// The session to watch for `logOut`, and when its token expires.
    session: Option<(i64, chrono::DateTime<chrono::Utc>)>,
}

async fn serve(
    socket: WebSocket,
    context: SocketContext,
    protocol: Protocols,
    address: std::net::IpAddr,
) {
    let limits = context.limits;
    let (mut sink, mut source) = socket.split();
    let heard = Arc::new(Mutex::new(Instant::now()));

    // Reader: frames in; any frame, a pong included, shows the client lives.
    // A frame the socket refuses (over the size limit) is answered by the
    // writer with a close; the reader ends when the client leaves.
    let (inbox, received) = mpsc::channel::<Vec<u8>>(OUTBOX);
    let (refuse, mut refusal) = mpsc::channel::<(u16, &'static str)>(1);
    let reader = {
        let heard = heard.clone();
        async move {
            while let Some(message) = source.next().await {
                *heard.lock().expect("never poisoned") = Instant::now();
                let bytes = match message {
                    Ok(Message::Text(text)) => text.as_bytes().to_vec(),
                    Ok(Message::Binary(bytes)) => bytes.to_vec(),
                    Ok(Message::Close(_)) => break,
                    Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                    Err(err) => {
                        let _ = refuse.send(read_error_close(err)).await;
                        std::future::pending::<()>().await;
                        break;
                    }
                };
                if inbox.send(bytes).await.is_err() {
                    break;
                }
            }
        }
    };

    // Protocol: the state machine and its operations. Subscription events
    // load through the connection's batch loaders, driven here.
    let (logged_in, login) = oneshot::channel::<Login>();
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loaders = context.gate.loaders();
    let mut connection_data = Data::default();
    loaders.add_to(&mut connection_data);
    let init = {
        let (auth, db, refused) = (context.auth.clone(), context.db.clone(), refused.clone());
        move |payload: serde_json::Value| async move {
            // Browsers cannot set WebSocket headers: the token comes in
            // `connection_init`'s payload, as `{"Authorization": "Bearer …"}`.
            let authorization = ["Authorization", "authorization"]
                .iter()
                .find_map(|key| payload.get(*key).and_then(|value| value.as_str()))
                .map(str::to_owned);
            match auth.viewer_until(&db, authorization.as_deref()).await {
                Ok((viewer, expires_at)) => {
                    let session = match viewer {
                        Viewer::Customer { session, .. } => expires_at.map(|at| (session, at)),
                        _ => None,
                    };
                    let _ = logged_in.send(Login { session });
                    let mut data = Data::default();
                    data.insert(viewer);
                    // A guest's cart token, as `{"cartToken": "…"}`.
                    let cart_token = payload.get("cartToken").and_then(|value| value.as_str());
                    if let Some(token) = cart_token.and_then(CartToken::from_client) {
                        data.insert(token);
                    }
                    Ok(data)
                }
                Err(_) => {
                    refused.store(true, std::sync::atomic::Ordering::SeqCst);
                    Err(async_graphql::Error::new("The token is invalid or expired"))
                }
            }
        }
    };
    let (outbox, mut to_send) = mpsc::channel::<WsMessage>(OUTBOX);
    let executor = context
        .gate
        .for_socket(Some(address), context.persisted.clone());
    let protocol_part = {
        let input = tokio_stream_from(received);
        let messages = async_graphql::http::WebSocket::new(executor, input, protocol)
            .connection_data(connection_data)
            .on_connection_init(init);
        let protocol = batch::drive(loaders, async move {
            futures_util::pin_mut!(messages);
            while let Some(message) = messages.next().await {
                if outbox.send(message).await.is_err() {
                    break;
                }
            }
        });
        // Once the protocol ends, its outbox is closed: the writer sends
        // what is left (a close frame, say) and ends the connection.
        async move {
            protocol.await;
            std::future::pending::<()>().await;
        }
    };

    // Writer: the socket's sending half, pings and the connection's clocks.
    let writer = async {
        let mut ping = tokio::time::interval(limits.keepalive);
        ping.tick().await;
        let init_deadline = tokio::time::sleep(limits.init_timeout);
        tokio::pin!(init_deadline, login);
        let (mut initialised, mut login_settled) = (false, false);
        let mut session_ended: std::pin::Pin<
            Box<dyn std::future::Future<Output = &'static str> + Send>,
        > = Box::pin(std::future::pending());
        loop {
            let message = tokio::select! {
                message = to_send.recv() => match message {
                    Some(WsMessage::Text(text)) => Message::Text(text.into()),
                    Some(WsMessage::Close(code, reason)) => {
                        // A refused `connection_init` is "forbidden" (4403)
                        // in graphql-transport-ws, not a protocol error.
                        let code = if refused.load(std::sync::atomic::Ordering::SeqCst) { 4403 } else { code };
                        let _ = send(&mut sink, close(code, &reason), limits.write_timeout).await;
                        return;
                    }
                    None => return,
                },
                _ = ping.tick() => {
                    let silent = heard.lock().expect("never poisoned").elapsed();
                    if silent > limits.keepalive * 2 {
                        tracing::debug!(?silent, "WebSocket client went silent; closing");
                        let _ = send(&mut sink, close(1001, "No answer to pings"), limits.write_timeout).await;
                        return;
                    }
                    Message::Ping(Default::default())
                }
                () = &mut init_deadline, if !initialised => {
                    let _ = send(&mut sink, close(4408, "Connection initialisation timeout"), limits.write_timeout).await;
                    return;
                }
                // (A oneshot must not be polled again once it has answered.)
                settled = &mut login, if !login_settled => {
                    login_settled = true;
                    if let Ok(Login { session }) = settled {
                        initialised = true;
                        if let Some((session, expires_at)) = session {
                            session_ended = Box::pin(login_ends(context.events.clone(), session, expires_at));
                        }
                    }
                    continue;
                }
                Some((code, reason)) = refusal.recv() => {
                    let _ = send(&mut sink, close(code, reason), limits.write_timeout).await;
                    return;
                }
                reason = &mut session_ended => {
                    let _ = send(&mut sink, close(4403, reason), limits.write_timeout).await;
                    return;
                }
            };
            if send(&mut sink, message, limits.write_timeout)
                .await
                .is_err()
            {
                tracing::debug!("WebSocket client is not reading; closing");
                return;
            }
        }
    };

    // The writer ends the connection (done, refused, or the client does not
    // read), or the reader does (the client left); dropping the other parts
    // drops every operation and what it held.
    tokio::select! {
        () = reader => {}
        () = protocol_part => {}
        () = writer => {}
    }
}

/// Completes when the session `session` is logged out (on any instance) or
/// its token expires; says which.
async fn login_ends(
    events: Events,
    session: i64,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    let left = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let mut logged_out = std::pin::pin!(events.subscribe(Event::Session(session)));
    tokio::select! {
        _ = logged_out.next() => "Logged out",
        () = tokio::time::sleep(left) => "The token expired",
    }
}

/// The close frame for a frame the socket could not read: 1009 for one
/// over the size limit, 1002 for anything else malformed.
fn read_error_close(err: axum::Error) -> (u16, &'static str) {
    let too_big = err
        .into_inner()
        .downcast_ref::<tungstenite::Error>()
        .is_some_and(|err| matches!(err, tungstenite::Error::Capacity(_)));
    if too_big {
        (1009, "Message too big")
    } else {
        (1002, "Malformed frame")
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Writes `message` within `limit`.
async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    message: Message,
    limit: Duration,
) -> Result<(), ()> {
    match tokio::time::timeout(limit, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(()),
    }
}

/// A stream of what `receiver` receives.
fn tokio_stream_from<T: Send + 'static>(
    receiver: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

impl From<&crate::Config> for SocketLimits {
    fn from(config: &crate::Config) -> SocketLimits {
        SocketLimits {
            max_message_bytes: usize::try_from(config.max_body_bytes).unwrap_or(usize::MAX),
            init_timeout: Duration::from_millis(config.ws_init_timeout_ms),
            keepalive: Duration::from_millis(config.ws_keepalive_ms),
            write_timeout: Duration::from_millis(config.ws_write_timeout_ms),
        }
    }
}
