//! What an operator relies on: request IDs on every answer and error, and
//! the client's address taken from a trusted proxy's header only when
//! configured. (JSON logs are checked on the binary, in `binary.rs`.)

use serde_json::{Value, json};

use crate::support::{Engine, TestApp};

const GUEST_CART: &str = "mutation { createCart { cart { id } userErrors { code } } }";

/// POSTs `query` with extra `headers`; the answer's status, request ID
/// header and body.
async fn post(app: &TestApp, headers: &[(&str, &str)], query: &str) -> (u16, String, Value) {
    let mut request = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    (status, id, response.json().await.expect("a JSON body"))
}

fn is_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

#[tokio::test]
async fn request_ids_are_kept_or_made_and_reach_every_error() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let failing = "{ product(id: \"not an id\") { id } }";

    let (_, id, body) = post(&app, &[("x-request-id", "checkout-42:a/b_c.d")], failing).await;
    assert_eq!(id, "checkout-42:a/b_c.d", "the caller's ID is kept");
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"], "checkout-42:a/b_c.d",
        "{body:#}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let (_, made, body) = post(&app, &[], failing).await;
    assert!(is_uuid(&made), "one is made when none is sent: {made}");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], json!(made));
    let (_, another, _) = post(&app, &[], failing).await;
    assert_ne!(made, another, "each request has its own");

    let too_long = "a".repeat(129);
    for forged in ["has spaces", "<script>", too_long.as_str()] {
        let (_, id, body) = post(&app, &[("x-request-id", forged)], failing).await;
        assert!(is_uuid(&id), "{forged:?} is replaced: {id}");
        assert_eq!(body["errors"][0]["extensions"]["requestId"], json!(id));
    }

    // Refusals before execution carry it too, and answers without errors
    // echo it in the header only.
    let refused = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("x-request-id", "refused-1")
        .header("content-type", "text/plain")
        .body("{ products { totalCount } }")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(refused.headers()["x-request-id"], "refused-1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"], "refused-1",
        "{body:#}"
    );
    let (status, id, body) = post(
        &app,
        &[("x-request-id", "fine-1")],
        "{ products { totalCount } }",
    )
    .await;
    assert_eq!((status, id.as_str()), (200, "fine-1"));
    assert!(body.get("errors").is_none(), "{body:#}");
    let probe = reqwest::get(app.url("/live")).await.unwrap();
    assert!(
        is_uuid(probe.headers()["x-request-id"].to_str().unwrap()),
        "every route has one"
    );
}

/// A WebSocket's errors carry the ID of the request that opened it.
#[tokio::test]
async fn websocket_errors_carry_the_id_of_the_request_that_opened_the_socket() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mut socket = crate::support::ws::WsClient::open_with_headers(
        &app.url("/graphql"),
        &[("x-request-id", "socket-7")],
    )
    .await
    .init(None)
    .await;
    socket
        .subscribe("1", "{ product(id: \"not an id\") { id } }", json!({}))
        .await;
    let answer = socket.next_payload().await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer:#}"
    );
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["requestId"], "socket-7",
        "{answer:#}"
    );
    socket
        .subscribe(
            "2",
            "subscription { productUpdated(productId: \"UHJvZHVjdDo5OTk=\") { id } }",
            json!({}),
        )
        .await;
    // After the first operation's `complete`, the subscription's refusal.
    let refused = loop {
        let message = socket.next_payload().await;
        if message["id"] == "2" {
            break message;
        }
        assert_eq!(message["type"], "complete", "{message:#}");
    };
    assert!(
        refused.to_string().contains("\"requestId\":\"socket-7\""),
        "{refused:#}"
    );
}

