use serde_json::json;

use crate::support::engine_tests;

/// Base64 of arbitrary text, to forge IDs.
fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

engine_tests! {
    async fn node_fetches_every_type_by_global_id(app) {
        let product = app.create_product("Mug", "12.50", 3).await;
        let customer = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&customer, &[(&product, 1)]).await;
        let query = "query($id: ID!) { node(id: $id) { __typename id ... on Product { name } ... on Customer { email } ... on Cart { totalQuantity } } }";
        for (id, expected) in [
            (&product, json!({ "__typename": "Product", "id": product, "name": "Mug" })),
            (&customer, json!({ "__typename": "Customer", "id": customer, "email": "ada@example.com" })),
            (&cart, json!({ "__typename": "Cart", "id": cart, "totalQuantity": 1 })),
        ] {
            let data = app.ok(query, json!({ "id": id })).await;
            assert_eq!(data["node"], expected);
        }
        assert_ne!(product, customer, "IDs differ across types even for the same key");
    }

    async fn a_well_formed_unknown_id_is_null(app) {
        let data = app.ok("query($id: ID!) { node(id: $id) { id } product(id: $id) { id } }", json!({ "id": b64("Product:999999") })).await;
        assert_eq!(data, json!({ "node": null, "product": null }));
    }

    async fn malformed_or_wrong_type_ids_are_bad_user_input(app) {
        let customer = app.create_customer("ada@example.com", "Ada").await;
        for id in ["garbage", &b64("Product:abc"), &b64("Invoice:1"), ""] {
            let (code, message) = app.top_level_error("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
            assert_eq!(code, "BAD_USER_INPUT", "for {id:?}: {message}");
        }
        let (code, message) = app.top_level_error("query($id: ID!) { product(id: $id) { id } }", json!({ "id": customer })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains("Product"), "{message}");
        let (code, _) = app
            .top_level_error("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": customer }))
            .await;
        assert_eq!(code, "BAD_USER_INPUT", "mutations reject wrong-type IDs the same way");
        let (code, _) = app
            .top_level_error(
                "mutation($c: ID!) { createCart(customerId: $c, lines: [{ productId: \"nope\", quantity: 1 }]) { cart { id } } }",
                json!({ "c": customer }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(app.count_rows("cart").await, 0);
    }
}
