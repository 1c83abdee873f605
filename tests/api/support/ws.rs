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
        WsClient::open_with_headers(http_url, &[]).await
    }

    /// [`WsClient::open`], sending `headers` with the upgrade request.
    pub async fn open_with_headers(http_url: &str, headers: &[(&'static str, &str)]) -> WsClient {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a WebSocket URL");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("a header value"),
        );
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(*name, value.parse().expect("a header value"));
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        WsClient { socket }
    }

    /// Opens a socket whose receive buffer is small (4 KiB, where Linux
    /// would let loopback grow it to 32 MiB), as a client on a slow link
    /// would have, and completes `connection_init` with `token`.
    pub async fn connect_small_buffer(http_url: &str, token: Option<&str>) -> WsClient {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.as_str().into_client_request().expect("a WebSocket URL");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("a header value"),
        );
        let host = request
            .uri()
            .authority()
            .expect("a host")
            .as_str()
            .to_owned();
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(4096).expect("a buffer size");
        let stream = socket
            .connect(host.parse().expect("an address"))
            .await
            .expect("the server accepts");
        let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .expect("the WebSocket opens");
        WsClient { socket }.init(token).await
    }

    /// Opens a socket and completes `connection_init` with `token`.
    pub async fn connect(http_url: &str, token: Option<&str>) -> WsClient {
        WsClient::open(http_url).await.init(token).await
    }

    /// Opens a socket and completes `connection_init` with `payload`.
    pub async fn connect_with(http_url: &str, payload: Value) -> WsClient {
        WsClient::open(http_url).await.init_with(payload).await
    }

    pub async fn init(self, token: Option<&str>) -> WsClient {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        self.init_with(payload).await
    }

    async fn init_with(self, payload: Value) -> WsClient {
        let mut client = self;
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

    /// Waits until the server closes the connection, reading whatever it
    /// still had queued; its close code.
    pub async fn closed(&mut self) -> Option<u16> {
        let wait = async {
            loop {
                if let Next::Closed(code) = self.next().await {
                    return code;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("the server closes the connection within 30 s")
    }

    /// Sends raw text, as a client that ignores the protocol might.
    pub async fn send_text(&mut self, text: String) {
        let _ = self.socket.send(Message::Text(text.into())).await;
    }
}

/// The code of the first error a `graphql-transport-ws` message reports,
/// as an `error` message or in a `next` message's payload.
pub fn ws_error_code(message: &Value) -> &str {
    let errors = match message["type"].as_str() {
        Some("error") => &message["payload"],
        _ => &message["payload"]["errors"],
    };
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {message:#}"))
}

/// The code of the first error of `next` messages or an `error` message.
pub async fn ws_answer_code(socket: &mut WsClient) -> String {
    let answer = socket.next_payload().await;
    ws_error_code(&answer).to_owned()
}
