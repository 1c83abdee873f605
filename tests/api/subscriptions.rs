//! Subscriptions over WebSocket, with the real `graphql-ws` client. On
//! PostgreSQL the changes are made through a second server instance on the
//! same database, so events must cross instances (LISTEN/NOTIFY); SQLite is
//! embedded and single-instance, so there the same server takes both roles.

use serde_json::{Value, json};

use crate::js;
use crate::support::{Engine, engine_tests};

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
            json!([{ "data": { "cartUpdated": {
                "id": cart, "totalQuantity": 2, "lines": [{ "quantity": 2, "product": { "name": "Mug" } }]
            } } }]),
            "one event, for the added line, read after the change"
        );
        assert_eq!(
            seen["productEvents"],
            json!([{ "data": { "productUpdated": { "id": product, "price": { "amount": "9.99" }, "stock": 7 } } }])
        );
    }
}
