//! A bare `graphql-transport-ws` client for attack tests: unlike the
//! `graphql-ws` npm client, it can stop reading, skip `connection_init`, or
//! send what no well-behaved client sends.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for the server's next message.
const PATIENCE: Duration = Duration::from_secs(15);

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Next {
    Message(Value),
    /// It closed the connection with this code (None: without a code, or
    /// the connection dropped).
    Closed(Option<u16>),
}

impl WsClient {
    /// Opens a socket on `http_url` (the server's `/graphql`) without
    /// initialising the protocol.
    pub async fn open(http_url: &str) -> WsClient {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a WebSocket URL");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("a header value"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        WsClient { socket }
    }

    /// Opens a socket and completes `connection_init` with `token`.
    pub async fn connect(http_url: &str, token: Option<&str>) -> WsClient {
        let mut client = WsClient::open(http_url).await;
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match client.next().await {
            Next::Message(message) if message["type"] == "connection_ack" => client,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("the message is sent");
    }

    /// Sends `subscribe` for `query` with `variables` under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The server's next protocol message or close.
    pub async fn next(&mut self) -> Next {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server says something within 15 s");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Next::Message(serde_json::from_str(&text).expect("JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Next::Closed(frame.map(|frame| u16::from(frame.code)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Next::Closed(None),
            }
        }
    }

    /// The next message that is not a ping or pong.
    pub async fn next_payload(&mut self) -> Value {
        loop {
            match self.next().await {
                Next::Message(message)
                    if message["type"] == "ping" || message["type"] == "pong" => {}
                Next::Message(message) => return message,
                Next::Closed(code) => panic!("closed with {code:?} while a message was expected"),
            }
        }
    }
}
