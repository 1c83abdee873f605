//! Guest carts: filled without an account, opened only by their token,
//! kept through log-in (merged or assigned, once, even when log-ins race),
//! checked out by the guest with an email, purged when abandoned.

use serde_json::{Value, json};
use sha2::Digest;

use crate::carts::lines;
use crate::support::ws::{Next, WsClient};
use crate::support::{TestApp, engine_tests};

const CREATE: &str = "mutation($lines: [CartLineInput!]) { createCart(lines: $lines) { cart { id customer { id } totalQuantity } cartToken userErrors { field code } } }";
const ADD: &str = "mutation($cartId: ID!, $lines: [CartLineInput!]!) { addCartLines(cartId: $cartId, lines: $lines) { cart { id totalQuantity } userErrors { field code } } }";
const READ: &str =
    "query($id: ID!) { cart(id: $id) { id customer { id } lines { product { name } quantity } } }";
const LOG_IN: &str = "mutation($email: String!, $guestCart: GuestCartInput) { logIn(email: $email, password: \"correct horse battery\", guestCart: $guestCart) { token customer { id } cart { id customer { email } lines { product { name } quantity } } userErrors { field code } } }";
const SIGN_UP: &str = "mutation($input: SignUpInput!, $guestCart: GuestCartInput) { signUp(input: $input, guestCart: $guestCart) { token cart { id customer { email } lines { product { name } quantity } } userErrors { field code } } }";
const CHECKOUT: &str = "mutation($cartId: ID!) { checkout(cartId: $cartId) { order { id } userErrors { field code message } } }";

/// POSTs as an anonymous guest, sending `cart_token` as `X-Cart-Token`.
async fn as_guest(app: &TestApp, cart_token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = cart_token {
        request = request.header("x-cart-token", token);
    }
    let response = request.send().await.expect("the server answers");
    response.json().await.expect("a JSON body")
}

/// Creates a guest cart with `lines`; returns (cart ID, cart token).
async fn guest_cart(app: &TestApp, with: &[(&str, i32)]) -> (String, String) {
    let data = as_guest(app, None, CREATE, json!({ "lines": lines(with) })).await;
    let payload = &data["data"]["createCart"];
    assert_eq!(payload["userErrors"], json!([]), "{data:#}");
    assert_eq!(
        payload["cart"]["customer"],
        Value::Null,
        "a guest cart has no customer"
    );
    (
        payload["cart"]["id"].as_str().expect("an id").to_owned(),
        payload["cartToken"].as_str().expect("a token").to_owned(),
    )
}

