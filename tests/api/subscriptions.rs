//! Subscriptions over WebSocket, with the real `graphql-ws` client. On
//! PostgreSQL the changes are made through a second server instance on the
//! same database, so events must cross instances (LISTEN/NOTIFY); SQLite is
//! embedded and single-instance, so there the same server takes both roles.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::js;
use crate::support::ws::WsClient;
use crate::support::{ADMIN_TOKEN, Engine, engine_tests};

engine_tests! {
    async fn subscribers_see_every_change_of_their_cart_and_product(app) {
        let product = app.create_product("Mug", "3.00", 10).await;
        let customer = app.create_customer("ws@example.com", "Web Socket").await;
        let cart = app.create_cart(&customer, &[]).await;
        let other = app.create_cart(&customer, &[]).await;
        let writer = match app.engine {
            Engine::Postgres => Some(app.second_instance().await),
            Engine::Sqlite => None,
        };
        let change_url = writer.as_ref().unwrap_or(&app).url("/graphql");
        let watch_url = app.url("/graphql").replacen("http://", "ws://", 1);
        // A change to another cart must not reach this cart's subscriber.
        app.ok(
            "mutation($cart: ID!, $product: ID!) { addCartLines(cartId: $cart, lines: [{ productId: $product, quantity: 1 }]) { userErrors { code } } }",
            json!({ "cart": other, "product": product }),
        ).await;
        let output = js::node("subscribe.mjs", &[&watch_url, &change_url, &cart, &product]).await;
        let seen: Value = serde_json::from_str(output.trim()).expect("one JSON object");
        assert_eq!(seen["cartEnded"], "completed", "deleting the cart ends its subscription: {seen:#}");
        assert_eq!(
            seen["cartEvents"],
            json!([
                { "data": { "cartUpdated": {
                    "id": cart, "totalQuantity": 2, "lines": [{ "quantity": 2, "cost": { "amount": "6.00" }, "product": { "name": "Mug" } }]
                } } },
                { "data": { "cartUpdated": {
                    "id": cart, "totalQuantity": 2, "lines": [{ "quantity": 2, "cost": { "amount": "19.98" }, "product": { "name": "Mug" } }]
                } } },
            ]),
            "one event for the added line and one for the new price, each read after its change"
        );
        assert_eq!(
            seen["productEvents"],
            json!([{ "data": { "productUpdated": { "id": product, "price": { "amount": "9.99" }, "stock": 7 } } }])
        );
    }
}

engine_tests! {
    /// Twenty carts change at once (on PostgreSQL through another
    /// instance, whose announcer folds concurrent writes' events into
    /// shared notifications): every subscriber hears of its own cart, once,
    /// with the change already readable.
    async fn concurrent_changes_reach_every_subscriber(app) {
        let product = app.create_product("Pin", "1.00", 1_000).await;
        let customer = app.create_customer("many@example.com", "Many").await;
        let mut carts = Vec::new();
        for _ in 0..20 {
            carts.push(app.create_cart(&customer, &[]).await);
        }
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(ADMIN_TOKEN)).await;
        let watch = "subscription($cart: ID!) { cartUpdated(cartId: $cart) { id totalQuantity } }";
        for (index, cart) in carts.iter().enumerate() {
            socket.subscribe(&index.to_string(), watch, json!({ "cart": cart })).await;
        }
        app.wait_for_subscriptions(20).await;
        let writer = match app.engine {
            Engine::Postgres => Some(app.second_instance().await),
            Engine::Sqlite => None,
        };
        let writer = writer.as_ref().unwrap_or(&app);
        let add = "mutation($cart: ID!, $product: ID!) { addCartLines(cartId: $cart, lines: [{ productId: $product, quantity: 1 }]) { userErrors { code } } }";
        let writes = carts.iter().map(|cart| writer.ok(add, json!({ "cart": cart, "product": product })));
        for data in futures_util::future::join_all(writes).await {
            assert_eq!(data["addCartLines"]["userErrors"], json!([]));
        }
        // The server's keep-alive pings would keep a lost event waiting
        // forever: the events must all come within a deadline.
        let hear_all = async {
            let mut heard = BTreeSet::new();
            while heard.len() < carts.len() {
                let message = socket.next_payload().await;
                assert_eq!(message["type"], "next", "{message:#}");
                let index: usize = message["id"].as_str().and_then(|id| id.parse().ok()).expect("a subscription id");
                let cart = &message["payload"]["data"]["cartUpdated"];
                assert_eq!(cart["id"], carts[index], "each subscriber hears of its own cart");
                assert_eq!(cart["totalQuantity"], 1, "read after the change");
                assert!(heard.insert(index), "subscription {index} heard twice: {message:#}");
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), hear_all)
            .await
            .expect("every subscriber hears of its change within 20 s");
    }
}

engine_tests! {
    /// Each event of a subscription is a new execution of its selection:
    /// a cart longer than the estimate is charged per event, and the
    /// budget starts again at each one. Before, the charges added up over
    /// the subscription's life, and an honest subscriber to a big cart got
    /// `QUERY_TOO_COMPLEX` for good after a few events.
    async fn a_subscription_budget_starts_again_at_each_event(app) {
        let app = crate::support::TestApp::start_on(&app, |config| config.max_complexity = 300).await;
        let customer = app.create_customer("big@example.com", "Big Cart").await;
        let mut products = Vec::new();
        for i in 0..30 {
            products.push(app.create_product(&format!("Item {i}"), "1.00", 100).await);
        }
        let lines: Vec<(&str, i32)> = products.iter().map(|product| (product.as_str(), 1)).collect();
        let cart = app.create_cart(&customer, &lines).await;
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(ADMIN_TOKEN)).await;
        socket
            .subscribe(
                "1",
                "subscription($cart: ID!) { cartUpdated(cartId: $cart) { lines { quantity product { name } } } }",
                json!({ "cart": cart }),
            )
            .await;
        app.wait_for_subscriptions(1).await;
        for quantity in 2..12 {
            app.ok(
                "mutation($cart: ID!, $product: ID!, $quantity: Int!) { updateCartLine(cartId: $cart, productId: $product, quantity: $quantity) { userErrors { code } } }",
                json!({ "cart": cart, "product": products[0], "quantity": quantity }),
            )
            .await;
            let event = socket.next_payload().await;
            assert!(event["payload"].get("errors").is_none(), "event {quantity}: {event:#}");
            let lines = event["payload"]["data"]["cartUpdated"]["lines"].as_array().expect("lines");
            assert_eq!(lines.len(), 30, "event {quantity}");
        }
    }
}
