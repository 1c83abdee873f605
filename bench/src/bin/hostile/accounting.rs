//! The attacks of the accounting issue: work the cost model once did not
//! charge. Each runs from an address of its own until `stop` and reports
//! what the server let it do.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::attacks::{client, graphql, wait_for};

/// What the subscription flood got: events delivered, subscriptions the
/// server ended for want of points, changes the guest made.
#[derive(Debug, Default, Clone)]
pub struct Flood {
    pub subscriptions: usize,
    pub events: usize,
    pub ended_throttled: usize,
    pub changes: usize,
    /// Other answers: error codes (or message types), by count.
    pub other: BTreeMap<String, usize>,
}

/// One guest, one socket, 20 subscriptions to its own cart's lines with
/// the products' 2 KB descriptions, and the cart changed as fast as the
/// guest can: each change makes every subscription run its selection
/// again. Events are charged to the guest, so once its allowance is spent
/// the subscriptions end (`THROTTLED`, then `complete`).
pub async fn subscription_flood(
    addr: SocketAddr,
    products: Vec<String>,
    stop: Arc<AtomicBool>,
) -> Result<Flood> {
    const FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 7);
    const SUBSCRIPTIONS: usize = 20;
    let url = format!("http://{addr}/graphql");
    let guest = client(FROM, None)?;
    let lines: Vec<Value> = products
        .iter()
        .take(10)
        .map(|product| json!({ "productId": product, "quantity": 1 }))
        .collect();
    let created = graphql(&guest, &url, "mutation($lines: [CartLineInput!]) { createCart(lines: $lines) { cart { id } cartToken } }", json!({ "lines": lines })).await?;
    let cart = created["data"]["createCart"]["cart"]["id"]
        .as_str()
        .with_context(|| format!("a guest cart: {created}"))?
        .to_owned();
    let token = created["data"]["createCart"]["cartToken"]
        .as_str()
        .context("a cart token")?
        .to_owned();

    let mut request = format!("ws://{addr}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((FROM, 0)))?;
    let stream = socket.connect(addr).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await?;
    ws.send(Message::Text(
        json!({ "type": "connection_init", "payload": { "cartToken": token } })
            .to_string()
            .into(),
    ))
    .await?;
    let query = "subscription($cart: ID!) { cartUpdated(cartId: $cart) { totalQuantity subtotal { amount } lines { quantity product { id name description price { amount } } } } }";
    for id in 0..SUBSCRIPTIONS {
        ws.send(Message::Text(json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": query, "variables": { "cart": cart } } }).to_string().into())).await?;
    }
    let (sink, mut incoming) = ws.split();
    let stop_reading = stop.clone();
    let reader = tokio::spawn(async move {
        // Held so that the socket stays whole while it is read.
        let _sink = sink;
        let mut flood = Flood {
            subscriptions: SUBSCRIPTIONS,
            ..Flood::default()
        };
        let stopped = stop_reading.clone();
        let end = async move {
            wait_for(&stopped).await;
            // What is still in flight arrives within half a second.
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        tokio::pin!(end);
        loop {
            let frame = tokio::select! {
                frame = incoming.next() => frame,
                () = &mut end => break,
            };
            let Some(Ok(frame)) = frame else { break };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(close) => {
                    let reason = close.map_or("closed".to_owned(), |close| {
                        format!("closed {}", close.code)
                    });
                    *flood.other.entry(reason).or_default() += 1;
                    break;
                }
                _ => continue,
            };
            let Ok(message) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            match message["type"].as_str() {
                Some("next") if message["payload"]["data"]["cartUpdated"].is_object() => {
                    flood.events += 1
                }
                Some("next") | Some("error") if message.to_string().contains("THROTTLED") => {
                    flood.ended_throttled += 1
                }
                Some("connection_ack") | Some("complete") | Some("ping") | Some("pong") => {}
                kind => {
                    let payload = &message["payload"];
                    let code = payload["errors"][0]["extensions"]["code"]
                        .as_str()
                        .or_else(|| payload[0]["extensions"]["code"].as_str())
                        .or(kind)
                        .unwrap_or("unknown");
                    *flood.other.entry(code.to_owned()).or_default() += 1;
                }
            }
        }
        flood
    });

    let mut changes = 0;
    let mut quantity = 1;
    while !stop.load(Ordering::SeqCst) {
        quantity = 3 - quantity;
        let changed = guest
            .post(&url)
            .header("x-cart-token", &token)
            .json(&json!({ "query": "mutation($cart: ID!, $product: ID!, $q: Int!) { updateCartLine(cartId: $cart, productId: $product, quantity: $q) { userErrors { code } } }", "variables": { "cart": cart, "product": products[0], "q": quantity } }))
            .send()
            .await;
        if changed.is_ok_and(|response| response.status().is_success()) {
            changes += 1;
        } else {
            // Throttled itself: wait as a client would.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut flood = reader.await?;
    flood.changes = changes;
    Ok(flood)
}

/// What the row-writing batch got.
#[derive(Debug, Default, Clone)]
pub struct RowWriter {
    pub requests: usize,
    pub carts: usize,
    pub rows: usize,
    pub refused: usize,
    /// Why answers made no cart: error codes, by count.
    pub codes: BTreeMap<String, usize>,
}

/// One customer sends a JSON batch of 20 requests, each creating 15 carts
/// of 100 lines from one reused variable: 30,000 rows a request if
/// mutations were charged by what they select. They are charged 5 points
/// a row written, and a customer holds at most 100 open carts.
pub async fn row_writer(
    url: String,
    products: Vec<String>,
    stop: Arc<AtomicBool>,
) -> Result<RowWriter> {
    let from = client(Ipv4Addr::new(127, 0, 0, 8), None)?;
    let signed = graphql(&from, &url, "mutation { signUp(input: { email: \"writer@example.com\", name: \"Writer\", password: \"a long password\" }) { token } }", json!({})).await?;
    let token = signed["data"]["signUp"]["token"]
        .as_str()
        .with_context(|| format!("a token: {signed}"))?
        .to_owned();
    let writer = client(Ipv4Addr::new(127, 0, 0, 8), Some(&token))?;
    let lines: Vec<Value> = products
        .iter()
        .map(|product| json!({ "productId": product, "quantity": 1 }))
        .collect();
    let line_count = lines.len();
    let aliases: String = (0..15)
        .map(|i| format!("c{i}: createCart(lines: $l) {{ cart {{ id }} userErrors {{ code }} }} "))
        .collect();
    let mutation = format!("mutation($l: [CartLineInput!]) {{ {aliases} }}");
    let batch: Vec<Value> = (0..20)
        .map(|_| json!({ "query": mutation, "variables": { "l": lines } }))
        .collect();
    let mut got = RowWriter::default();
    while !stop.load(Ordering::SeqCst) {
        let Ok(response) = writer.post(&url).json(&batch).send().await else {
            continue;
        };
        got.requests += 1;
        let status = response.status();
        let Ok(answers) = response.json::<Value>().await else {
            got.refused += 1;
            *got.codes.entry(format!("HTTP {status}")).or_default() += 1;
            continue;
        };
        let answers = answers.as_array().cloned().unwrap_or_else(|| vec![answers]);
        for answer in &answers {
            let made = (0..15)
                .filter(|i| answer["data"][format!("c{i}")]["cart"]["id"].is_string())
                .count();
            got.carts += made;
            if made == 0 {
                got.refused += 1;
                let code = answer["errors"][0]["extensions"]["code"]
                    .as_str()
                    .or_else(|| answer["data"]["c0"]["userErrors"][0]["code"].as_str())
                    .unwrap_or("unknown");
                *got.codes.entry(code.to_owned()).or_default() += 1;
            }
        }
        if answers.iter().all(|answer| answer.get("errors").is_some()) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    got.rows = got.carts * (1 + line_count);
    Ok(got)
}

/// What the sign-up multiplication got.
#[derive(Debug, Default, Clone)]
pub struct SignUps {
    pub accounts: usize,
    pub points_served: f64,
    /// What one client's allowance covers over the same time.
    pub one_allowance: f64,
}

/// One address signs up 8 accounts and spends from all of them at once,
/// as fast as it can. A new account also spends from its address's
/// allowance, so the address gets about one client's worth, not eight.
pub async fn sign_up_multiplier(url: String, stop: Arc<AtomicBool>) -> Result<SignUps> {
    const FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 9);
    const READ: &str =
        "{ products(first: 100) { nodes { id name description price { amount } } } }";
    let anonymous = client(FROM, None)?;
    let started = Instant::now();
    let mut tokens = Vec::new();
    for i in 0..8 {
        let signed = graphql(&anonymous, &url, "mutation($email: String!) { signUp(input: { email: $email, name: \"Many\", password: \"a long password\" }) { token } }", json!({ "email": format!("many{i}@example.com") })).await?;
        if let Some(token) = signed["data"]["signUp"]["token"].as_str() {
            tokens.push(token.to_owned());
        }
    }
    let accounts = tokens.len();
    let mut spenders = Vec::new();
    for token in tokens {
        let (url, stop) = (url.clone(), stop.clone());
        let customer = client(FROM, Some(&token))?;
        spenders.push(tokio::spawn(async move {
            let (mut served, mut allowance) = (0.0, (0.0, 0.0));
            while !stop.load(Ordering::SeqCst) {
                let Ok(answer) = graphql(&customer, &url, READ, json!({})).await else {
                    continue;
                };
                let status = &answer["extensions"]["cost"]["throttleStatus"];
                if let (Some(max), Some(restore)) = (
                    status["maximumAvailable"].as_f64(),
                    status["restoreRate"].as_f64(),
                ) {
                    allowance = (max, restore);
                }
                if answer.get("errors").is_none() {
                    served += answer["extensions"]["cost"]["actualQueryCost"]
                        .as_f64()
                        .unwrap_or(0.0);
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            (served, allowance)
        }));
    }
    wait_for(&stop).await;
    let mut got = SignUps {
        accounts,
        ..SignUps::default()
    };
    let mut allowance = (0.0, 0.0);
    for spender in spenders {
        if let Ok((served, seen)) = spender.await {
            got.points_served += served;
            if seen.0 > 0.0 {
                allowance = seen;
            }
        }
    }
    got.one_allowance = allowance.0 + allowance.1 * started.elapsed().as_secs_f64();
    Ok(got)
}
