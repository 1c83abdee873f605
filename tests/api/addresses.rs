//! Customers' address books, on both engines: the rules an address keeps,
//! one default per customer, ownership, the bound on their number.

use serde_json::{Value, json};

use crate::support::{TestApp, client, engine_tests};

const CREATE: &str = "mutation($address: MailingAddressInput!, $customer: ID) { createCustomerAddress(address: $address, customerId: $customer) { address { id address1 city provinceCode zip countryCode phone firstName company } customer { defaultAddress { id } } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $address: MailingAddressInput!) { updateCustomerAddress(id: $id, address: $address) { address { id address1 zip } userErrors { field code } } }";
const DELETE: &str =
    "mutation($id: ID!) { deleteCustomerAddress(id: $id) { deletedId userErrors { field code } } }";
const SET_DEFAULT: &str = "mutation($id: ID!) { setDefaultCustomerAddress(id: $id) { customer { defaultAddress { id } } userErrors { field code } } }";
const BOOK: &str = "{ viewer { defaultAddress { id city } addresses(first: 10) { totalCount nodes { id city } } } }";

fn springfield() -> Value {
    json!({ "firstName": " Ada ", "company": "", "address1": "1 Main St", "city": "Springfield", "provinceCode": "il", "zip": "62701", "countryCode": "US", "phone": "+1 (217) 555-0100" })
}

fn paris() -> Value {
    json!({ "address1": "5 Rue de Rivoli", "city": "Paris", "zip": "75001", "countryCode": "FR" })
}

async fn as_customer(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let answer = app.post_as(Some(token), query, variables).await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    answer["data"].clone()
}

