//! Accounts and permissions: sign-up, log-in and log-out with tokens; staff
//! through the admin token; anonymous callers read the catalogue only; a
//! customer sees and changes only their own record and carts, and another
//! customer's IDs behave exactly like IDs that do not exist (IDOR).

use serde_json::{Value, json};

use crate::support::global_id;
use crate::support::{TestApp, engine_tests};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {response:#}"))
}

/// A customer's payload `userErrors` codes for an operation.
fn user_error_codes(response: &Value, field: &str) -> Vec<String> {
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"][field]["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors: {response:#}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

const VIEWER: &str = "{ viewer { id email } }";

/// Builds a mutation's variables from (customer ID, cart ID, product ID).
type Variables = fn(&str, &str, &str) -> Value;

engine_tests! {
    async fn sign_up_log_in_and_log_out(app) {
        let (token, id) = app.sign_up("ada@example.com").await;
        let me = app.post_as(Some(&token), VIEWER, json!({})).await;
        assert_eq!(me["data"]["viewer"], json!({ "id": id, "email": "ada@example.com" }));
        assert_eq!(app.post_as(None, VIEWER, json!({})).await["data"]["viewer"], Value::Null);

        let log_in = "mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token customer { id } userErrors { field code message } } }";
        let ok = app.post_as(None, log_in, json!({ "email": "ADA@example.com", "password": "correct horse battery" })).await;
        let second = ok["data"]["logIn"]["token"].as_str().unwrap().to_owned();
        assert_eq!(ok["data"]["logIn"]["customer"]["id"], json!(id));
        let wrong_password = app.post_as(None, log_in, json!({ "email": "ada@example.com", "password": "wrong horse battery" })).await;
        let unknown_email = app.post_as(None, log_in, json!({ "email": "nobody@example.com", "password": "correct horse battery" })).await;
        assert_eq!(wrong_password["data"]["logIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
        assert_eq!(wrong_password, unknown_email, "an unknown email and a wrong password answer alike");

        let sign_up_again = app.post_as(None, "mutation($input: SignUpInput!) { signUp(input: $input) { token userErrors { field code } } }",
            json!({ "input": { "email": "ada@example.com", "name": "Ada", "password": "correct horse battery" } })).await;
        assert_eq!(user_error_codes(&sign_up_again, "signUp"), ["TAKEN"]);
        let short = app.post_as(None, "mutation($input: SignUpInput!) { signUp(input: $input) { token userErrors { field code } } }",
            json!({ "input": { "email": "bo@example.com", "name": "Bo", "password": "short" } })).await;
        assert_eq!(short["data"]["signUp"]["userErrors"][0]["field"], json!(["input", "password"]));

        // Logging out ends that token only.
        let out = app.post_as(Some(&token), "mutation { logOut { loggedOut } }", json!({})).await;
        assert_eq!(out["data"]["logOut"]["loggedOut"], true);
        let refused = crate::support::client(Some(&token)).post(app.url("/graphql")).json(&json!({ "query": VIEWER })).send().await.unwrap();
        assert_eq!(refused.status(), 401);
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        assert_eq!(code(&refused.json::<Value>().await.unwrap()), "UNAUTHENTICATED");
        assert_eq!(app.post_as(Some(&second), VIEWER, json!({})).await["data"]["viewer"]["id"], json!(id));

        // A token whose signature does not match is refused too.
        let forged = format!("{}x", &second[..second.len() - 1]);
        let forged = crate::support::client(Some(&forged)).post(app.url("/graphql")).json(&json!({ "query": VIEWER })).send().await.unwrap();
        assert_eq!(forged.status(), 401);
    }

    async fn anonymous_callers_read_the_catalogue_only(app) {
        app.create_product("Mug", "3.00", 4).await;
        let catalogue = app.post_as(None, "{ products { totalCount nodes { name } } }", json!({})).await;
        assert_eq!(catalogue["data"]["products"]["totalCount"], 1);
        for query in [
            "{ carts { totalCount } }",
            "{ customers { totalCount } }",
            r#"mutation { createProduct(input: { name: "X", price: "1.00", stock: 1 }) { product { id } } }"#,
            r#"mutation { createCustomer(input: { email: "x@example.com", name: "X" }) { customer { id } } }"#,
            "mutation { logOut { loggedOut } }",
        ] {
            let response = app.post_as(None, query, json!({})).await;
            assert_eq!(code(&response), "UNAUTHENTICATED", "{query}: {response:#}");
        }
        assert_eq!(app.count_rows("product").await, 1);
        assert_eq!(app.count_rows("customer").await, 0);
    }

    async fn customers_cannot_do_staff_work(app) {
        let (token, _) = app.sign_up("eve@example.com").await;
        for query in [
            r#"mutation { createProduct(input: { name: "X", price: "1.00", stock: 1 }) { product { id } } }"#,
            r#"mutation { createCustomer(input: { email: "x@example.com", name: "X" }) { customer { id } } }"#,
            "{ customers { totalCount } }",
        ] {
            let response = app.post_as(Some(&token), query, json!({})).await;
            assert_eq!(code(&response), "FORBIDDEN", "{query}: {response:#}");
        }
        let product = app.create_product("Mug", "3.00", 4).await;
        for query in [
            "mutation($id: ID!) { updateProduct(id: $id, input: { price: \"0.01\" }) { product { id } } }",
            "mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }",
        ] {
            let response = app.post_as(Some(&token), query, json!({ "id": product })).await;
            assert_eq!(code(&response), "FORBIDDEN", "{query}: {response:#}");
        }
        let price = app.ok("query($id: ID!) { product(id: $id) { price { amount } } }", json!({ "id": product })).await;
        assert_eq!(price["product"]["price"]["amount"], "3.00");
    }

    /// Every query and mutation that takes an ID, and every nested path,
    /// treats another customer's record or cart exactly like a missing one.
    async fn another_customers_ids_read_as_missing(app) {
        let product = app.create_product("Mug", "3.00", 50).await;
        let (alice, alice_id) = app.sign_up("alice@example.com").await;
        let (bob, _) = app.sign_up("bob@example.com").await;
        let cart_of = |token: String, customer: String| {
            let (app, product) = (&app, product.clone());
            async move {
                let created = app.post_as(Some(&token),
                    "mutation($c: ID!, $p: ID!) { createCart(customerId: $c, lines: [{ productId: $p, quantity: 2 }]) { cart { id } userErrors { code } } }",
                    json!({ "c": customer, "p": product })).await;
                created["data"]["createCart"]["cart"]["id"].as_str().unwrap_or_else(|| panic!("{created:#}")).to_owned()
            }
        };
        let alice_cart = cart_of(alice.clone(), alice_id.clone()).await;
        let missing_customer = global_id("Customer", 999_999);
        let missing_cart = global_id("Cart", 999_999);

        // Reads: null, the same as for IDs that exist nowhere.
        let reads = "query($c: ID!, $k: ID!) {
            customer(id: $c) { id email }
            cart(id: $k) { id }
            customerNode: node(id: $c) { id }
            cartNode: node(id: $k) { id }
            nodes(ids: [$c, $k]) { id }
        }";
        let theirs = app.post_as(Some(&bob), reads, json!({ "c": alice_id, "k": alice_cart })).await;
        let nobodys = app.post_as(Some(&bob), reads, json!({ "c": missing_customer, "k": missing_cart })).await;
        assert_eq!(theirs, nobodys, "another customer's IDs answer like missing ones");
        assert_eq!(theirs["data"]["customer"], Value::Null);
        assert_eq!(theirs["data"]["nodes"], json!([null, null]));
        let listed = app.post_as(Some(&bob), "{ carts { totalCount nodes { id } } }", json!({})).await;
        assert_eq!(listed["data"]["carts"]["totalCount"], 0, "bob lists only his own carts: {listed:#}");

        // Writes: NOT_FOUND user errors, the same as for missing IDs, and nothing changes.
        let writes: [(&str, &str, Variables); 8] = [
            ("updateCustomer", "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Mallory\" }) { customer { id } userErrors { code } } }", |c, _, _| json!({ "id": c })),
            ("deleteCustomer", "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId userErrors { code } } }", |c, _, _| json!({ "id": c })),
            ("createCart", "mutation($id: ID!) { createCart(customerId: $id) { cart { id } userErrors { code } } }", |c, _, _| json!({ "id": c })),
            ("addCartLines", "mutation($id: ID!, $p: ID!) { addCartLines(cartId: $id, lines: [{ productId: $p, quantity: 1 }]) { cart { id } userErrors { code } } }", |_, k, p| json!({ "id": k, "p": p })),
            ("updateCartLine", "mutation($id: ID!, $p: ID!) { updateCartLine(cartId: $id, productId: $p, quantity: 9) { cart { id } userErrors { code } } }", |_, k, p| json!({ "id": k, "p": p })),
            ("removeCartLine", "mutation($id: ID!, $p: ID!) { removeCartLine(cartId: $id, productId: $p) { cart { id } userErrors { code } } }", |_, k, p| json!({ "id": k, "p": p })),
            ("deleteCart", "mutation($id: ID!) { deleteCart(id: $id) { deletedId userErrors { code } } }", |_, k, _| json!({ "id": k })),
            ("checkout", "mutation($id: ID!) { checkout(cartId: $id, idempotencyKey: \"k\") { cart { id } userErrors { code } } }", |_, k, _| json!({ "id": k })),
        ];
        for (field, mutation, variables) in writes {
            let theirs = app.post_as(Some(&bob), mutation, variables(&alice_id, &alice_cart, &product)).await;
            let nobodys = app.post_as(Some(&bob), mutation, variables(&missing_customer, &missing_cart, &product)).await;
            assert_eq!(user_error_codes(&theirs, field), ["NOT_FOUND"], "{field}: {theirs:#}");
            assert_eq!(theirs, nobodys, "{field}: another customer's ID answers like a missing one");
        }
        let still = app.post_as(Some(&alice), "query($k: ID!) { viewer { name } cart(id: $k) { checkedOutAt lines { quantity } } }", json!({ "k": alice_cart })).await;
        assert_eq!(still["data"], json!({ "viewer": { "name": "Someone" }, "cart": { "checkedOutAt": null, "lines": [{ "quantity": 2 }] } }), "nothing of alice's changed");
        assert_eq!(app.count_rows("customer").await, 2);
    }

    /// `Customer.email` is read only by the customer and staff, whatever the path.
    async fn emails_are_private_on_every_path(app) {
        let (alice, alice_id) = app.sign_up("alice@example.com").await;
        let (bob, _) = app.sign_up("bob@example.com").await;
        let product = app.create_product("Mug", "3.00", 50).await;
        let created = app.post_as(Some(&alice),
            "mutation($c: ID!, $p: ID!) { createCart(customerId: $c, lines: [{ productId: $p, quantity: 1 }]) { cart { id } } }",
            json!({ "c": alice_id, "p": product })).await;
        let cart = created["data"]["createCart"]["cart"]["id"].as_str().unwrap().to_owned();
        let paths = "query($c: ID!, $k: ID!) {
            customer(id: $c) { email }
            cart(id: $k) { customer { email carts { nodes { customer { email } } } } }
            node(id: $c) { ... on Customer { email } }
            nodes(ids: [$c, $k]) { ... on Customer { email } ... on Cart { customer { email } } }
        }";
        let variables = json!({ "c": alice_id, "k": cart });
        let own = app.post_as(Some(&alice), paths, variables.clone()).await;
        assert!(own.get("errors").is_none(), "{own:#}");
        assert_eq!(own["data"]["customer"]["email"], "alice@example.com");
        for (who, token) in [("bob", Some(bob.as_str())), ("anonymous", None)] {
            let response = app.post_as(token, paths, variables.clone()).await;
            assert!(!response.to_string().contains("alice@example.com"), "{who} read alice's email: {response:#}");
        }
        let listed = app.post_as(Some(&bob), "{ customers { nodes { email } } }", json!({})).await;
        assert_eq!(code(&listed), "FORBIDDEN");
        assert!(!listed.to_string().contains("alice@example.com"));
        let staff = app.ok("query($c: ID!) { customer(id: $c) { email } }", json!({ "c": alice_id })).await;
        assert_eq!(staff["customer"]["email"], "alice@example.com", "staff read every email");
    }
}

/// `cartUpdated` on another customer's cart is refused like a missing cart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_to_another_customers_cart_are_refused() {
    let app = TestApp::spawn(crate::support::Engine::Sqlite).await;
    let (alice, alice_id) = app.sign_up("alice@example.com").await;
    let (bob, _) = app.sign_up("bob@example.com").await;
    let created = app
        .post_as(
            Some(&alice),
            "mutation($c: ID!) { createCart(customerId: $c) { cart { id } } }",
            json!({ "c": alice_id }),
        )
        .await;
    let cart = created["data"]["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws = app.url("/graphql").replacen("http://", "ws://", 1);
    let theirs = crate::js::node("subscribe-denied.mjs", &[&ws, &bob, &cart]).await;
    let nobodys = crate::js::node(
        "subscribe-denied.mjs",
        &[&ws, &bob, &global_id("Cart", 999_999)],
    )
    .await;
    // Each socket's errors carry the ID of the request that opened it:
    // alike apart from that.
    let answer = |output: String| {
        let mut answer: Value = serde_json::from_str(output.trim()).unwrap();
        let extensions = &mut answer["next"]["errors"][0]["extensions"];
        let id = extensions
            .as_object_mut()
            .and_then(|extensions| extensions.remove("requestId"));
        assert!(id.is_some_and(|id| id.is_string()), "{answer:#}");
        answer
    };
    let (theirs, nobodys) = (answer(theirs), answer(nobodys));
    // The subscription's field fails: graphql-ws delivers that as a result with errors.
    assert_eq!(theirs["next"]["data"], Value::Null, "{theirs:#}");
    assert_eq!(
        theirs["next"]["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        theirs, nobodys,
        "another customer's cart answers like a missing one"
    );
    let own = crate::js::node("subscribe-denied.mjs", &[&ws, &alice, &cart]).await;
    let own: Value = serde_json::from_str(own.trim()).unwrap();
    assert_eq!(
        own["timeout"], true,
        "alice's own subscription is open, waiting for changes: {own:#}"
    );
}
