//! Attacks, each sent as an attacker would send it, against the real server:
//! none may crash it, stall it or make it hold more than its limits allow.

use std::time::Duration;

use serde_json::{Value, json};

use crate::binary;
use crate::support::ws::{WsClient, ws_answer_code, ws_error_code};
use crate::support::{Engine, TestApp, client, engine_tests};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {response:#}"))
}

/// `{ __typename(a: [[[…1…]]]) }`, `depth` lists deep: 5 KB at 2,500.
fn deep_value(depth: usize) -> String {
    format!(
        "{{ __typename(a: {}1{}) }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn deeply_nested_values_are_refused_on_every_transport_and_the_process_lives() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = binary::start(dir.path(), &[]).await;
    let anonymous = client(None);
    let attack = deep_value(2_500);
    let object_attack = format!(
        "{{ __typename(a: {}1{}) }}",
        "{a: ".repeat(2_500),
        "}".repeat(2_500)
    );
    for query in [&attack, &object_attack] {
        let posted: Value = anonymous
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("the server answers a POST")
            .json()
            .await
            .unwrap();
        assert_eq!(code(&posted), "QUERY_TOO_DEEP", "{posted:#}");
        // By GET, as a cross-site <img> could send it.
        let got: Value = anonymous
            .get(format!("{url}/graphql"))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .expect("the server answers a GET")
            .json()
            .await
            .unwrap();
        assert_eq!(code(&got), "QUERY_TOO_DEEP", "{got:#}");
        let mut socket = WsClient::connect(&format!("{url}/graphql"), None).await;
        socket.subscribe("1", query, json!({})).await;
        let answer = socket.next_payload().await;
        assert_eq!(ws_error_code(&answer), "QUERY_TOO_DEEP", "{answer:#}");
    }
    // Within the limit, values parse (async-graphql ignores arguments of
    // `__typename`).
    let fine: Value = anonymous
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": deep_value(40) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fine["data"]["__typename"], "QueryRoot", "{fine:#}");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server process is still running"
    );
    let live = anonymous.get(format!("{url}/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}

#[tokio::test]
async fn documents_over_the_token_limit_are_refused_before_parsing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let long = format!("{{ {} }}", "__typename ".repeat(5_000));
    let response = app.post(&long, json!({})).await;
    assert_eq!(code(&response), "QUERY_TOO_LARGE", "{response:#}");
    assert!(response.get("data").is_none(), "nothing ran: {response:#}");
    let fits = format!("{{ {} }}", "__typename ".repeat(4_000));
    let response = app.post(&fits, json!({})).await;
    assert_eq!(response["data"]["__typename"], "QueryRoot", "{response:#}");
}

#[tokio::test]
async fn error_lists_are_capped() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    // 4,000 unknown fields: one validation error each.
    let fields: String = (0..4_000).map(|i| format!("f{i} ")).collect();
    let response = app.post(&format!("{{ {fields} }}"), json!({})).await;
    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 100, "{:#}", errors[99]);
    assert!(
        errors[99]["message"]
            .as_str()
            .unwrap()
            .contains("3901 more")
    );
    assert_eq!(
        errors[99]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

/// Settings that cannot work are refused before the database is touched:
/// no database file is created, no migration runs.
#[tokio::test]
async fn short_or_empty_secrets_are_refused_at_start() {
    for (flag, value, says) in [
        ("--token-secret", "", "at least 32"),
        ("--token-secret", "short", "at least 32"),
        ("--admin-token", "", "at least 32"),
        (
            "--admin-token",
            "0123456789abcdef0123456789abcde",
            "at least 32",
        ),
        ("--rate-limit-points", "100", "--max-complexity"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0", flag, value])
            .env_remove("SHOPGRAPH_TOKEN_SECRET")
            .env_remove("SHOPGRAPH_ADMIN_TOKEN")
            .output()
            .await
            .expect("the binary runs");
        assert!(!output.status.success(), "{flag} {value:?} must not start");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{flag} {value:?}: {stderr}");
        assert!(
            !dir.path().join("shop.db").exists(),
            "{flag} {value:?}: the database was opened before the settings were checked"
        );
    }
}

/// Reads from `stream` until the server closes it; what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection within 10 s")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A TCP connection to `app` from the loopback address `from`.
async fn connect_from(app: &TestApp, from: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(format!("{from}:0").parse().unwrap())
        .expect("any 127.x address is loopback");
    socket.connect(app.addr).await.expect("the server accepts")
}

async fn quick_timeouts() -> TestApp {
    TestApp::spawn_with(Engine::Sqlite, |config| {
        config.header_timeout_ms = 300;
        config.body_timeout_ms = 300;
    })
    .await
}

#[tokio::test]
async fn half_sent_request_heads_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let app = quick_timeouts().await;
    let mut half_sent = connect_from(&app, "127.0.0.1").await;
    half_sent
        .write_all(b"POST /graphql HTTP/1.1\r\nhost: shop\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut half_sent).await;
    assert!(!answer.contains("200 OK"), "{answer}");

    let mut idle = connect_from(&app, "127.0.0.1").await;
    idle.write_all(b"GET /live HTTP/1.1\r\nhost: shop\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "served first: {answer}");
}

#[tokio::test]
async fn slow_bodies_get_408_and_large_ones_a_coded_413() {
    use tokio::io::AsyncWriteExt;
    let app = quick_timeouts().await;
    let mut slow = connect_from(&app, "127.0.0.1").await;
    slow.write_all(b"POST /graphql HTTP/1.1\r\nhost: shop\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\":")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"TIMEOUT\""), "{answer}");

    let large = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 413);
    let body: Value = large.json().await.expect("a JSON error body");
    assert_eq!(code(&body), "BODY_TOO_LARGE");
}

#[tokio::test]
async fn connections_are_capped_per_address_and_others_still_get_in() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.max_connections_per_ip = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(&app, "127.0.0.2").await);
    }
    let mut refused = connect_from(&app, "127.0.0.2").await;
    let answer = read_until_closed(&mut refused).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("TOO_MANY_CONNECTIONS"), "{answer}");
    // Another address is served meanwhile.
    let live = app.http.get(app.url("/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    // A freed place is taken again; wait until the server has seen the close.
    held.pop();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect_from(&app, "127.0.0.2").await;
        use tokio::io::AsyncWriteExt;
        again
            .write_all(b"GET /live HTTP/1.1\r\nhost: shop\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until_closed(&mut again).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never admitted again: {answer}"
        );
        tokio::task::yield_now().await;
    }
}

