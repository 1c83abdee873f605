//! The attackers of `bench/hostile` (and the helpers they share): each runs
//! until `stop`, from an address of its own, and counts what it got.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const ADMIN_TOKEN: &str = "hostile-bench-admin-token-of-32-bytes!";

/// Close to the 20,000 budget: 100 carts, each with its customer and 10
/// lines of products.
pub const COSTLY: &str = "{ carts(first: 100) { nodes { id customer { id name email } subtotal { amount } lines { quantity cost { amount } product { id name description price { amount } stock } } } } }";

/// An HTTP client whose connections come from `from`.
pub fn client(from: Ipv4Addr, token: Option<&str>) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
    }
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()?)
}

pub async fn graphql(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> Result<Value> {
    Ok(client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?)
}

#[derive(Default)]
pub struct Counters {
    pub probes: AtomicUsize,
    pub probes_failed: AtomicUsize,
    pub slow_refused: AtomicUsize,
    pub slow_closed: AtomicUsize,
    pub logins: AtomicUsize,
    pub logins_throttled: AtomicUsize,
    pub costly: AtomicUsize,
    pub costly_refused: AtomicUsize,
}

/// Half a request head, then silence until the server closes; again.
pub async fn slow_client(addr: SocketAddr, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    while !stop.load(Ordering::SeqCst) {
        let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
            return;
        };
        if socket
            .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0)))
            .is_err()
        {
            return;
        }
        let Ok(mut stream) = socket.connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let _ = stream
            .write_all(
                b"POST /graphql HTTP/1.1\r\nhost: shop\r\ncontent-type: application/json\r\n",
            )
            .await;
        let mut buffer = [0_u8; 512];
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read.unwrap_or(0),
            () = wait_for(&stop) => return,
        };
        if buffer[..read].starts_with(b"HTTP/1.1 503") {
            counters.slow_refused.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
        } else {
            counters.slow_closed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

pub async fn wait_for(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 100 subscriptions with ~20 KB events, on a socket that never reads.
/// Returns whether the server dropped the socket.
pub async fn stalled_subscriber(
    addr: SocketAddr,
    token: String,
    cart: String,
    stop: Arc<AtomicBool>,
) -> bool {
    let attempt = async {
        let mut request = format!("ws://{addr}/graphql").into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let stream = socket.connect(addr).await?;
        let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await?;
        ws.send(Message::Text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string().into())).await?;
        let query = "subscription($cart: ID!) { cartUpdated(cartId: $cart) { totalQuantity lines { product { description } } } }";
        for id in 0..100 {
            ws.send(Message::Text(json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": query, "variables": { "cart": cart } } }).to_string().into())).await?;
        }
        // Never read. At the end, see whether the server is still there:
        // drain and look for the end of the stream.
        wait_for(&stop).await;
        let drained = tokio::time::timeout(Duration::from_secs(10), async {
            use futures_util::StreamExt;
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
        anyhow::Ok(drained.is_ok())
    };
    attempt.await.unwrap_or(false)
}

pub async fn cart_changer(
    staff: reqwest::Client,
    url: String,
    cart: String,
    product: String,
    stop: Arc<AtomicBool>,
) {
    let mut quantity = 1;
    while !stop.load(Ordering::SeqCst) {
        quantity = 3 - quantity;
        let _ = graphql(&staff, &url, "mutation($cart: ID!, $product: ID!, $q: Int!) { updateCartLine(cartId: $cart, productId: $product, quantity: $q) { userErrors { code } } }",
            json!({ "cart": cart, "product": product, "q": quantity })).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn login_flooder(url: String, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    let Ok(client) = client(Ipv4Addr::new(127, 0, 0, 3), None) else {
        return;
    };
    let mut n = 0_u64;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let aliases: String = (0..4)
            .map(|i| format!("a{i}: logIn(email: \"victim@example.com\", password: \"guess {n} {i}\") {{ token userErrors {{ code }} }} "))
            .collect();
        let Ok(response) = graphql(
            &client,
            &url,
            &format!("mutation {{ {aliases} }}"),
            json!({}),
        )
        .await
        else {
            continue;
        };
        counters.logins.fetch_add(1, Ordering::SeqCst);
        if response.to_string().contains("THROTTLED") {
            counters.logins_throttled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

pub async fn costly_client(url: String, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    let Ok(client) = client(Ipv4Addr::new(127, 0, 0, 4), Some(ADMIN_TOKEN)) else {
        return;
    };
    while !stop.load(Ordering::SeqCst) {
        let Ok(response) = graphql(&client, &url, COSTLY, json!({})).await else {
            continue;
        };
        counters.costly.fetch_add(1, Ordering::SeqCst);
        if response.get("errors").is_some() {
            counters.costly_refused.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `/live` and `/ready` every 500 ms, each on a new connection, 2 s to answer.
pub async fn probe(addr: SocketAddr, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    let Ok(client) = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return;
    };
    while !stop.load(Ordering::SeqCst) {
        for path in ["/live", "/ready"] {
            counters.probes.fetch_add(1, Ordering::SeqCst);
            let ok = client
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .is_ok_and(|response| response.status() == 200);
            if !ok {
                counters.probes_failed.fetch_add(1, Ordering::SeqCst);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
