//! The response contract clients rely on (issue 13), checked against the
//! live server as Apollo Client, urql and graphql-request would meet it.

use serde_json::{Value, json};

use crate::support::{Engine, TestApp, engine_tests};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A refused token, a wrong content type and an over-size body all answer
/// in the media type the client negotiated, with a coded GraphQL error
/// body, so a client reads the code instead of a bare HTTP failure.
#[tokio::test]
async fn refusals_come_in_the_negotiated_media_type() {
    for engine in Engine::ALL {
        let app = TestApp::spawn_with(engine, |config| config.max_body_bytes = 1_024).await;
        let http = reqwest::Client::new();
        let url = app.url("/graphql");
        let cases = [
            (
                http.post(&url)
                    .header("authorization", "Bearer not-a-token")
                    .json(&json!({ "query": "{ viewer { id } }" })),
                401,
                "UNAUTHENTICATED",
            ),
            (
                http.post(&url)
                    .header("content-type", "text/plain")
                    .body(r#"{"query":"{ __typename }"}"#),
                415,
                "BAD_REQUEST",
            ),
            (
                http.post(&url)
                    .json(&json!({ "query": format!("{{ __typename }} # {}", "x".repeat(2_000)) })),
                413,
                "BODY_TOO_LARGE",
            ),
            (
                http.get(format!("{url}?query=%7Bviewer%7Bid%7D%7D"))
                    .header("authorization", "Bearer not-a-token"),
                401,
                "UNAUTHENTICATED",
            ),
        ];
        for (request, status, code) in cases {
            let response = request
                .header("accept", GRAPHQL_RESPONSE_JSON)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status);
            assert_eq!(
                response.headers()["content-type"],
                GRAPHQL_RESPONSE_JSON,
                "{status}"
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body:#}");
            assert!(body.get("data").is_none(), "{body:#}");
        }
        // Without asking, plain JSON as before.
        let plain = http
            .post(&url)
            .header("authorization", "Bearer not-a-token")
            .json(&json!({ "query": "{ viewer { id } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.headers()["content-type"], "application/json");
    }
}

/// Preflights pass for the headers instrumented clients send: Apollo's
/// client awareness, W3C tracing and Sentry's, and configured extras.
#[tokio::test]
async fn cors_preflights_allow_client_awareness_and_tracing_headers() {
    for engine in Engine::ALL {
        let app = TestApp::spawn_with(engine, |config| {
            config.cors_origins = vec!["https://shop.example".into()];
            config.cors_allow_headers = vec!["x-shop-session".into()];
        })
        .await;
        let wanted = "content-type,authorization,x-cart-token,apollographql-client-name,apollographql-client-version,traceparent,tracestate,baggage,sentry-trace,x-request-id,x-shop-session";
        let response = reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", "https://shop.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", wanted)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let allowed = response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for header in wanted.split(',') {
            assert!(
                allowed.split(',').any(|name| name.trim() == header),
                "{header} not allowed: {allowed}"
            );
        }
    }
}

/// A required variable that is missing or null is a request error, as the
/// spec's variable coercion says: nothing runs, no `data` entry, 400 under
/// `application/graphql-response+json`; over WebSocket too. In a batch,
/// the other operations still run.
#[tokio::test]
async fn missing_required_variables_are_request_errors() {
    for engine in Engine::ALL {
        let app = TestApp::spawn(engine).await;
        let product = app.create_product("Kettle", "30.00", 3).await;
        let query = "query($id: ID!, $first: Int = 1) { product(id: $id) { id } products(first: $first) { totalCount } }";
        let http = reqwest::Client::new();
        for variables in [json!({}), json!({ "id": null })] {
            let response = http
                .post(app.url("/graphql"))
                .header("accept", GRAPHQL_RESPONSE_JSON)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400);
            let body: Value = response.json().await.unwrap();
            assert!(body.get("data").is_none(), "{body:#}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("$id"),
                "{body:#}"
            );
        }
        // Given, it runs; the variable with a default may be left out.
        let ran = app.post_as(None, query, json!({ "id": product })).await;
        assert_eq!(ran["data"]["product"]["id"], json!(product), "{ran:#}");
        // In a batch, only the one missing its variable is refused.
        let batch: Value = http
            .post(app.url("/graphql"))
            .json(&json!([
                { "query": query, "variables": {} },
                { "query": query, "variables": { "id": product } },
            ]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(batch[0].get("data").is_none(), "{batch:#}");
        assert_eq!(
            batch[0]["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
        assert_eq!(
            batch[1]["data"]["product"]["id"],
            json!(product),
            "{batch:#}"
        );
        // Over WebSocket, a subscription missing its variable is refused too.
        let mut socket = crate::support::ws::WsClient::connect(&app.url("/graphql"), None).await;
        socket
            .subscribe(
                "1",
                "subscription($id: ID!) { productUpdated(productId: $id) { id } }",
                json!({}),
            )
            .await;
        let answer = socket.next_payload().await;
        let errors = match answer["type"].as_str() {
            Some("error") => &answer["payload"],
            _ => &answer["payload"]["errors"],
        };
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{answer:#}"
        );
    }
}

/// An ID whose `=` padding was stripped (as URL slugs do) finds its object;
/// the server keeps writing the canonical, padded form.
#[tokio::test]
async fn ids_without_their_padding_are_read() {
    for engine in Engine::ALL {
        let app = TestApp::spawn(engine).await;
        // `Product:1` … `Product:9` need no padding; `Product:10` needs `==`.
        let mut product = String::new();
        for i in 0..10 {
            product = app.create_product(&format!("Padded {i}"), "1.00", 1).await;
        }
        assert!(product.ends_with('='), "{product}");
        let slug = product.trim_end_matches('=');
        let found = app
            .post_as(
                None,
                "query($id: ID!) { product(id: $id) { id name } }",
                json!({ "id": slug }),
            )
            .await;
        assert_eq!(found["data"]["product"]["id"], json!(product), "{found:#}");
    }
}

/// Parse errors are one line with their location, not the parser's dump.
#[tokio::test]
async fn parse_errors_are_one_line_with_their_location() {
    for engine in Engine::ALL {
        let app = TestApp::spawn(engine).await;
        let (_, body) = app.post_status("{ products { totalCount ").await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains('\n'), "{message:?}");
        assert!(message.starts_with("Syntax error at 1:"), "{message:?}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "GRAPHQL_PARSE_FAILED"
        );
    }
}

engine_tests! {
    /// An explicit null for a required value is an `INVALID` user error and
    /// changes nothing (it used to keep the value silently); left out, the
    /// value is kept. Every payload has `userErrors`, `logOut`'s too.
    async fn explicit_nulls_for_required_values_are_invalid(app) {
        let customer = app.create_customer("null@example.com", "Kept").await;
        let product = app.create_product("Kept", "2.00", 3).await;
        let cases = [
            ("mutation($id: ID!) { updateCustomer(id: $id, input: { name: null }) { customer { name } userErrors { field code } } }", &customer, "updateCustomer", "name"),
            ("mutation($id: ID!) { updateCustomer(id: $id, input: { email: null }) { customer { name } userErrors { field code } } }", &customer, "updateCustomer", "email"),
            ("mutation($id: ID!) { updateProduct(id: $id, input: { name: null }) { product { name } userErrors { field code } } }", &product, "updateProduct", "name"),
            ("mutation($id: ID!) { updateProduct(id: $id, input: { price: null }) { product { name } userErrors { field code } } }", &product, "updateProduct", "price"),
            ("mutation($id: ID!) { updateProduct(id: $id, input: { stock: null }) { product { name } userErrors { field code } } }", &product, "updateProduct", "stock"),
        ];
        for (mutation, id, field, input) in cases {
            let data = app.ok(mutation, json!({ "id": id })).await;
            assert_eq!(data[field]["userErrors"], json!([{ "field": ["input", input], "code": "INVALID" }]), "{data:#}");
        }
        let kept = app.ok("query($c: ID!, $p: ID!) { customer(id: $c) { name email } product(id: $p) { name stock price { amount } } }", json!({ "c": customer, "p": product })).await;
        assert_eq!(kept, json!({ "customer": { "name": "Kept", "email": "null@example.com" }, "product": { "name": "Kept", "stock": 3, "price": { "amount": "2.00" } } }));
        let renamed = app.ok("mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"New\" }) { customer { name email } userErrors { code } } }", json!({ "id": customer })).await;
        assert_eq!(renamed["updateCustomer"]["customer"], json!({ "name": "New", "email": "null@example.com" }), "left out, the email is kept");

        let (token, _) = app.sign_up("logout-shape@example.com").await;
        let out = app.post_as(Some(&token), "mutation { logOut { loggedOut userErrors { code } } }", json!({})).await;
        assert_eq!(out["data"]["logOut"], json!({ "loggedOut": true, "userErrors": [] }), "{out:#}");
    }

    /// A replayed checkout changed nothing, so its subscribers hear
    /// nothing: the next event they get is the next real change.
    async fn a_replayed_checkout_sends_no_duplicate_event(app) {
        let product = app.create_product("Once", "1.00", 5).await;
        let customer = app.create_customer("replay@example.com", "Replay").await;
        let cart = app.create_cart(&customer, &[(&product, 2)]).await;
        let mut socket = crate::support::ws::WsClient::connect(&app.url("/graphql"), Some(crate::support::ADMIN_TOKEN)).await;
        socket.subscribe("1", "subscription($id: ID!) { cartUpdated(cartId: $id) { checkedOutAt lines { quantity } } }", json!({ "id": cart })).await;
        app.wait_for_subscriptions(1).await;
        let checkout = "mutation($cart: ID!) { checkout(cartId: $cart, idempotencyKey: \"k\") { userErrors { code } } }";
        app.ok(checkout, json!({ "cart": cart })).await;
        let first = socket.next_payload().await;
        assert_eq!(first["payload"]["data"]["cartUpdated"]["lines"], json!([{ "quantity": 2 }]), "{first:#}");
        let replay = app.ok(checkout, json!({ "cart": cart })).await;
        assert_eq!(replay["checkout"]["userErrors"], json!([]));
        // The next real change: the product goes, and with it the line.
        app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": product })).await;
        let next = socket.next_payload().await;
        assert_eq!(next["payload"]["data"]["cartUpdated"]["lines"], json!([]), "the replay sent nothing: {next:#}");
    }
}

engine_tests! {
    /// Cart lines have IDs, so client caches can tell them apart: one per
    /// line, the same across reads and quantity changes, another cart's
    /// line of the same product another ID.
    async fn cart_lines_have_stable_ids(app) {
        let tea = app.create_product("Tea", "2.00", 10).await;
        let mug = app.create_product("Mug", "5.00", 10).await;
        let customer = app.create_customer("lines@example.com", "Lines").await;
        let cart = app.create_cart(&customer, &[(&tea, 1), (&mug, 2)]).await;
        let other = app.create_cart(&customer, &[(&tea, 1)]).await;
        let ids = |data: &Value| -> Vec<String> {
            data["cart"]["lines"].as_array().unwrap().iter().map(|line| line["id"].as_str().unwrap().to_owned()).collect()
        };
        let read = "query($id: ID!) { cart(id: $id) { lines { id quantity } } }";
        let before = ids(&app.ok(read, json!({ "id": cart })).await);
        assert_eq!(before.len(), 2);
        assert_ne!(before[0], before[1]);
        app.ok("mutation($c: ID!, $p: ID!) { updateCartLine(cartId: $c, productId: $p, quantity: 5) { userErrors { code } } }", json!({ "c": cart, "p": tea })).await;
        assert_eq!(ids(&app.ok(read, json!({ "id": cart })).await), before, "stable across changes");
        let elsewhere = ids(&app.ok(read, json!({ "id": other })).await);
        assert!(!before.contains(&elsewhere[0]), "another cart's line, another ID");
    }
}

engine_tests! {
    /// signUp's and logIn's first screen: the payload's customer reads as
    /// the customer who just got the token (email included), and so does
    /// the rest of that operation; the next request is as its token says.
    async fn sign_up_and_log_in_answer_as_the_new_customer(app) {
        let sign_up = app.post_as(None,
            "mutation { signUp(input: { email: \"first@example.com\", name: \"First\", password: \"a long password\" }) { token customer { id name email } userErrors { code } } viewer: logOut { loggedOut } }",
            json!({})).await;
        assert!(sign_up.get("errors").is_none(), "{sign_up:#}");
        assert_eq!(sign_up["data"]["signUp"]["customer"]["email"], "first@example.com");
        assert_eq!(sign_up["data"]["signUp"]["userErrors"], json!([]));
        // The later mutation of the operation ran as the new customer: it
        // logged that session out.
        assert_eq!(sign_up["data"]["viewer"]["loggedOut"], true, "{sign_up:#}");

        let log_in = app.post_as(None,
            "mutation { logIn(email: \"first@example.com\", password: \"a long password\") { token customer { email } userErrors { code } } }",
            json!({})).await;
        assert!(log_in.get("errors").is_none(), "{log_in:#}");
        assert_eq!(log_in["data"]["logIn"]["customer"]["email"], "first@example.com");
        // A failed logIn acts as nobody new.
        let wrong = app.post_as(None,
            "mutation { logIn(email: \"first@example.com\", password: \"wrong password!\") { customer { email } userErrors { code } } }",
            json!({})).await;
        assert_eq!(wrong["data"]["logIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
        // Anonymous again in the next request.
        let later = app.post_as(None, "{ viewer { id } }", json!({})).await;
        assert!(later["data"]["viewer"].is_null(), "{later:#}");
    }
}

/// GET answers say how long caches may keep them: public reads (the
/// catalogue, counts, `__typename`) for `--cache-max-age-s`, also for a
/// guest who sends its cart token on every request; with a bearer token,
/// with customer data, with a field whose answer depends on who asks
/// (`node`, `cart`, `viewer`) or with an error, nothing may be stored. A
/// public answer carries no caller's rate-limit status, and `Vary` names
/// `Authorization`.
#[tokio::test]
async fn get_answers_carry_cache_control() {
    for engine in Engine::ALL {
        let app = TestApp::spawn_with(engine, |config| {
            config.cache_max_age_s = 90;
            config.rate_limit_points = 40_000;
        })
        .await;
        app.create_product("Cached", "1.00", 1).await;
        let fetch = |query: &str, token: Option<&str>, cart_token: Option<&str>| {
            let mut request = reqwest::Client::new()
                .get(app.url("/graphql"))
                .query(&[("query", query)]);
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            if let Some(cart_token) = cart_token {
                request = request.header("x-cart-token", cart_token);
            }
            async move { request.send().await.unwrap() }
        };
        let get = |query: &'static str, token: Option<&'static str>| {
            let response = fetch(query, token, None);
            async move {
                response.await.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let public = fetch(
            "{ products { totalCount } }",
            None,
            Some("a-guest-cart-token"),
        )
        .await;
        assert_eq!(
            public.headers()["cache-control"],
            "public, max-age=90",
            "the README's count, for a guest with a cart token"
        );
        assert_eq!(public.headers()["vary"], "accept, authorization");
        let body: Value = public.json().await.unwrap();
        assert!(
            body["extensions"]["cost"]["requestedQueryCost"].is_number(),
            "{body:#}"
        );
        assert!(
            body["extensions"]["cost"].get("throttleStatus").is_none(),
            "no caller's status in a shared answer: {body:#}"
        );
        assert_eq!(
            get("{ node(id: \"Q2FydDox\") { id } }", None).await,
            "private, no-store",
            "a null node may be someone else's cart"
        );
        let admin = Some(crate::support::ADMIN_TOKEN);
        assert_eq!(
            get(
                "{ products { totalCount nodes { name price { amount } } } }",
                None
            )
            .await,
            "public, max-age=90"
        );
        assert_eq!(
            get("{ products { totalCount nodes { name } } }", admin).await,
            "private, no-store"
        );
        assert_eq!(
            get("{ carts { nodes { id } } }", admin).await,
            "private, no-store"
        );
        assert_eq!(
            get("{ product(id: \"bm9wZQ==\") { name } }", None).await,
            "no-store"
        );
        assert_eq!(get("{ __typename }", None).await, "public, max-age=90");
    }
}