/// The cart's lines as (product name, quantity), read by staff.
fn contents(cart: &Value) -> Value {
    json!(
        cart["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|line| json!([line["product"]["name"], line["quantity"]]))
            .collect::<Vec<_>>()
    )
}

fn guest_input(cart: &str, token: &str) -> Value {
    json!({ "cartId": cart, "cartToken": token })
}

fn code(response: &Value) -> &Value {
    &response["errors"][0]["extensions"]["code"]
}

engine_tests! {
    async fn a_guest_cart_opens_with_its_token_only(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let (cart, token) = guest_cart(&app, &[(&mug, 2)]).await;
        assert_eq!(token.len(), 43, "32 random bytes, base64url");
        let (other_cart, other_token) = guest_cart(&app, &[]).await;

        // The database keeps only the token's SHA-256.
        let stored = app.count_rows(&format!(
            "cart WHERE guest_token_hash = '{:x}'",
            sha2::Sha256::digest(token.as_bytes())
        )).await;
        assert_eq!(stored, 1);
        assert_eq!(app.count_rows(&format!("cart WHERE guest_token_hash = '{token}'")).await, 0);

        let read = as_guest(&app, Some(&token), READ, json!({ "id": cart })).await;
        assert_eq!(contents(&read["data"]["cart"]), json!([["Mug", 2]]), "{read:#}");
        let node = as_guest(&app, Some(&token), "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": [cart, other_cart] })).await;
        assert_eq!(node["data"]["nodes"], json!([{ "id": cart }, null]));
        let listed = as_guest(&app, Some(&token), "{ carts { nodes { id } } }", json!({})).await;
        assert_eq!(listed["data"]["carts"]["nodes"], json!([{ "id": cart }]));

        // Without the token, with another guest's, with a malformed one, or
        // as a customer: the cart reads as missing.
        let (customer_token, _) = app.sign_up("ada@example.com").await;
        for (who, token) in [("no token", None), ("another guest's", Some(other_token.as_str())), ("malformed", Some("x"))] {
            let read = as_guest(&app, token, READ, json!({ "id": cart })).await;
            assert_eq!(read["data"]["cart"], Value::Null, "{who}: {read:#}");
        }
        let read = app.post_as(Some(&customer_token), READ, json!({ "id": cart })).await;
        assert_eq!(read["data"]["cart"], Value::Null, "{read:#}");
        let staff = app.ok(READ, json!({ "id": cart })).await;
        assert_eq!(contents(&staff["cart"]), json!([["Mug", 2]]), "staff see every cart");

        // Changes need the token too.
        let add = json!({ "cartId": cart, "lines": lines(&[(&mug, 1)]) });
        let anonymous = as_guest(&app, None, ADD, add.clone()).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{anonymous:#}");
        let wrong = as_guest(&app, Some(&other_token), ADD, add.clone()).await;
        assert_eq!(wrong["data"]["addCartLines"]["userErrors"], json!([{ "field": ["cartId"], "code": "NOT_FOUND" }]));
        let customer = app.post_as(Some(&customer_token), ADD, add.clone()).await;
        assert_eq!(customer["data"]["addCartLines"]["userErrors"][0]["code"], "NOT_FOUND");
        let added = as_guest(&app, Some(&token), ADD, add).await;
        assert_eq!(added["data"]["addCartLines"]["cart"]["totalQuantity"], 3, "{added:#}");

        let update = "mutation($c: ID!, $p: ID!) { updateCartLine(cartId: $c, productId: $p, quantity: 5) { cart { totalQuantity } userErrors { code } } }";
        let updated = as_guest(&app, Some(&token), update, json!({ "c": cart, "p": mug })).await;
        assert_eq!(updated["data"]["updateCartLine"]["cart"]["totalQuantity"], 5, "{updated:#}");
        let remove = "mutation($c: ID!, $p: ID!) { removeCartLine(cartId: $c, productId: $p) { cart { totalQuantity } userErrors { code } } }";
        let removed = as_guest(&app, Some(&token), remove, json!({ "c": cart, "p": mug })).await;
        assert_eq!(removed["data"]["removeCartLine"]["cart"]["totalQuantity"], 0, "{removed:#}");

        let delete = "mutation($id: ID!) { deleteCart(id: $id) { deletedId userErrors { code } } }";
        let refused = as_guest(&app, Some(&token), delete, json!({ "id": other_cart })).await;
        assert_eq!(refused["data"]["deleteCart"]["userErrors"][0]["code"], "NOT_FOUND");
        let deleted = as_guest(&app, Some(&token), delete, json!({ "id": cart })).await;
        assert_eq!(deleted["data"]["deleteCart"]["deletedId"], json!(cart), "{deleted:#}");
        assert_eq!(app.count_rows("cart").await, 1, "only the other guest's cart is left");
    }

    async fn a_customer_without_customer_id_gets_their_own_cart(app) {
        let (token, customer) = app.sign_up("ada@example.com").await;
        let data = app.post_as(Some(&token), CREATE, json!({})).await;
        let payload = &data["data"]["createCart"];
        assert_eq!(payload["cart"]["customer"]["id"], json!(customer), "{data:#}");
        assert_eq!(payload["cartToken"], Value::Null, "a customer's cart needs no token");
    }

    /// A guest checks out with the cart's token once the cart has an
    /// email; the order keeps the email, and its token (the same on a
    /// replay) reads that order and nothing else. Staff cannot place an
    /// order for a guest.
    async fn a_guest_checks_out_with_an_email_and_reads_the_order_by_its_token(app) {
        let mug = app.create_product("Mug", "12.50", 10).await;
        let (cart, token) = guest_cart(&app, &[(&mug, 2)]).await;
        let keyed = "mutation($cartId: ID!) { checkout(cartId: $cartId, idempotencyKey: \"k1\") { order { id email cost { total { amount } } } orderToken userErrors { code } } }";
        let no_email = as_guest(&app, Some(&token), keyed, json!({ "cartId": cart })).await;
        assert_eq!(no_email["data"]["checkout"]["userErrors"][0]["code"], "MISSING_EMAIL", "{no_email:#}");
        let staff = app.ok(CHECKOUT, json!({ "cartId": cart })).await;
        assert_eq!(staff["checkout"]["userErrors"][0]["code"], "INVALID", "{staff:#}");
        let stock = app.ok("query($id: ID!) { product(id: $id) { stock } }", json!({ "id": mug })).await;
        assert_eq!(stock["product"]["stock"], 10, "nothing was taken");
        assert_eq!(app.count_rows("\"order\"").await, 0);

        let email = as_guest(&app, Some(&token), "mutation($cartId: ID!) { setCartEmail(cartId: $cartId, email: \"Guest@Example.com\") { userErrors { code } } }", json!({ "cartId": cart })).await;
        assert_eq!(email["data"]["setCartEmail"]["userErrors"], json!([]), "{email:#}");
        let placed = as_guest(&app, Some(&token), keyed, json!({ "cartId": cart })).await;
        let payload = &placed["data"]["checkout"];
        assert_eq!(payload["userErrors"], json!([]), "{placed:#}");
        assert_eq!(payload["order"]["email"], "guest@example.com");
        assert_eq!(payload["order"]["cost"]["total"]["amount"], "25.00");
        let order_token = payload["orderToken"].as_str().expect("a guest gets the order's token").to_owned();
        let order = payload["order"]["id"].as_str().unwrap().to_owned();

        let replay = as_guest(&app, Some(&token), keyed, json!({ "cartId": cart })).await;
        assert_eq!(replay["data"]["checkout"]["order"], payload["order"], "the same order, the same totals");
        assert_eq!(replay["data"]["checkout"]["orderToken"], json!(order_token), "and the same token");
        assert_eq!(app.count_rows("\"order\"").await, 1);

        let read = "query($id: ID!, $token: String) { order(id: $id, token: $token) { email lines { quantity } } }";
        let with_token = as_guest(&app, None, read, json!({ "id": order, "token": order_token })).await;
        assert_eq!(with_token["data"]["order"]["email"], "guest@example.com", "{with_token:#}");
        for token in [Value::Null, json!("not-the-token"), json!(token)] {
            let denied = as_guest(&app, None, read, json!({ "id": order, "token": token })).await;
            assert_eq!(denied["data"]["order"], Value::Null, "{denied:#}");
        }
        // The token follows the order over WebSocket too, anonymously; a
        // wrong one names no order.
        let watch = "subscription($id: ID!, $token: String) { orderUpdated(orderId: $id, token: $token) { status } }";
        let mut stranger = WsClient::connect(&app.url("/graphql"), None).await;
        stranger.subscribe("1", watch, json!({ "id": order, "token": "not-the-token" })).await;
        let refused = stranger.next_payload().await;
        assert!(refused["payload"]["data"].is_null() && refused["payload"]["errors"][0]["message"].is_string(), "{refused:#}");
        let mut socket = WsClient::connect(&app.url("/graphql"), None).await;
        socket.subscribe("1", watch, json!({ "id": order, "token": order_token })).await;
        app.wait_for_subscriptions(1).await;
        let cancelled = app.ok("mutation($id: ID!) { cancelOrder(orderId: $id) { userErrors { code } } }", json!({ "id": order })).await;
        assert_eq!(cancelled["cancelOrder"]["userErrors"], json!([]));
        let event = socket.next_payload().await;
        assert_eq!(event["payload"]["data"]["orderUpdated"]["status"], "CANCELLED", "{event:#}");

        // A customer who signs up with the guest's email does not see it.
        let (customer_token, _) = app.sign_up("guest@example.com").await;
        let theirs = app.post_as(Some(&customer_token), "{ viewer { orders(first: 5) { nodes { id } } } }", json!({})).await;
        assert_eq!(theirs["data"]["viewer"]["orders"]["nodes"], json!([]), "{theirs:#}");
    }

    async fn logging_in_merges_the_guest_cart_into_the_open_cart(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let pot = app.create_product("Pot", "30.00", 100).await;
        let (customer_token, _) = app.sign_up("ada@example.com").await;
        let older = app.post_as(Some(&customer_token), CREATE, json!({ "lines": lines(&[(&pot, 7)]) })).await;
        let older = older["data"]["createCart"]["cart"]["id"].as_str().unwrap().to_owned();
        let open = app.post_as(Some(&customer_token), CREATE, json!({ "lines": lines(&[(&mug, 2)]) })).await;
        let open = open["data"]["createCart"]["cart"]["id"].as_str().unwrap().to_owned();
        let (guest, token) = guest_cart(&app, &[(&mug, 3), (&pot, 1)]).await;
        let sessions = app.count_rows("session").await;

        let data = app.post_as(None, LOG_IN, json!({ "email": "ada@example.com", "guestCart": guest_input(&guest, &token) })).await;
        let payload = &data["data"]["logIn"];
        assert_eq!(payload["userErrors"], json!([]), "{data:#}");
        assert_eq!(payload["cart"]["id"], json!(open), "merged into the cart changed last: {data:#}");
        assert_eq!(payload["cart"]["customer"]["email"], "ada@example.com");
        assert_eq!(contents(&payload["cart"]), json!([["Mug", 5], ["Pot", 1]]));
        let untouched = app.ok(READ, json!({ "id": older })).await;
        assert_eq!(contents(&untouched["cart"]), json!([["Pot", 7]]));
        let gone = app.ok(READ, json!({ "id": guest })).await;
        assert_eq!(gone["cart"], Value::Null, "the guest cart is gone once merged");
        let read = as_guest(&app, Some(&token), READ, json!({ "id": open })).await;
        assert_eq!(read["data"]["cart"], Value::Null, "the token opens nothing now");

        // The same guest cart again: the log-in fails and changes nothing.
        let again = app.post_as(None, LOG_IN, json!({ "email": "ada@example.com", "guestCart": guest_input(&guest, &token) })).await;
        assert_eq!(again["data"]["logIn"]["token"], Value::Null, "{again:#}");
        assert_eq!(again["data"]["logIn"]["userErrors"], json!([{ "field": ["guestCart", "cartId"], "code": "NOT_FOUND" }]));
        assert_eq!(app.count_rows("session").await, sessions + 1, "no session for the failed log-in");
        // A wrong password is still a wrong password, whatever the cart.
        let (other, other_token) = guest_cart(&app, &[(&mug, 1)]).await;
        let wrong = app.post_as(None,
            "mutation($g: GuestCartInput) { logIn(email: \"ada@example.com\", password: \"wrong password!\", guestCart: $g) { token userErrors { code } } }",
            json!({ "g": guest_input(&other, &other_token) })).await;
        assert_eq!(wrong["data"]["logIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
        let kept = as_guest(&app, Some(&other_token), READ, json!({ "id": other })).await;
        assert_eq!(contents(&kept["data"]["cart"]), json!([["Mug", 1]]), "the guest keeps the cart");
    }

    async fn signing_up_with_a_guest_cart_makes_it_theirs_and_checkout_works(app) {
        let mug = app.create_product("Mug", "12.50", 10).await;
        let (guest, token) = guest_cart(&app, &[(&mug, 2)]).await;
        let data = app.post_as(None, SIGN_UP, json!({
            "input": { "email": "new@example.com", "name": "New", "password": "correct horse battery" },
            "guestCart": guest_input(&guest, &token),
        })).await;
        let payload = &data["data"]["signUp"];
        assert_eq!(payload["userErrors"], json!([]), "{data:#}");
        assert_eq!(payload["cart"]["id"], json!(guest), "with no open cart, the guest cart becomes theirs");
        assert_eq!(payload["cart"]["customer"]["email"], "new@example.com");
        assert_eq!(contents(&payload["cart"]), json!([["Mug", 2]]));
        let read = as_guest(&app, Some(&token), READ, json!({ "id": guest })).await;
        assert_eq!(read["data"]["cart"], Value::Null, "the token no longer opens it");
        assert_eq!(app.count_rows("cart WHERE guest_token_hash IS NOT NULL").await, 0);

        let customer_token = payload["token"].as_str().unwrap();
        let checkout = app.post_as(Some(customer_token), CHECKOUT, json!({ "cartId": guest })).await;
        assert_eq!(checkout["data"]["checkout"]["userErrors"], json!([]), "{checkout:#}");
        assert!(checkout["data"]["checkout"]["order"]["id"].is_string());

        // A bad guest cart fails the sign-up whole: no account is left behind.
        let bad = app.post_as(None, SIGN_UP, json!({
            "input": { "email": "late@example.com", "name": "Late", "password": "correct horse battery" },
            "guestCart": guest_input(&guest, &token),
        })).await;
        assert_eq!(bad["data"]["signUp"]["userErrors"][0]["code"], "NOT_FOUND", "{bad:#}");
        assert_eq!(app.count_rows("customer WHERE email = 'late@example.com'").await, 0);
    }

    async fn a_merge_caps_each_line_at_the_most_a_line_holds(app) {
        let bulk = app.create_product("Bulk", "0.01", 1_000_000).await;
        let (customer_token, _) = app.sign_up("ada@example.com").await;
        app.post_as(Some(&customer_token), CREATE, json!({ "lines": lines(&[(&bulk, 600_000)]) })).await;
        let (guest, token) = guest_cart(&app, &[(&bulk, 600_000)]).await;
        let data = app.post_as(None, LOG_IN, json!({ "email": "ada@example.com", "guestCart": guest_input(&guest, &token) })).await;
        assert_eq!(contents(&data["data"]["logIn"]["cart"]), json!([["Bulk", 1_000_000]]), "{data:#}");
    }

    async fn racing_log_ins_with_one_guest_cart_count_its_lines_once(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let (customer_token, _) = app.sign_up("ada@example.com").await;
        let open = app.post_as(Some(&customer_token), CREATE, json!({ "lines": lines(&[(&mug, 1)]) })).await;
        let open = open["data"]["createCart"]["cart"]["id"].as_str().unwrap().to_owned();
        let (guest, token) = guest_cart(&app, &[(&mug, 2)]).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let request = reqwest::Client::new().post(app.url("/graphql")).json(&json!({
                    "query": LOG_IN,
                    "variables": { "email": "ada@example.com", "guestCart": guest_input(&guest, &token) },
                }));
                tokio::spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() })
            })
            .collect();
        let mut joined = 0;
        for task in tasks {
            let response = task.await.unwrap();
            let errors = &response["data"]["logIn"]["userErrors"];
            if errors == &json!([]) {
                joined += 1;
            } else {
                assert_eq!(errors[0]["code"], "NOT_FOUND", "{response:#}");
            }
        }
        assert_eq!(joined, 1, "one log-in takes the guest cart");
        let merged = app.ok(READ, json!({ "id": open })).await;
        assert_eq!(contents(&merged["cart"]), json!([["Mug", 3]]), "the guest's units counted once");
    }

    async fn concurrent_additions_to_a_guest_cart_are_all_counted(app) {
        let mug = app.create_product("Mug", "12.50", 10_000).await;
        let pot = app.create_product("Pot", "30.00", 10_000).await;
        let (cart, token) = guest_cart(&app, &[]).await;
        let writers = 24;
        let tasks: Vec<_> = (0..writers)
            .map(|i| {
                let order = if i % 2 == 0 { [(&mug, 1), (&pot, 2)] } else { [(&pot, 2), (&mug, 1)] };
                let order: Vec<(&str, i32)> = order.iter().map(|(id, q)| (id.as_str(), *q)).collect();
                let request = reqwest::Client::new()
                    .post(app.url("/graphql"))
                    .header("x-cart-token", &token)
                    .json(&json!({ "query": ADD, "variables": { "cartId": cart, "lines": lines(&order) } }));
                tokio::spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() })
            })
            .collect();
        for task in tasks {
            let response = task.await.unwrap();
            assert_eq!(response["data"]["addCartLines"]["userErrors"], json!([]), "{response:#}");
        }
        let read = as_guest(&app, Some(&token), READ, json!({ "id": cart })).await;
        assert_eq!(contents(&read["data"]["cart"]), json!([["Mug", writers], ["Pot", 2 * writers]]));
    }

    async fn a_guest_watches_their_cart_until_it_joins_an_account(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        app.sign_up("ada@example.com").await;
        let (cart, token) = guest_cart(&app, &[]).await;
        let watch = "subscription($id: ID!) { cartUpdated(cartId: $id) { totalQuantity } }";

        let mut anonymous = WsClient::connect(&app.url("/graphql"), None).await;
        anonymous.subscribe("1", watch, json!({ "id": cart })).await;
        let refused = anonymous.next_payload().await;
        assert!(refused.to_string().contains("UNAUTHENTICATED"), "{refused:#}");
        let (_, other_token) = guest_cart(&app, &[]).await;
        let mut stranger = WsClient::connect_with(&app.url("/graphql"), json!({ "cartToken": other_token })).await;
        stranger.subscribe("1", watch, json!({ "id": cart })).await;
        let refused = stranger.next_payload().await;
        assert!(refused.to_string().contains("`cartId` names no cart"), "{refused:#}");

        let mut socket = WsClient::connect_with(&app.url("/graphql"), json!({ "cartToken": token })).await;
        socket.subscribe("1", watch, json!({ "id": cart })).await;
        app.wait_for_subscriptions(1).await;
        as_guest(&app, Some(&token), ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 2)]) })).await;
        let event = socket.next_payload().await;
        assert_eq!(event["payload"]["data"]["cartUpdated"]["totalQuantity"], 2, "{event:#}");

        // Once the cart is the customer's, the guest's subscription ends.
        let data = app.post_as(None, LOG_IN, json!({ "email": "ada@example.com", "guestCart": guest_input(&cart, &token) })).await;
        assert_eq!(data["data"]["logIn"]["cart"]["id"], json!(cart), "{data:#}");
        match socket.next().await {
            Next::Message(message) => assert_eq!(message["type"], "complete", "{message:#}"),
            closed => panic!("expected complete, got {closed:?}"),
        }
    }
}

