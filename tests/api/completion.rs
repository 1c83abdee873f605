//! Field errors, null propagation and key order as the GraphQL spec has
//! them ("Handling Field Errors", "Serialized Map Ordering"; issue 13
//! finding 1), checked on the live server and against graphql-js executing
//! the same documents.

use serde_json::{Value, json};

use crate::js;
use crate::support::{ADMIN_TOKEN, TestApp, client, engine_tests};

/// The raw body of a POST as staff: key order survives only in the text
/// (serde_json's maps here sort their keys).
async fn raw(app: &TestApp, token: Option<&str>, query: &str, variables: &Value) -> String {
    client(token)
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("a body")
}

/// Where each of `keys` first appears in `text`, which must be in order.
fn assert_in_order(text: &str, keys: &[&str]) {
    let positions: Vec<usize> = keys
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("no {key} in {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "keys {keys:?} out of order in {text}"
    );
}

/// A customer with one cart, as (customer ID, cart ID, product ID).
async fn customer_with_cart(app: &TestApp, email: &str) -> (String, String, String) {
    let product = app
        .create_product(&format!("Tea for {email}"), "4.50", 10)
        .await;
    let customer = app.create_customer(email, "Buyer").await;
    let cart = app.create_cart(&customer, &[(&product, 2)]).await;
    (customer, cart, product)
}

fn paths(response: &Value) -> Vec<Value> {
    let mut paths: Vec<Value> = response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|error| error["path"].clone()).collect())
        .unwrap_or_default();
    paths.sort_by_key(|path| path.to_string());
    paths
}

