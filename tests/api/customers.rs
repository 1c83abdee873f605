use serde_json::json;

use crate::support::engine_tests;

const CREATE: &str = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id email name } userErrors { field message code } } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { customer { email name } userErrors { field code } } }";

engine_tests! {
    async fn creates_a_customer_with_a_normalised_email(app) {
        let data = app.ok(CREATE, json!({ "input": { "email": " Ada@Example.COM ", "name": " Ada Lovelace " } })).await;
        let customer = &data["createCustomer"]["customer"];
        assert_eq!(customer["email"], "ada@example.com");
        assert_eq!(customer["name"], "Ada Lovelace");
        let read = app.ok("query($id: ID!) { customer(id: $id) { email name carts { totalCount } } }", json!({ "id": customer["id"] })).await;
        assert_eq!(read["customer"], json!({ "email": "ada@example.com", "name": "Ada Lovelace", "carts": { "totalCount": 0 } }));
    }

    async fn a_taken_email_is_refused_whatever_its_case(app) {
        app.create_customer("ada@example.com", "Ada").await;
        let data = app.ok(CREATE, json!({ "input": { "email": "ADA@example.com", "name": "Impostor" } })).await;
        let payload = &data["createCustomer"];
        assert_eq!(payload["customer"], json!(null));
        assert_eq!(payload["userErrors"][0]["code"], "TAKEN");
        assert_eq!(payload["userErrors"][0]["field"], json!(["input", "email"]));
        assert_eq!(app.count_rows("customer").await, 1);
    }

    async fn invalid_emails_and_names_are_refused(app) {
        for (email, name, fields) in [
            ("not-an-email", "Ada", json!([["input", "email"]])),
            ("ada@example.com", "", json!([["input", "name"]])),
            ("a@b", &"n".repeat(201) as &str, json!([["input", "email"], ["input", "name"]])),
        ] {
            let data = app.ok(CREATE, json!({ "input": { "email": email, "name": name } })).await;
            let errors = data["createCustomer"]["userErrors"].as_array().unwrap().clone();
            let got: Vec<_> = errors.iter().map(|e| e["field"].clone()).collect();
            assert_eq!(json!(got), fields, "for {email:?} / {name:?}");
            assert!(errors.iter().all(|e| e["code"] == "INVALID"));
        }
        assert_eq!(app.count_rows("customer").await, 0);
    }

    async fn update_customer_changes_only_the_given_fields(app) {
        let id = app.create_customer("grace@example.com", "Grace").await;
        let data = app.ok(UPDATE, json!({ "id": id, "input": { "name": "Grace Hopper" } })).await;
        assert_eq!(data["updateCustomer"], json!({ "customer": { "email": "grace@example.com", "name": "Grace Hopper" }, "userErrors": [] }));
        let data = app.ok(UPDATE, json!({ "id": id, "input": { "email": "GH@example.com" } })).await;
        assert_eq!(data["updateCustomer"]["customer"], json!({ "email": "gh@example.com", "name": "Grace Hopper" }));
    }

    async fn update_customer_to_a_taken_email_changes_nothing(app) {
        app.create_customer("one@example.com", "One").await;
        let two = app.create_customer("two@example.com", "Two").await;
        let data = app.ok(UPDATE, json!({ "id": two, "input": { "email": "one@example.com", "name": "Renamed" } })).await;
        assert_eq!(data["updateCustomer"], json!({ "customer": null, "userErrors": [{ "field": ["input", "email"], "code": "TAKEN" }] }));
        let read = app.ok("query($id: ID!) { customer(id: $id) { email name } }", json!({ "id": two })).await;
        assert_eq!(read["customer"], json!({ "email": "two@example.com", "name": "Two" }));
    }

    async fn unknown_customers_are_null_or_not_found(app) {
        let id = app.create_customer("x@example.com", "X").await;
        let data = app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId userErrors { code } } }", json!({ "id": id })).await;
        assert_eq!(data["deleteCustomer"], json!({ "deletedId": id, "userErrors": [] }));
        let read = app.ok("query($id: ID!) { customer(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(read["customer"], json!(null));
        let data = app.ok(UPDATE, json!({ "id": id, "input": { "name": "Y" } })).await;
        assert_eq!(data["updateCustomer"], json!({ "customer": null, "userErrors": [{ "field": ["id"], "code": "NOT_FOUND" }] }));
        let data = app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId userErrors { field code } } }", json!({ "id": id })).await;
        assert_eq!(data["deleteCustomer"], json!({ "deletedId": null, "userErrors": [{ "field": ["id"], "code": "NOT_FOUND" }] }));
    }

    async fn deleting_a_customer_deletes_their_carts_and_lines(app) {
        let product = app.create_product("P", "1.00", 10).await;
        let leaving = app.create_customer("leaving@example.com", "Leaving").await;
        let staying = app.create_customer("staying@example.com", "Staying").await;
        let gone = app.create_cart(&leaving, &[(&product, 1)]).await;
        app.create_cart(&leaving, &[(&product, 2)]).await;
        let kept = app.create_cart(&staying, &[(&product, 3)]).await;
        app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }", json!({ "id": leaving })).await;
        assert_eq!(app.count_rows("cart").await, 1);
        assert_eq!(app.count_rows("cart_line").await, 1);
        let data = app.ok("query($gone: ID!, $kept: ID!) { gone: cart(id: $gone) { id } kept: cart(id: $kept) { totalQuantity } }", json!({ "gone": gone, "kept": kept })).await;
        assert_eq!(data, json!({ "gone": null, "kept": { "totalQuantity": 3 } }));
    }

    async fn customers_list_their_carts(app) {
        let product = app.create_product("P", "2.50", 10).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let bob = app.create_customer("bob@example.com", "Bob").await;
        let first = app.create_cart(&ada, &[(&product, 1)]).await;
        let second = app.create_cart(&ada, &[(&product, 2)]).await;
        let data = app
            .ok("{ customers { nodes { email carts { totalCount nodes { id customer { email } } } } } }", json!({}))
            .await;
        assert_eq!(
            data["customers"]["nodes"],
            json!([
                { "email": "ada@example.com", "carts": { "totalCount": 2, "nodes": [
                    { "id": first, "customer": { "email": "ada@example.com" } },
                    { "id": second, "customer": { "email": "ada@example.com" } }
                ] } },
                { "email": "bob@example.com", "carts": { "totalCount": 0, "nodes": [] } }
            ])
        );
        let _ = bob;
    }
}