engine_tests! {
    /// A customer keeps addresses: the first is the default until another
    /// is chosen; deleting the default makes the oldest left the default;
    /// an update replaces every field.
    async fn customers_keep_an_address_book(app) {
        let (token, _) = app.sign_up("book@example.com").await;
        let first = as_customer(&app, &token, CREATE, json!({ "address": springfield() })).await;
        let payload = &first["createCustomerAddress"];
        assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
        let address = &payload["address"];
        assert_eq!(address["provinceCode"], "IL", "codes in upper case");
        assert_eq!(address["firstName"], "Ada", "trimmed");
        assert_eq!(address["company"], Value::Null, "blank is none");
        assert_eq!(address["countryCode"], "US");
        let springfield_id = address["id"].as_str().unwrap().to_owned();
        assert_eq!(payload["customer"]["defaultAddress"]["id"], springfield_id.as_str(), "the first is the default");

        let second = as_customer(&app, &token, CREATE, json!({ "address": paris() })).await;
        let paris_id = second["createCustomerAddress"]["address"]["id"].as_str().unwrap().to_owned();
        assert_eq!(second["createCustomerAddress"]["customer"]["defaultAddress"]["id"], springfield_id.as_str());

        let book = as_customer(&app, &token, BOOK, json!({})).await;
        assert_eq!(book["viewer"]["addresses"]["totalCount"], 2);
        assert_eq!(book["viewer"]["addresses"]["nodes"][1]["city"], "Paris");

        let chosen = as_customer(&app, &token, SET_DEFAULT, json!({ "id": paris_id })).await;
        assert_eq!(chosen["setDefaultCustomerAddress"]["customer"]["defaultAddress"]["id"], paris_id.as_str());
        assert_eq!(app.count_rows("customer_address WHERE is_default").await, 1, "one default");

        let mut moved = paris();
        moved["address1"] = json!("8 Rue de Rivoli");
        moved["zip"] = Value::Null;
        let updated = as_customer(&app, &token, UPDATE, json!({ "id": paris_id, "address": moved })).await;
        assert_eq!(updated["updateCustomerAddress"]["address"], json!({ "id": paris_id, "address1": "8 Rue de Rivoli", "zip": null }));

        let deleted = as_customer(&app, &token, DELETE, json!({ "id": paris_id })).await;
        assert_eq!(deleted["deleteCustomerAddress"]["deletedId"], paris_id.as_str());
        let book = as_customer(&app, &token, BOOK, json!({})).await;
        assert_eq!(book["viewer"]["defaultAddress"]["id"], springfield_id.as_str(), "the oldest left is the default");
        assert_eq!(book["viewer"]["addresses"]["totalCount"], 1);
    }

    /// Every bad field at its path, nothing stored; the United States need
    /// a state and a ZIP code of their form; a country is one of ISO's.
    async fn addresses_are_checked_field_by_field(app) {
        let (token, _) = app.sign_up("checked@example.com").await;
        let bad = json!({ "address1": " ", "city": "x".repeat(101), "provinceCode": "ZZ", "zip": "1234", "countryCode": "US", "phone": "call me" });
        let refused = as_customer(&app, &token, CREATE, json!({ "address": bad })).await;
        let errors: Vec<(Value, Value)> = refused["createCustomerAddress"]["userErrors"].as_array().unwrap().iter()
            .map(|error| (error["field"].clone(), error["code"].clone())).collect();
        assert_eq!(errors, vec![
            (json!(["address", "address1"]), json!("INVALID")),
            (json!(["address", "city"]), json!("INVALID")),
            (json!(["address", "provinceCode"]), json!("INVALID")),
            (json!(["address", "zip"]), json!("INVALID")),
            (json!(["address", "phone"]), json!("INVALID")),
        ]);
        let mut canada = json!({ "address1": "24 Sussex Dr", "city": "Ottawa", "countryCode": "CA" });
        let needs_province = as_customer(&app, &token, CREATE, json!({ "address": canada })).await;
        assert_eq!(needs_province["createCustomerAddress"]["userErrors"][0]["field"], json!(["address", "provinceCode"]));
        canada["provinceCode"] = json!("ON");
        canada["zip"] = json!("k1m1m4");
        let made = as_customer(&app, &token, CREATE, json!({ "address": canada })).await;
        assert_eq!(made["createCustomerAddress"]["address"]["zip"], "K1M 1M4");
        let unknown = app.post_as(Some(&token), CREATE, json!({ "address": { "address1": "x", "city": "y", "countryCode": "XX" } })).await;
        assert!(unknown["errors"][0]["message"].as_str().unwrap().contains("CountryCode"), "{unknown:#}");
        assert_eq!(app.count_rows("customer_address").await, 1, "only the good one");
    }

    /// Another customer's address reads like a missing one; anonymous
    /// callers keep none; staff name the customer.
    async fn address_books_are_their_customers_own(app) {
        let (owner, owner_id) = app.sign_up("owner@example.com").await;
        let (other, _) = app.sign_up("other@example.com").await;
        let made = as_customer(&app, &owner, CREATE, json!({ "address": paris() })).await;
        let id = made["createCustomerAddress"]["address"]["id"].as_str().unwrap().to_owned();
        for (query, variables) in [(UPDATE, json!({ "id": id, "address": paris() })), (DELETE, json!({ "id": id })), (SET_DEFAULT, json!({ "id": id }))] {
            let answer = as_customer(&app, &other, query, variables).await;
            let payload = answer.as_object().unwrap().values().next().unwrap();
            assert_eq!(payload["userErrors"], json!([{ "field": ["id"], "code": "NOT_FOUND" }]), "{answer:#}");
        }
        let into_theirs = as_customer(&app, &other, CREATE, json!({ "address": paris(), "customer": owner_id })).await;
        assert_eq!(into_theirs["createCustomerAddress"]["userErrors"][0]["code"], "NOT_FOUND");
        let read = app.post_as(Some(&other), "query($id: ID!) { customer(id: $id) { addresses { totalCount } } }", json!({ "id": owner_id })).await;
        assert_eq!(read["data"]["customer"], Value::Null, "{read:#}");
        assert_eq!(app.count_rows("customer_address").await, 1, "nothing changed");

        let anonymous = app.post_as(None, CREATE, json!({ "address": paris() })).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let staff_unnamed = app.ok(CREATE, json!({ "address": paris() })).await;
        assert_eq!(staff_unnamed["createCustomerAddress"]["userErrors"][0]["field"], json!(["customerId"]));
        let staff = app.ok(CREATE, json!({ "address": springfield(), "customer": owner_id })).await;
        assert_eq!(staff["createCustomerAddress"]["userErrors"], json!([]));
        let staff_reads = app.ok("query($id: ID!) { customer(id: $id) { addresses { totalCount } defaultAddress { city } } }", json!({ "id": owner_id })).await;
        assert_eq!(staff_reads["customer"], json!({ "addresses": { "totalCount": 2 }, "defaultAddress": { "city": "Paris" } }));

        // Deleting the customer deletes their address book.
        let deleted = app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { userErrors { code } } }", json!({ "id": owner_id })).await;
        assert_eq!(deleted["deleteCustomer"]["userErrors"], json!([]));
        assert_eq!(app.count_rows("customer_address").await, 0);
    }

    /// A customer keeps at most 50 addresses (`TOO_MANY`), and the database
    /// keeps one default per customer whatever the callers race.
    async fn address_books_are_bounded(app) {
        let (token, _) = app.sign_up("bounded@example.com").await;
        for batch in 0..2 {
            let creates: String = (0..25)
                .map(|i| format!("a{i}: createCustomerAddress(address: {{ address1: \"{batch} {i} Main St\", city: \"Paris\", countryCode: FR }}) {{ userErrors {{ code }} }} "))
                .collect();
            let made = as_customer(&app, &token, &format!("mutation {{ {creates} }}"), json!({})).await;
            assert!(made.as_object().unwrap().values().all(|payload| payload["userErrors"] == json!([])), "{made:#}");
        }
        let one_more = as_customer(&app, &token, CREATE, json!({ "address": paris() })).await;
        assert_eq!(one_more["createCustomerAddress"]["userErrors"], json!([{ "field": ["address"], "code": "TOO_MANY", "message": "A customer keeps at most 50 addresses" }]));
        assert_eq!(app.count_rows("customer_address").await, 50);
        assert_eq!(app.count_rows("customer_address WHERE is_default").await, 1);

        // Racing "make this my default" calls leave one default.
        let ids: Vec<String> = as_customer(&app, &token, "{ viewer { addresses(first: 10) { nodes { id } } } }", json!({})).await["viewer"]["addresses"]["nodes"]
            .as_array().unwrap().iter().map(|node| node["id"].as_str().unwrap().to_owned()).collect();
        let shopper = client(Some(&token));
        let races = ids.iter().map(|id| {
            let (shopper, url) = (shopper.clone(), app.url("/graphql"));
            let body = json!({ "query": SET_DEFAULT, "variables": { "id": id } });
            async move { shopper.post(url).json(&body).send().await.unwrap().json::<Value>().await.unwrap() }
        });
        for answer in futures_util::future::join_all(races).await {
            assert!(answer.get("errors").is_none(), "{answer:#}");
        }
        assert_eq!(app.count_rows("customer_address WHERE is_default").await, 1);
    }
}