engine_tests! {
    /// A customer opens many subscriptions to their cart on one socket and
    /// stops reading while the cart keeps changing: the database pool stays
    /// free for everyone else, the server drops the socket once a write
    /// waits too long, and the subscriptions it held are counted no more.
    async fn a_subscriber_that_stops_reading_holds_no_database_connections(app) {
        let app = TestApp::start_on(&app, |config| {
            config.ws_write_timeout_ms = 1_000;
            config.max_subscriptions_per_connection = 40;
            config.max_subscriptions_per_customer = 40;
        }).await;
        let description = "d".repeat(5_000);
        let mut products = Vec::new();
        for i in 0..10 {
            let data = app.ok(
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }",
                json!({ "input": { "name": format!("P{i}"), "price": "1.00", "stock": 1000, "description": description } }),
            ).await;
            products.push(data["createProduct"]["product"]["id"].as_str().unwrap().to_owned());
        }
        let (token, customer) = app.sign_up("stall@example.com").await;
        let lines: Vec<(&str, i32)> = products.iter().map(|id| (id.as_str(), 1)).collect();
        let cart = app.create_cart(&customer, &lines).await;
        let watch = "subscription($cart: ID!) { cartUpdated(cartId: $cart) { totalQuantity lines { product { description } } } }";
        let mut stalled = WsClient::connect_small_buffer(&app.url("/graphql"), Some(&token)).await;
        for i in 0..40 {
            stalled.subscribe(&i.to_string(), watch, json!({ "cart": cart })).await;
        }
        // From here on the client reads nothing, while each change makes 40
        // events of ~50 KB for it. Everyone else is served meanwhile, until
        // the server gives up on the socket: its 40 subscriptions are then
        // freed, and the customer may subscribe again.
        let change = "mutation($cart: ID!, $product: ID!, $quantity: Int!) { updateCartLine(cartId: $cart, productId: $product, quantity: $quantity) { userErrors { code } } }";
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let mut round = 0;
        loop {
            round += 1;
            let data = app.ok(change, json!({ "cart": cart, "product": products[0], "quantity": 1 + round % 2 })).await;
            assert_eq!(data["updateCartLine"]["userErrors"], json!([]));
            let read = app.ok("{ products(first: 5) { nodes { id } } }", json!({})).await;
            assert_eq!(read["products"]["nodes"].as_array().unwrap().len(), 5, "round {round}");
            let ready = app.http.get(app.url("/ready")).send().await.unwrap();
            assert_eq!(ready.status(), 200, "the database is not reported down (round {round})");
            if round % 5 != 0 {
                continue;
            }
            // A fresh subscription is refused at once while the stalled one
            // holds the customer's 40; once admitted, the next change
            // reaches it.
            let mut probe = WsClient::connect(&app.url("/graphql"), Some(&token)).await;
            probe.subscribe("p", "subscription($cart: ID!) { cartUpdated(cartId: $cart) { totalQuantity } }", json!({ "cart": cart })).await;
            app.ok(change, json!({ "cart": cart, "product": products[1], "quantity": 1 + round % 3 })).await;
            let answer = probe.next_payload().await;
            if answer["type"] == "next" && answer["payload"]["data"]["cartUpdated"]["totalQuantity"].is_number() {
                break;
            }
            assert_eq!(ws_error_code(&answer), "TOO_MANY_SUBSCRIPTIONS", "{answer:#}");
            assert!(std::time::Instant::now() < deadline, "the stalled socket was never dropped ({round} rounds)");
        }
        // The server closed the stalled socket: what it managed to send,
        // then the end.
        stalled.closed().await;
    }

    /// Operations over WebSocket pass the same gate as over HTTP: a stuck
    /// mutation ends at the request timeout.
    async fn websocket_operations_obey_the_request_timeout(app) {
        let product = app.create_product("Slow", "1.00", 5).await;
        let quick = TestApp::start_on(&app, |config| {
            config.request_timeout_ms = 500;
            config.statement_timeout_ms = 0;
        }).await;
        let txn = app.hold_product_rows().await;
        let mut socket = WsClient::connect(&quick.url("/graphql"), Some(crate::support::ADMIN_TOKEN)).await;
        socket.subscribe("1", "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { product { stock } } }", json!({ "id": product })).await;
        assert_eq!(ws_answer_code(&mut socket).await, "TIMEOUT");
        txn.rollback().await.unwrap();
        let data = app.ok("query($id: ID!) { product(id: $id) { stock } }", json!({ "id": product })).await;
        assert_eq!(data["product"]["stock"], 5, "the timed-out mutation changed nothing");
    }


    /// `deleteCustomer` ends the customer's sessions, and with them their
    /// open WebSockets, on every instance (PostgreSQL: the delete goes
    /// through another instance); before, a deleted customer's socket
    /// stayed authenticated until its token expired.
    async fn deleting_a_customer_closes_their_websockets(app) {
        let (token, customer) = app.sign_up("deleted@example.com").await;
        let product = app.create_product("Watched", "1.00", 1).await;
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(&token)).await;
        socket.subscribe("1", "subscription($id: ID!) { productUpdated(productId: $id) { id } }", json!({ "id": product })).await;
        let other = match app.engine {
            Engine::Postgres => Some(app.second_instance().await),
            Engine::Sqlite => None,
        };
        let deleted = other.as_ref().unwrap_or(&app)
            .post("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }", json!({ "id": customer })).await;
        assert_eq!(deleted["data"]["deleteCustomer"]["deletedId"], customer, "{deleted:#}");
        assert_eq!(socket.closed().await, Some(4403));
    }

    /// `logOut` closes the sockets that logged in with the token, on every
    /// instance (PostgreSQL: the logout goes through another instance).
    async fn log_out_closes_the_sessions_websockets(app) {
        const SECRET: &str = "a token secret shared by both instances";
        let app = TestApp::start_on(&app, |config| config.token_secret = Some(SECRET.into())).await;
        let (token, customer) = app.sign_up("leaving@example.com").await;
        let cart = app.create_cart(&customer, &[]).await;
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(&token)).await;
        socket.subscribe("1", "subscription($cart: ID!) { cartUpdated(cartId: $cart) { id } }", json!({ "cart": cart })).await;
        let other = match app.engine {
            Engine::Postgres => Some(TestApp::start_on(&app, |config| config.token_secret = Some(SECRET.into())).await),
            Engine::Sqlite => None,
        };
        let logout = other.as_ref().unwrap_or(&app)
            .post_as(Some(&token), "mutation { logOut { loggedOut } }", json!({})).await;
        assert_eq!(logout["data"]["logOut"]["loggedOut"], true, "{logout:#}");
        assert_eq!(socket.closed().await, Some(4403));
    }
}

