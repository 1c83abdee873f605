//! The write path: every mutation parses its input before it takes its
//! turn to write, so bad input is answered at once, even while another
//! writer holds SQLite's lock, and never holds the lock itself.

use serde_json::json;

use crate::support::{Engine, TestApp};

/// Another process holds SQLite's write lock (as the CLI's purge would);
/// a mutation that took its turn would wait for the lock and fail
/// `SERVICE_UNAVAILABLE` after the busy timeout. Each invalid mutation
/// below is answered with its user error instead: it never asked for the
/// lock. A valid one, for contrast, does wait and fail.
#[tokio::test]
async fn invalid_input_is_refused_without_taking_the_sqlite_write_turn() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.db_busy_timeout_ms = 300).await;
    let product = app.create_product("Kettle", "20.00", 3).await;
    let customer = app.create_customer("kim@example.com", "Kim").await;
    let cart = app.create_cart(&customer, &[]).await;
    let lock = app.hold_product_rows().await;

    let invalid = [
        (
            "createProduct",
            "mutation { createProduct(input: { name: \" \", price: \"1.00\" }) { userErrors { field code } } }",
            json!({}),
        ),
        (
            "updateProduct",
            "mutation($id: ID!) { updateProduct(id: $id, input: { price: \"-1\" }) { userErrors { field code } } }",
            json!({ "id": product }),
        ),
        (
            "createCustomer",
            "mutation { createCustomer(input: { email: \"not an email\", name: \"X\" }) { userErrors { field code } } }",
            json!({}),
        ),
        (
            "updateCustomer",
            "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"\" }) { userErrors { field code } } }",
            json!({ "id": customer }),
        ),
        (
            "createCart",
            "mutation($c: ID!, $p: ID!) { createCart(customerId: $c, lines: [{ productId: $p, quantity: 0 }]) { userErrors { field code } } }",
            json!({ "c": customer, "p": product }),
        ),
        (
            "addCartLines",
            "mutation($cart: ID!, $p: ID!) { addCartLines(cartId: $cart, lines: [{ productId: $p, quantity: -2 }]) { userErrors { field code } } }",
            json!({ "cart": cart, "p": product }),
        ),
        (
            "updateCartLine",
            "mutation($cart: ID!, $p: ID!) { updateCartLine(cartId: $cart, productId: $p, quantity: -1) { userErrors { field code } } }",
            json!({ "cart": cart, "p": product }),
        ),
    ];
    for (field, query, variables) in invalid {
        let answer = app.post(query, variables).await;
        assert!(answer.get("errors").is_none(), "{field}: {answer:#}");
        let errors = &answer["data"][field]["userErrors"];
        assert_eq!(errors[0]["code"], "INVALID", "{field}: {answer:#}");
    }
    let sign_up = app
        .post_as(
            None,
            "mutation { signUp(input: { email: \"bad\", name: \"B\", password: \"long enough secret\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        sign_up["data"]["signUp"]["userErrors"][0]["code"], "INVALID",
        "{sign_up:#}"
    );

    // The lock is really held: a valid write waits for it, then gives up.
    let (status, valid) = app
        .post_status("mutation { createProduct(input: { name: \"Cup\", price: \"1.00\" }) { product { id } } }")
        .await;
    assert_eq!(status, 503, "{valid:#}");
    assert_eq!(
        valid["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{valid:#}"
    );

    lock.rollback().await.unwrap();
    assert_eq!(app.count_rows("product").await, 1, "nothing was written");
    assert_eq!(app.count_rows("customer").await, 1, "nothing was written");
}