engine_tests! {
    /// An error on a nullable field makes that field null, with its key,
    /// and keeps its siblings: `{ product(id: "nope") { id } }` answers
    /// `{"product": null}` and the error, not `data: null`.
    async fn errored_nullable_fields_become_null_and_keep_their_siblings(app) {
        app.create_product("Kettle", "30.00", 3).await;
        let alone = app.post("{ product(id: \"nope\") { id } }", json!({})).await;
        assert_eq!(alone["data"], json!({ "product": null }), "{alone:#}");
        assert_eq!(paths(&alone), [json!(["product"])]);
        assert_eq!(alone["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        let query = "{ a: product(id: \"nope\") { id } b: products(first: 1) { totalCount } }";
        let aliased = app.post(query, json!({})).await;
        assert_eq!(aliased["data"], json!({ "a": null, "b": { "totalCount": 1 } }), "{aliased:#}");
        assert_eq!(paths(&aliased), [json!(["a"])]);
        assert_in_order(&raw(&app, Some(ADMIN_TOKEN), query, &json!({})).await, &["a", "b"]);
    }

    /// An error on a non-null field nulls its nearest nullable parent, and
    /// only that: a customer's non-null `carts` failing makes the customer
    /// null next to the rest of the answer; with no nullable parent up to
    /// the root, `data` is null; nullable list items become null one by
    /// one.
    async fn errors_on_non_null_fields_null_the_nearest_nullable_parent(app) {
        let (customer, cart, product) = customer_with_cart(&app, "ann@example.com").await;
        let nested = app.post(
            "query($c: ID!) { customer(id: $c) { name carts(first: -1) { totalCount } } products(first: 5) { totalCount } }",
            json!({ "c": customer }),
        ).await;
        assert_eq!(nested["data"], json!({ "customer": null, "products": { "totalCount": 1 } }), "{nested:#}");
        assert_eq!(paths(&nested), [json!(["customer", "carts"])]);

        let to_the_root = app.post(
            "{ customers(first: 5) { nodes { carts(first: -1) { totalCount } } } }",
            json!({}),
        ).await;
        assert_eq!(to_the_root["data"], Value::Null, "{to_the_root:#}");
        assert_eq!(paths(&to_the_root), [json!(["customers", "nodes", 0, "carts"])]);

        let items = app.post(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { carts(first: -1) { totalCount } } } }",
            json!({ "ids": [product, customer, cart] }),
        ).await;
        assert_eq!(items["data"]["nodes"], json!([{ "id": product }, null, { "id": cart }]), "{items:#}");
        assert_eq!(paths(&items), [json!(["nodes", 1, "carts"])]);

        // A cart's customer is nullable (a guest cart has none): the
        // error stops there, and the cart keeps its other fields.
        let through = app.post(
            "query($id: ID!) { cart(id: $id) { id customer { carts(first: -1) { totalCount } } } }",
            json!({ "id": cart }),
        ).await;
        assert_eq!(through["data"], json!({ "cart": { "id": cart, "customer": null } }), "{through:#}");
        assert_eq!(paths(&through), [json!(["cart", "customer", "carts"])]);
    }

    /// Keys come in the order the selection set asks for them, whichever
    /// field finished first, fragments included.
    async fn keys_come_in_selection_order(app) {
        let (customer, _, _) = customer_with_cart(&app, "bo@example.com").await;
        let (token, _) = app.sign_up("order@example.com").await;
        let viewer_last = raw(&app, Some(&token), "{ products(first: 1) { totalCount } viewer { id email } }", &json!({})).await;
        assert_in_order(&viewer_last, &["products", "viewer", "id", "email"]);
        let viewer_first = raw(&app, Some(&token), "{ viewer { email id } products(first: 1) { totalCount } }", &json!({})).await;
        assert_in_order(&viewer_first, &["viewer", "email", "id", "products"]);
        let fragments = raw(
            &app,
            Some(ADMIN_TOKEN),
            "query($c: ID!) { customer(id: $c) { ...Later name } node(id: $c) { ... on Customer { email } id } } fragment Later on Customer { carts(first: 1) { totalCount } createdAt }",
            &json!({ "c": customer }),
        ).await;
        assert_in_order(&fragments, &["customer", "carts", "totalCount", "createdAt", "name", "node", "email", "id"]);
    }

    /// The differential check: documents with errors at every depth —
    /// nullable and non-null fields, lists, aliases, fragments, repeated
    /// fields — answer exactly what graphql-js, executing the same schema
    /// with resolvers that fail at the same paths, answers by the spec's
    /// algorithm: the same data, key order included, and the same error
    /// paths.
    async fn errors_at_every_depth_answer_what_graphql_js_answers(app) {
        let (customer, cart, product) = customer_with_cart(&app, "cy@example.com").await;
        let (other, _, _) = customer_with_cart(&app, "dee@example.com").await;
        let variables = json!({ "c": customer, "o": other, "cart": cart, "p": product, "ids": [product, customer, cart, other] });
        let documents = [
            ("nullable root", "{ product(id: \"nope\") { id } }"),
            ("aliases beside an error", "{ a: product(id: \"nope\") { id } b: products(first: 1) { totalCount } c: product(id: \"bad\") { name } }"),
            ("non-null root", "{ products(first: -1) { totalCount } product(id: \"nope\") { id } }"),
            ("non-null under nullable", "query($c: ID!) { customer(id: $c) { name carts(first: -1) { totalCount } } products(first: 2) { totalCount nodes { name } } }"),
            ("non-null in a non-null list", "{ customers(first: 5) { totalCount nodes { email carts(first: -1) { totalCount } } } }"),
            ("nullable list items", "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { email carts(first: -1) { totalCount } } ... on Product { name } } }"),
            ("through a non-null object", "query($cart: ID!) { cart(id: $cart) { id customer { name carts(first: -1) { totalCount } } } viewer { id } }"),
            ("fragments on the root", "query($c: ID!, $o: ID!) { ...Both x: customer(id: $o) { id } } fragment Both on QueryRoot { customer(id: $c) { ...Carts } products(first: -1) { totalCount } } fragment Carts on Customer { carts(first: -1) { totalCount } }"),
            ("repeated fields merge", "query($c: ID!) { customer(id: $c) { name } customer(id: $c) { carts(first: -1) { totalCount } email } }"),
            ("inline fragments and typename", "query($p: ID!, $c: ID!) { node(id: $p) { __typename ... on Product { name stock } id } other: node(id: $c) { id ... on Customer { carts(first: -2) { totalCount } } } }"),
            ("deep lists", "{ customers(first: 5) { nodes { email carts(first: 5) { nodes { id lines { quantity product { name } } } } } } carts(first: -1) { totalCount } }"),
            ("no errors, order only", "query($c: ID!) { viewer { id } products(first: 2) { nodes { stock name } totalCount } customer(id: $c) { email name } }"),
        ];
        let mut cases = Vec::new();
        for (name, query) in documents {
            let ours = raw(&app, Some(ADMIN_TOKEN), query, &variables).await;
            serde_json::from_str::<Value>(&ours).unwrap_or_else(|err| panic!("{name}: {err}: {ours}"));
            // The answer goes to graphql-js as text, keys in our order.
            cases.push(format!(
                r#"{{"name":{},"query":{},"variables":{},"ours":{}}}"#,
                json!(name), json!(query), variables, ours
            ));
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("cases.json");
        std::fs::write(&file, format!("[{}]", cases.join(","))).expect("cases written");
        let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
        let output = js::node(
            "differential.mjs",
            &[schema.to_str().expect("a UTF-8 path"), file.to_str().expect("a UTF-8 path")],
        ).await;
        let report: Value = serde_json::from_str(output.trim()).expect("one JSON line");
        assert_eq!(report["cases"], documents.len());
        assert_eq!(report["mismatches"], json!([]), "{report:#}");
    }
}