#[tokio::test]
async fn websockets_must_initialise_in_time_and_with_a_valid_token() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.ws_init_timeout_ms = 300).await;
    let mut silent = WsClient::open(&app.url("/graphql")).await;
    assert_eq!(silent.closed().await, Some(4408));
    let mut forged = WsClient::open(&app.url("/graphql")).await;
    forged
        .send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer v1.1.1.9999999999.forged" } }))
        .await;
    assert_eq!(forged.closed().await, Some(4403));
}

#[tokio::test]
async fn subscriptions_are_capped_per_connection_and_messages_by_size() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.max_subscriptions_per_connection = 2;
        config.max_body_bytes = 4096;
    })
    .await;
    let product = app.create_product("Watched", "1.00", 5).await;
    let mut socket = WsClient::connect(&app.url("/graphql"), None).await;
    let watch = "subscription($id: ID!) { productUpdated(productId: $id) { id } }";
    for id in ["1", "2", "3"] {
        socket.subscribe(id, watch, json!({ "id": product })).await;
    }
    assert_eq!(ws_answer_code(&mut socket).await, "TOO_MANY_SUBSCRIPTIONS");
    // A message over the body limit ends the connection.
    socket
        .send_text(format!(
            "{{\"type\":\"ping\",\"payload\":\"{}\"}}",
            "x".repeat(8192)
        ))
        .await;
    assert_eq!(socket.closed().await, Some(1009));
}