/// Behind a proxy, throttles count the address the configured header
/// names (the last one, which the proxy appended); without the setting,
/// the header is the client's word and is ignored.
#[tokio::test]
async fn throttles_count_the_address_a_trusted_proxy_names_only_when_configured() {
    let behind_proxy = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.guest_carts_per_hour = 1;
        config.client_address_header = Some("x-forwarded-for".into());
    })
    .await;
    let code = |body: &Value| body["data"]["createCart"]["userErrors"][0]["code"].clone();
    let created = |body: &Value| body["data"]["createCart"]["userErrors"] == json!([]);
    let (_, _, first) = post(
        &behind_proxy,
        &[("x-forwarded-for", "203.0.113.7")],
        GUEST_CART,
    )
    .await;
    assert!(created(&first), "{first:#}");
    let (_, _, again) = post(
        &behind_proxy,
        &[("x-forwarded-for", "203.0.113.7")],
        GUEST_CART,
    )
    .await;
    assert_eq!(
        code(&again),
        "THROTTLED",
        "the same client, by its forwarded address"
    );
    // A client writing another address first does not escape: the proxy
    // appended the real one last.
    let (_, _, spoofed) = post(
        &behind_proxy,
        &[("x-forwarded-for", "198.51.100.1, 203.0.113.7")],
        GUEST_CART,
    )
    .await;
    assert_eq!(code(&spoofed), "THROTTLED", "{spoofed:#}");
    let (_, _, other) = post(
        &behind_proxy,
        &[("x-forwarded-for", "198.51.100.1")],
        GUEST_CART,
    )
    .await;
    assert!(
        created(&other),
        "another client has its own quota: {other:#}"
    );

    // The forms proxies write: a port appended, RFC 7239 `Forwarded`.
    for (value, fresh) in [
        ("192.0.2.10:4711", true),
        ("192.0.2.10", false),
        ("for=192.0.2.11;proto=https", true),
        (r#"for="[2001:db8:a::1]:4711""#, true),
        ("2001:db8:a::2", false),
    ] {
        let (_, _, body) = post(&behind_proxy, &[("x-forwarded-for", value)], GUEST_CART).await;
        if fresh {
            assert!(created(&body), "{value}: {body:#}");
        } else {
            assert_eq!(
                code(&body),
                "THROTTLED",
                "{value} is a client seen before: {body:#}"
            );
        }
    }
    // A value that names no address counts in a bucket of its own, never
    // the proxy's (which every client behind it would share).
    let (_, _, first) = post(&behind_proxy, &[("x-forwarded-for", "garbage")], GUEST_CART).await;
    assert!(created(&first), "{first:#}");
    let (_, _, again) = post(&behind_proxy, &[("x-forwarded-for", "unknown")], GUEST_CART).await;
    assert_eq!(code(&again), "THROTTLED", "{again:#}");
    let (_, _, proxy) = post(&behind_proxy, &[], GUEST_CART).await;
    assert!(
        created(&proxy),
        "the proxy's own address is untouched: {proxy:#}"
    );

    let direct =
        TestApp::spawn_with(Engine::Sqlite, |config| config.guest_carts_per_hour = 1).await;
    let (_, _, first) = post(&direct, &[("x-forwarded-for", "203.0.113.7")], GUEST_CART).await;
    assert!(created(&first), "{first:#}");
    let (_, _, forged) = post(&direct, &[("x-forwarded-for", "198.51.100.1")], GUEST_CART).await;
    assert_eq!(
        code(&forged),
        "THROTTLED",
        "without the setting the header counts for nothing: {forged:#}"
    );
}

/// Every quota counts IPv6 by its /64: sign-ups from addresses rotating
/// inside one /64 share one address's allowance (30 in a burst); before,
/// each address had its own.
#[tokio::test]
async fn sign_ups_count_ipv6_clients_by_their_64() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.client_address_header = Some("x-forwarded-for".into());
    })
    .await;
    let mut throttled = 0;
    for i in 0..40 {
        let address = format!("2001:db8:1:2::{i:x}");
        let query = format!(
            r#"mutation {{ signUp(input: {{ email: "rotating{i}@example.com", name: "R", password: "a long enough password" }}) {{ userErrors {{ code }} }} }}"#
        );
        let (_, _, body) = post(&app, &[("x-forwarded-for", &address)], &query).await;
        if body["data"]["signUp"]["userErrors"][0]["code"] == "THROTTLED" {
            throttled += 1;
        }
    }
    // 30 in a burst; the bucket refills one every 10 s meanwhile.
    assert!(
        (5..=10).contains(&throttled),
        "30 sign-ups per /64 in a burst, then THROTTLED: {throttled} of 40"
    );
    let (_, _, other) = post(
        &app,
        &[("x-forwarded-for", "2001:db8:1:3::1")],
        r#"mutation { signUp(input: { email: "other@example.com", name: "O", password: "a long enough password" }) { userErrors { code } } }"#,
    )
    .await;
    assert_eq!(
        other["data"]["signUp"]["userErrors"],
        json!([]),
        "another /64: {other:#}"
    );
}

/// On a dual-stack listener (`[::]`), IPv4 clients arrive IPv4-mapped
/// (`::ffff:127.0.0.2`); each still counts as itself. Before, all of them
/// fell in one /64 and one client's guest carts used up everyone's.
#[tokio::test]
async fn ipv4_clients_of_a_dual_stack_listener_count_apart() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.listen = "[::]:0".parse().unwrap();
        config.guest_carts_per_hour = 1;
    })
    .await;
    let port = app.addr.port();
    let from = |local: &str| {
        let client = reqwest::Client::builder()
            .local_address(local.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap();
        async move {
            client
                .post(format!("http://127.0.0.1:{port}/graphql"))
                .json(&json!({ "query": GUEST_CART }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = from("127.0.0.2").await;
    assert_eq!(
        first["data"]["createCart"]["userErrors"],
        json!([]),
        "{first:#}"
    );
    let again = from("127.0.0.2").await;
    assert_eq!(
        again["data"]["createCart"]["userErrors"][0]["code"], "THROTTLED",
        "{again:#}"
    );
    let other = from("127.0.0.3").await;
    assert_eq!(
        other["data"]["createCart"]["userErrors"],
        json!([]),
        "another client: {other:#}"
    );
}
