use serde_json::json;

use crate::support::engine_tests;

const PRODUCT_FIELDS: &str =
    "id name description price { amount currencyCode } stock createdAt updatedAt";

engine_tests! {
    async fn creates_a_product_and_reads_it_back(app) {
        let data = app
            .ok(
                &format!("mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} userErrors {{ field message code }} }} }}"),
                json!({ "input": { "name": "  Teapot ", "description": "Glass, 1 l", "price": "12.5", "stock": 7 } }),
            )
            .await;
        let created = &data["createProduct"]["product"];
        assert_eq!(data["createProduct"]["userErrors"], json!([]));
        assert_eq!(created["name"], "Teapot", "names are trimmed");
        assert_eq!(created["description"], "Glass, 1 l");
        assert_eq!(created["price"], json!({ "amount": "12.50", "currencyCode": "USD" }));
        assert_eq!(created["stock"], 7);

        let read = app
            .ok(&format!("query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"), json!({ "id": created["id"] }))
            .await;
        assert_eq!(&read["product"], created);
    }

    async fn stores_prices_as_exact_minor_units(app) {
        app.create_product("Cheap", "0.10", 1).await;
        app.create_product("Dear", "1234567.89", 1).await;
        let data = app.ok("{ products { nodes { price { amount } } } }", json!({})).await;
        assert_eq!(data["products"]["nodes"], json!([{ "price": { "amount": "0.10" } }, { "price": { "amount": "1234567.89" } }]));
        let db_prices = app.count_rows("product WHERE price IN (10, 123456789)").await;
        assert_eq!(db_prices, 2, "prices are stored in cents");
    }

    async fn create_product_reports_every_invalid_field_and_creates_nothing(app) {
        let data = app
            .ok(
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { field message code } } }",
                json!({ "input": { "name": "   ", "description": "x".repeat(5001), "price": "-1.00", "stock": -3 } }),
            )
            .await;
        let payload = &data["createProduct"];
        assert_eq!(payload["product"], json!(null));
        let errors = payload["userErrors"].as_array().unwrap();
        let fields: Vec<_> = errors.iter().map(|e| e["field"].clone()).collect();
        assert_eq!(
            fields,
            vec![json!(["input", "name"]), json!(["input", "description"]), json!(["input", "price"]), json!(["input", "stock"])]
        );
        assert!(errors.iter().all(|e| e["code"] == "INVALID" && !e["message"].as_str().unwrap().is_empty()));
        assert_eq!(app.count_rows("product").await, 0);
    }

    async fn create_product_rejects_long_names_and_sub_cent_prices(app) {
        let query = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { field code } } }";
        let long = app.ok(query, json!({ "input": { "name": "n".repeat(201), "price": "1" } })).await;
        assert_eq!(long["createProduct"]["userErrors"], json!([{ "field": ["input", "name"], "code": "INVALID" }]));
        let fine = app.ok(query, json!({ "input": { "name": "n".repeat(200), "price": "1.005" } })).await;
        assert_eq!(fine["createProduct"]["userErrors"], json!([{ "field": ["input", "price"], "code": "INVALID" }]));
        assert_eq!(app.count_rows("product").await, 0);
        // Lengths are in characters, not bytes, on both engines.
        let accented = app.ok(query, json!({ "input": { "name": "é".repeat(200), "price": "1" } })).await;
        assert_eq!(accented["createProduct"]["userErrors"], json!([]));
        let accented = app.ok(query, json!({ "input": { "name": "é".repeat(201), "price": "1" } })).await;
        assert_eq!(accented["createProduct"]["userErrors"][0]["code"], "INVALID");
    }

    async fn update_product_changes_only_the_given_fields(app) {
        let id = app.create_product("Kettle", "59.00", 12).await;
        let before = app.ok("query($id: ID!) { product(id: $id) { createdAt updatedAt } }", json!({ "id": id })).await;
        let data = app
            .ok(
                "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 3 }) { product { name price { amount } stock } userErrors { code } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            data["updateProduct"],
            json!({ "product": { "name": "Kettle", "price": { "amount": "59.00" }, "stock": 3 }, "userErrors": [] }),
            "changing the stock leaves the price alone"
        );
        let data = app
            .ok(
                "mutation($id: ID!) { updateProduct(id: $id, input: { price: \"61.25\", name: \"Gooseneck kettle\" }) { product { name price { amount } stock } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["updateProduct"]["product"], json!({ "name": "Gooseneck kettle", "price": { "amount": "61.25" }, "stock": 3 }));
        let after = app.ok("query($id: ID!) { product(id: $id) { createdAt updatedAt } }", json!({ "id": id })).await;
        assert_eq!(after["product"]["createdAt"], before["product"]["createdAt"]);
        assert_ne!(after["product"]["updatedAt"], before["product"]["updatedAt"], "updatedAt moves on change");
    }

    async fn update_product_sets_and_clears_the_description(app) {
        let id = app.create_product("Mug", "12.50", 1).await;
        let set = "mutation($id: ID!, $d: String) { updateProduct(id: $id, input: { description: $d }) { product { description } } }";
        let data = app.ok(set, json!({ "id": id, "d": "Blue" })).await;
        assert_eq!(data["updateProduct"]["product"]["description"], "Blue");
        let data = app.ok("mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Big mug\" }) { product { description } } }", json!({ "id": id })).await;
        assert_eq!(data["updateProduct"]["product"]["description"], "Blue", "an absent description is kept");
        let data = app.ok(set, json!({ "id": id, "d": null })).await;
        assert_eq!(data["updateProduct"]["product"]["description"], json!(null), "null clears it");
    }

    async fn invalid_update_changes_nothing(app) {
        let id = app.create_product("Mug", "12.50", 5).await;
        let data = app
            .ok(
                "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Cup\", stock: -1 }) { product { id } userErrors { field code } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["updateProduct"], json!({ "product": null, "userErrors": [{ "field": ["input", "stock"], "code": "INVALID" }] }));
        let read = app.ok("query($id: ID!) { product(id: $id) { name stock } }", json!({ "id": id })).await;
        assert_eq!(read["product"], json!({ "name": "Mug", "stock": 5 }), "the valid name was not applied either");
    }

    async fn updating_or_deleting_an_unknown_product_is_not_found(app) {
        let id = app.create_product("Gone", "1", 1).await;
        let data = app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }", json!({ "id": id })).await;
        assert_eq!(data["deleteProduct"], json!({ "deletedId": id, "userErrors": [] }));
        let data = app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { field code } } }", json!({ "id": id })).await;
        assert_eq!(data["deleteProduct"], json!({ "deletedId": null, "userErrors": [{ "field": ["id"], "code": "NOT_FOUND" }] }));
        let data = app
            .ok("mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { product { id } userErrors { field code } } }", json!({ "id": id }))
            .await;
        assert_eq!(data["updateProduct"], json!({ "product": null, "userErrors": [{ "field": ["id"], "code": "NOT_FOUND" }] }));
        let read = app.ok("query($id: ID!) { product(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(read["product"], json!(null), "an unknown product reads as null");
    }

    async fn deleting_a_product_removes_it_from_carts(app) {
        let kept = app.create_product("Kept", "1.00", 10).await;
        let deleted = app.create_product("Deleted", "2.00", 10).await;
        let customer = app.create_customer("c@example.com", "C").await;
        let cart = app.create_cart(&customer, &[(&kept, 1), (&deleted, 2)]).await;
        app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": deleted })).await;
        let data = app.ok("query($id: ID!) { cart(id: $id) { lines { product { name } quantity } subtotal { amount } } }", json!({ "id": cart })).await;
        assert_eq!(data["cart"], json!({ "lines": [{ "product": { "name": "Kept" }, "quantity": 1 }], "subtotal": { "amount": "1.00" } }));
    }
}