engine_tests! {
    /// U+0000 cannot be stored in PostgreSQL text; every string input
    /// holding it is refused alike on both engines, before anything runs.
    async fn nul_characters_are_refused_in_every_string_input(app) {
        let nul = "a\u{0}b";
        let cases = [
            ("query($s: String!) { products(filter: { nameContains: $s }) { totalCount } }", json!({ "s": nul })),
            ("query($s: String!) { products(first: 1, after: $s) { totalCount } }", json!({ "s": nul })),
            ("mutation($s: String!) { logIn(email: $s, password: \"whatever-long\") { token } }", json!({ "s": nul })),
            ("mutation($s: String!) { signUp(input: { email: \"n@example.com\", name: $s, password: \"long enough\" }) { token } }", json!({ "s": nul })),
            (r#"{ products(filter: { nameContains: "a\u0000b" }) { totalCount } }"#, json!({})),
        ];
        for (query, variables) in cases {
            let response = app.post_as(None, query, variables).await;
            assert_eq!(code(&response), "BAD_USER_INPUT", "{query}: {response:#}");
            assert!(response.get("data").is_none(), "nothing ran: {response:#}");
        }
        assert_eq!(app.count_rows("customer").await, 0);
    }
}

engine_tests! {
    /// The largest prices, quantities and carts add up exactly: no line
    /// grows past 1,000,000 units, no cart past 250 lines, and a subtotal
    /// past what 64 bits hold is still exact. The lines beyond the
    /// estimate of 10 per cart are charged to the budget as they load.
    async fn money_and_cart_sizes_stay_within_exact_bounds(app) {
        let mut products = Vec::new();
        for i in 0..251 {
            products.push(app.create_product(&format!("Gold {i}"), "1000000000.00", 1_000_000_000).await);
        }
        let customer = app.create_customer("rich@example.com", "Rich").await;
        let lines: Vec<(&str, i32)> = products[..250].iter().map(|id| (id.as_str(), 1_000_000)).collect();
        let cart = app.create_cart(&customer, &lines).await;
        let data = app.ok("query($id: ID!) { cart(id: $id) { totalQuantity subtotal { amount } } }", json!({ "id": cart })).await;
        assert_eq!(data["cart"]["totalQuantity"], 250_000_000);
        assert_eq!(data["cart"]["subtotal"]["amount"], "250000000000000000.00", "2.5 × 10^19 minor units, exact");

        let add = "mutation($cart: ID!, $product: ID!, $quantity: Int!) { addCartLines(cartId: $cart, lines: [{ productId: $product, quantity: $quantity }]) { userErrors { field code } } }";
        let more = app.ok(add, json!({ "cart": cart, "product": products[0], "quantity": 1 })).await;
        assert_eq!(more["addCartLines"]["userErrors"], json!([{ "field": ["lines", "0", "quantity"], "code": "INVALID" }]));
        let another = app.ok(add, json!({ "cart": cart, "product": products[250], "quantity": 1 })).await;
        assert_eq!(another["addCartLines"]["userErrors"], json!([{ "field": ["lines"], "code": "TOO_MANY" }]));
        let data = app.ok("query($id: ID!) { cart(id: $id) { totalQuantity } }", json!({ "id": cart })).await;
        assert_eq!(data["cart"]["totalQuantity"], 250_000_000, "refused additions changed nothing");

        // Estimated at 10 lines × 5 fields, the cart's 250 lines cost 1,250.
        let tight = TestApp::start_on(&app, |config| config.max_complexity = 600).await;
        let response = tight.post("query($id: ID!) { cart(id: $id) { lines { quantity product { name price { amount } } } } }", json!({ "id": cart })).await;
        assert_eq!(code(&response), "QUERY_TOO_COMPLEX", "{:#}", response["errors"]);
        let response = app.post("query($id: ID!) { cart(id: $id) { lines { quantity } } }", json!({ "id": cart })).await;
        assert_eq!(response["data"]["cart"]["lines"].as_array().map(Vec::len), Some(250), "within the default budget");
    }
}

engine_tests! {
    /// A filter's IDs are bound SQL values; SQLite allows 32,766 per
    /// statement. A filter may list 1,000 in all, which both engines run.
    async fn filters_list_at_most_a_thousand_ids_in_all(app) {
        let ids: Vec<String> = (1..=1_000).map(|key| crate::support::global_id("Product", key)).collect();
        let many: Vec<Value> = (0..33).map(|_| json!({ "ids": ids })).collect();
        let (code, message) = app.top_level_error(
            "query($filter: ProductFilter!) { products(filter: $filter) { totalCount } }",
            json!({ "filter": { "or": many } }),
        ).await;
        assert_eq!(code, "BAD_USER_INPUT", "{message}");
        assert!(message.contains("1000 IDs in all"), "{message}");
        let response = app.post(
            "query($filter: ProductFilter!) { products(filter: $filter) { totalCount } }",
            json!({ "filter": { "or": [{ "ids": ids[..500] }, { "ids": ids[500..] }] } }),
        ).await;
        assert_eq!(response["data"]["products"]["totalCount"], 0, "{response:#}");
    }
}

/// A subscription's reads obey the request timeout like any operation: a
/// set-up whose read is blocked (the table locked from outside) ends with
/// `TIMEOUT` instead of waiting for good, and the same subscription starts
/// once the lock is gone. (PostgreSQL: SQLite never blocks a reader.)
#[tokio::test]
async fn subscription_reads_obey_the_request_timeout() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn(Engine::Postgres).await;
    let product = app.create_product("Watched", "1.00", 5).await;
    let quick = TestApp::start_on(&app, |config| {
        config.request_timeout_ms = 1_000;
        config.statement_timeout_ms = 0;
    })
    .await;
    let db = app.db().await;
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE product IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let watch = "subscription($id: ID!) { productUpdated(productId: $id) { stock } }";
    let mut socket = WsClient::connect(&quick.url("/graphql"), None).await;
    socket.subscribe("1", watch, json!({ "id": product })).await;
    assert_eq!(ws_answer_code(&mut socket).await, "TIMEOUT");
    lock.rollback().await.unwrap();
    // Unblocked, the same subscription starts and sees changes (made until
    // one arrives: nothing says when the set-up is done).
    socket.subscribe("2", watch, json!({ "id": product })).await;
    let changing = {
        let (http, url) = (quick.http.clone(), quick.url("/graphql"));
        tokio::spawn(async move {
            loop {
                http.post(&url)
                    .json(&json!({ "query": "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 4 }) { product { stock } } }", "variables": { "id": product } }))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let event = loop {
        let message = socket.next_payload().await;
        if message["id"] == "2" {
            break message;
        }
    };
    changing.abort();
    assert_eq!(
        event["payload"]["data"]["productUpdated"]["stock"], 4,
        "{event:#}"
    );
}