/// `shopgraph purge-guest-carts` deletes the guest carts idle longer than
/// `--guest-cart-idle-hours`, with their lines, and nothing else.
#[tokio::test]
async fn purging_deletes_only_abandoned_guest_carts() {
    for engine in crate::support::Engine::ALL {
        let app = TestApp::spawn(engine).await;
        let mug = app.create_product("Mug", "12.50", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let customers = app.create_cart(&ada, &[(&mug, 1)]).await;
        let (guest, _) = guest_cart(&app, &[(&mug, 2)]).await;
        let purge = |hours: &'static str| {
            let url = app.database_url.clone();
            async move {
                let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
                    .args(["--database-url", &url, "--guest-cart-idle-hours", hours])
                    .arg("purge-guest-carts")
                    .output()
                    .await
                    .expect("the binary runs");
                assert!(output.status.success(), "{output:?}");
                String::from_utf8(output.stdout).expect("UTF-8")
            }
        };
        assert_eq!(
            purge("1").await.trim(),
            "guest carts purged: 0",
            "{engine:?}: the guest cart is fresh"
        );
        assert_eq!(
            app.ok(READ, json!({ "id": guest })).await["cart"]["id"],
            json!(guest)
        );
        assert_eq!(
            purge("0").await.trim(),
            "guest carts purged: 1",
            "{engine:?}"
        );
        assert_eq!(
            app.ok(READ, json!({ "id": guest })).await["cart"],
            Value::Null
        );
        assert_eq!(
            app.ok(READ, json!({ "id": customers })).await["cart"]["id"],
            json!(customers)
        );
        assert_eq!(
            app.count_rows("cart_line").await,
            1,
            "{engine:?}: the guest's lines went with it"
        );
    }
}

/// Anyone may make guest carts, so each client address may make only so
/// many an hour (`--guest-carts-per-hour`); the rest are refused whole.
#[tokio::test]
async fn guest_carts_are_capped_per_client_address() {
    for engine in crate::support::Engine::ALL {
        let app = TestApp::spawn_with(engine, |config| config.guest_carts_per_hour = 3).await;
        for _ in 0..3 {
            guest_cart(&app, &[]).await;
        }
        let refused = as_guest(&app, None, CREATE, json!({})).await;
        let payload = &refused["data"]["createCart"];
        assert_eq!(payload["cart"], Value::Null, "{engine:?}: {refused:#}");
        assert_eq!(payload["cartToken"], Value::Null);
        assert_eq!(
            payload["userErrors"],
            json!([{ "field": null, "code": "THROTTLED" }])
        );
        assert_eq!(
            app.count_rows("cart").await,
            3,
            "{engine:?}: nothing more was created"
        );
        // Customers' own carts are not guest carts: the quota leaves them be.
        let (token, _) = app.sign_up("ada@example.com").await;
        let own = app.post_as(Some(&token), CREATE, json!({})).await;
        assert_eq!(
            own["data"]["createCart"]["userErrors"],
            json!([]),
            "{engine:?}: {own:#}"
        );
    }
}
