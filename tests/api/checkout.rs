//! Checkout: all or nothing, never more than the stock, under concurrency,
//! with idempotency keys, and across a crash.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::global_id;
use crate::support::{Engine, TestApp, engine_tests};

const CHECKOUT: &str = "mutation($cart: ID!, $key: String) {
  checkout(cartId: $cart, idempotencyKey: $key) {
    cart { id checkedOutAt totalQuantity }
    userErrors { field code message }
  }
}";

const ADD: &str = "mutation($cart: ID!, $product: ID!, $n: Int!) {
  addCartLines(cartId: $cart, lines: [{ productId: $product, quantity: $n }]) { userErrors { code } }
}";

async fn stock(app: &TestApp, product: &str) -> i64 {
    let data = app
        .ok(
            "query($id: ID!) { product(id: $id) { stock } }",
            json!({ "id": product }),
        )
        .await;
    data["product"]["stock"].as_i64().unwrap()
}

async fn set_stock(app: &TestApp, product: &str, stock: i32) {
    let data = app
        .ok(
            "mutation($id: ID!, $stock: Int!) { updateProduct(id: $id, input: { stock: $stock }) { userErrors { code } } }",
            json!({ "id": product, "stock": stock }),
        )
        .await;
    assert_eq!(data["updateProduct"]["userErrors"], json!([]));
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Every response of a concurrent run is a payload, never a top-level error
/// (no "database is locked", no deadlock).
fn payloads(responses: &[Value]) -> Vec<&Value> {
    responses
        .iter()
        .map(|response| {
            assert!(
                response.get("errors").is_none(),
                "a top-level error: {response:#}"
            );
            &response["data"]["checkout"]
        })
        .collect()
}

engine_tests! {
    async fn checkout_takes_the_stock_and_closes_the_cart(app) {
        let mug = app.create_product("Mug", "4.00", 5).await;
        let customer = app.create_customer("buyer@example.com", "Buyer").await;
        let cart = app.create_cart(&customer, &[(&mug, 2)]).await;
        let data = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        assert_eq!(data["checkout"]["userErrors"], json!([]));
        assert!(data["checkout"]["cart"]["checkedOutAt"].is_string());
        assert_eq!(stock(&app, &mug).await, 3);

        // A checked-out cart no longer changes, and is not checked out twice.
        let again = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        assert_eq!(codes(&again["checkout"]), ["CHECKED_OUT"]);
        let add = app.ok(ADD, json!({ "cart": cart, "product": mug, "n": 1 })).await;
        assert_eq!(add["addCartLines"]["userErrors"][0]["code"], "CHECKED_OUT");
        let delete = app.ok("mutation($id: ID!) { deleteCart(id: $id) { deletedId userErrors { code } } }", json!({ "id": cart })).await;
        assert_eq!(delete["deleteCart"]["userErrors"][0]["code"], "CHECKED_OUT");
        assert_eq!(stock(&app, &mug).await, 3);

        // The customer starts a new cart; an empty one cannot be checked out.
        let fresh = app.create_cart(&customer, &[]).await;
        let empty = app.ok(CHECKOUT, json!({ "cart": fresh })).await;
        assert_eq!(codes(&empty["checkout"]), ["INVALID"]);
        assert_eq!(app.count_rows("cart WHERE checked_out_at IS NULL").await, 1, "the empty cart stays open");
    }

    async fn short_lines_are_all_named_and_nothing_changes(app) {
        let a = app.create_product("A", "1.00", 10).await;
        let b = app.create_product("B", "1.00", 10).await;
        let c = app.create_product("C", "1.00", 10).await;
        let customer = app.create_customer("short@example.com", "Short").await;
        let cart = app.create_cart(&customer, &[(&a, 3), (&b, 1), (&c, 9)]).await;
        set_stock(&app, &a, 2).await;
        set_stock(&app, &c, 1).await;
        let data = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        let errors = data["checkout"]["userErrors"].as_array().unwrap();
        assert_eq!(data["checkout"]["cart"], Value::Null);
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert_eq!(errors[0]["code"], "INSUFFICIENT_STOCK");
        // checkout's argument is the cart; each message names its product.
        assert_eq!(errors[0]["field"], json!(["cartId"]));
        assert_eq!(errors[0]["message"], "Only 2 of \u{201c}A\u{201d} in stock; the line needs 3");
        assert_eq!(errors[1]["field"], json!(["cartId"]));
        assert_eq!(errors[1]["message"], "Only 1 of \u{201c}C\u{201d} in stock; the line needs 9");
        assert_eq!((stock(&app, &a).await, stock(&app, &b).await, stock(&app, &c).await), (2, 10, 1));
        assert_eq!(app.count_rows("cart WHERE checked_out_at IS NULL").await, 1);
    }

    async fn sixty_buyers_of_ten_units_sell_exactly_ten(app) {
        let lamp = app.create_product("Lamp", "30.00", 60).await;
        let mut carts = Vec::new();
        for i in 0..60 {
            let customer = app.create_customer(&format!("buyer{i}@example.com"), "Buyer").await;
            carts.push(app.create_cart(&customer, &[(&lamp, 1)]).await);
        }
        set_stock(&app, &lamp, 10).await;
        let requests = carts.iter().map(|cart| (CHECKOUT, json!({ "cart": cart }))).collect();
        let responses = app.post_concurrently(requests).await;
        let payloads = payloads(&responses);
        let sold = payloads.iter().filter(|p| p["cart"].is_object()).count();
        let refused: Vec<&Value> = payloads.iter().copied().filter(|p| p["cart"].is_null()).collect();
        assert_eq!(sold, 10, "exactly the stock is sold");
        assert_eq!(refused.len(), 50);
        for payload in refused {
            assert_eq!(codes(payload), ["INSUFFICIENT_STOCK"], "{payload:#}");
        }
        assert_eq!(stock(&app, &lamp).await, 0, "sold + remaining = 10");
        assert_eq!(app.count_rows("cart WHERE checked_out_at IS NOT NULL").await, 10);
    }

    async fn overlapping_carts_check_out_all_or_nothing_without_deadlock(app) {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut products = Vec::new();
        for name in ["A", "B", "C", "D"] {
            products.push(app.create_product(name, "1.00", 100).await);
        }
        let mut carts: Vec<(String, Vec<(usize, i64)>)> = Vec::new();
        for i in 0..40 {
            let customer = app.create_customer(&format!("o{i}@example.com"), "O").await;
            // Two or three distinct products, added in a random order.
            let mut chosen: Vec<usize> = (0..products.len()).collect();
            rng.shuffle(&mut chosen);
            let lines: Vec<(usize, i64)> = chosen[..rng.usize(2..=3)].iter().map(|p| (*p, rng.i64(1..=3))).collect();
            let refs: Vec<(&str, i32)> = lines.iter().map(|(p, n)| (products[*p].as_str(), *n as i32)).collect();
            carts.push((app.create_cart(&customer, &refs).await, lines));
        }
        let initial = 15;
        for product in &products {
            set_stock(&app, product, initial).await;
        }
        let requests = carts.iter().map(|(cart, _)| (CHECKOUT, json!({ "cart": cart }))).collect();
        let responses = app.post_concurrently(requests).await;
        let payloads = payloads(&responses);
        let mut sold: HashMap<usize, i64> = HashMap::new();
        let mut checked_out = 0;
        for ((_, lines), payload) in carts.iter().zip(&payloads) {
            if payload["cart"].is_object() {
                checked_out += 1;
                for (product, n) in lines {
                    *sold.entry(*product).or_default() += n;
                }
            } else {
                assert!(codes(payload).iter().all(|c| c == "INSUFFICIENT_STOCK"), "{payload:#}");
            }
        }
        eprintln!("{:?}: {checked_out} of 40 overlapping carts checked out, {} refused", app.engine, 40 - checked_out);
        assert!(checked_out > 0, "some carts fit the stock");
        for (index, product) in products.iter().enumerate() {
            let left = stock(&app, product).await;
            assert!(left >= 0);
            assert_eq!(i64::from(initial) - left, sold.get(&index).copied().unwrap_or(0), "product {index}: taken = sold by the checked-out carts");
        }
        assert_eq!(app.count_rows("cart WHERE checked_out_at IS NOT NULL").await, checked_out);
    }

    async fn an_idempotency_key_checks_out_once_and_answers_the_same(app) {
        let tea = app.create_product("Tea", "2.00", 100).await;
        let customer = app.create_customer("idem@example.com", "Idem").await;
        let first_cart = app.create_cart(&customer, &[(&tea, 2)]).await;
        let first = app.ok(CHECKOUT, json!({ "cart": first_cart, "key": "order-1" })).await;
        let again = app.ok(CHECKOUT, json!({ "cart": first_cart, "key": "order-1" })).await;
        assert_eq!(first["checkout"]["userErrors"], json!([]));
        assert_eq!(again, first, "the same answer");
        assert_eq!(stock(&app, &tea).await, 98, "one checkout");

        let second_cart = app.create_cart(&customer, &[(&tea, 5)]).await;
        let reused = app.ok(CHECKOUT, json!({ "cart": second_cart, "key": "order-1" })).await;
        assert_eq!(codes(&reused["checkout"]), ["IDEMPOTENCY_KEY_REUSED"]);

        let requests = (0..12).map(|_| (CHECKOUT, json!({ "cart": second_cart, "key": "order-2" }))).collect();
        let responses = app.post_concurrently(requests).await;
        for payload in payloads(&responses) {
            assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
            assert_eq!(payload["cart"]["id"], json!(second_cart));
        }
        assert_eq!(stock(&app, &tea).await, 93, "twelve concurrent requests, one checkout");
        assert_eq!(app.count_rows("checkout").await, 2);
    }

    /// Keys belong to the cart's customer: another customer's "order-1"
    /// checks out their own cart, and tells nobody that the key was used.
    async fn idempotency_keys_are_scoped_per_customer(app) {
        let tea = app.create_product("Tea", "2.00", 100).await;
        let (token_a, customer_a) = app.sign_up("scope-a@example.com").await;
        let (token_b, customer_b) = app.sign_up("scope-b@example.com").await;
        let cart_a = app.create_cart(&customer_a, &[(&tea, 1)]).await;
        let cart_b = app.create_cart(&customer_b, &[(&tea, 2)]).await;
        let as_a = app.post_as(Some(&token_a), CHECKOUT, json!({ "cart": cart_a, "key": "order-1" })).await;
        assert_eq!(as_a["data"]["checkout"]["userErrors"], json!([]), "{as_a:#}");
        let as_b = app.post_as(Some(&token_b), CHECKOUT, json!({ "cart": cart_b, "key": "order-1" })).await;
        assert_eq!(as_b["data"]["checkout"]["userErrors"], json!([]), "{as_b:#}");
        assert_eq!(as_b["data"]["checkout"]["cart"]["id"], json!(cart_b));
        assert_eq!(stock(&app, &tea).await, 97, "both carts checked out");
        // Each replay answers its own customer's checkout.
        let again_b = app.post_as(Some(&token_b), CHECKOUT, json!({ "cart": cart_b, "key": "order-1" })).await;
        assert_eq!(again_b, as_b);
        // Staff checking out for a customer use that customer's keys.
        let cart_a2 = app.create_cart(&customer_a, &[(&tea, 1)]).await;
        let reused = app.ok(CHECKOUT, json!({ "cart": cart_a2, "key": "order-1" })).await;
        assert_eq!(codes(&reused["checkout"]), ["IDEMPOTENCY_KEY_REUSED"]);
        // Another customer's cart is not found, whatever the key.
        let foreign = app.post_as(Some(&token_a), CHECKOUT, json!({ "cart": cart_b, "key": "order-1" })).await;
        assert_eq!(codes(&foreign["data"]["checkout"]), ["NOT_FOUND"], "{foreign:#}");
        assert_eq!(stock(&app, &tea).await, 97);
    }
}

engine_tests! {
    /// A server killed with SIGKILL in the middle of checkouts leaves no cart
    /// checked out without its stock taken, and no stock taken for a cart
    /// left open.
    async fn a_killed_server_leaves_stock_and_carts_consistent(app) {
        use entity::{cart, cart_line, customer, product, product_variant};
        use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

        let db = app.db().await;
        let now = chrono::Utc::now();
        let initial = 1_000_000;
        // (product, its one variant)
        let mut products = Vec::new();
        for name in ["P", "Q"] {
            let row = product::ActiveModel {
                name: Set(name.into()), handle: Set(name.to_lowercase()), description: Set(None), price: Set(100), stock: Set(i64::from(initial)),
                created_at: Set(now), updated_at: Set(now), ..Default::default()
            }.insert(&db).await.unwrap();
            let variant = product_variant::ActiveModel {
                product_id: Set(row.id), title: Set("Default Title".into()), price: Set(100), stock: Set(initial),
                option_key: Set(String::new()), requires_shipping: Set(false), created_at: Set(now), updated_at: Set(now), ..Default::default()
            }.insert(&db).await.unwrap();
            products.push((row.id, variant.id));
        }
        let mut carts = Vec::new();
        for i in 0..300 {
            let owner = customer::ActiveModel {
                email: Set(format!("k{i}@example.com")), name: Set("K".into()),
                created_at: Set(now), updated_at: Set(now), ..Default::default()
            }.insert(&db).await.unwrap();
            let row = cart::ActiveModel {
                customer_id: Set(Some(owner.id)), created_at: Set(now), updated_at: Set(now), ..Default::default()
            }.insert(&db).await.unwrap();
            for (j, (_, variant)) in products.iter().enumerate() {
                cart_line::ActiveModel { cart_id: Set(row.id), variant_id: Set(*variant), quantity: Set(1 + ((i + j) % 3) as i32) }
                    .insert(&db).await.unwrap();
            }
            carts.push(row.id);
        }

        let dir = tempfile::tempdir().unwrap();
        let (mut server, url) = crate::binary::start(dir.path(), &["--database-url", &app.database_url, "--log", "error"]).await;
        let http = crate::support::client(Some(crate::support::ADMIN_TOKEN));
        let requests: Vec<_> = carts.iter().map(|cart| {
            let request = http.post(format!("{url}/graphql")).json(&json!({
                "query": CHECKOUT,
                "variables": { "cart": global_id("Cart", *cart) },
            }));
            tokio::spawn(async move { request.send().await.ok() })
        }).collect();
        // Kill it once some checkouts have committed, while others run.
        let checked_out = || async {
            cart::Entity::find().filter(cart::Column::CheckedOutAt.is_not_null()).all(&db).await.unwrap().len()
        };
        let started = std::time::Instant::now();
        while checked_out().await < 20 && started.elapsed() < std::time::Duration::from_secs(30) {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        server.start_kill().expect("SIGKILL is sent");
        server.wait().await.unwrap();
        for request in requests {
            let _ = request.await;
        }

        let closed: Vec<i64> = cart::Entity::find()
            .filter(cart::Column::CheckedOutAt.is_not_null())
            .all(&db).await.unwrap().into_iter().map(|cart| cart.id).collect();
        eprintln!("{:?}: {} of 300 carts were checked out when the server was killed", app.engine, closed.len());
        assert!(!closed.is_empty() && closed.len() < 300, "killed mid-run: {} checked out", closed.len());
        let lines = cart_line::Entity::find()
            .filter(cart_line::Column::CartId.is_in(closed.iter().copied()))
            .all(&db).await.unwrap();
        for (product, variant) in &products {
            let sold: i64 = lines.iter().filter(|l| l.variant_id == *variant).map(|l| i64::from(l.quantity)).sum();
            let left = product_variant::Entity::find_by_id(*variant).one(&db).await.unwrap().unwrap().stock;
            assert_eq!(i64::from(initial - left), sold, "variant stock taken = units in checked-out carts");
            let total = product::Entity::find_by_id(*product).one(&db).await.unwrap().unwrap().stock;
            assert_eq!(i64::from(initial) - total, sold, "the product's total moved with it");
        }
        db.close().await.ok();
    }
}

/// A product deleted while a checkout waits on its row is a missing
/// product, not a stock problem. (PostgreSQL: the checkout waits on the
/// row lock while the delete commits; SQLite serialises whole writes, so
/// the race cannot happen there.)
#[tokio::test]
async fn a_checkout_racing_a_product_delete_answers_not_found() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn(Engine::Postgres).await;
    let product = app.create_product("Vanishing", "2.00", 5).await;
    let customer = app.create_customer("race@example.com", "Race").await;
    let cart = app.create_cart(&customer, &[(&product, 1)]).await;
    let db = app.db().await;
    let holder = db.begin().await.unwrap();
    holder
        .execute_unprepared("SELECT id FROM product_variant ORDER BY id FOR UPDATE")
        .await
        .unwrap();
    let checkout = {
        let (http, url) = (app.http.clone(), app.url("/graphql"));
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({ "query": "mutation($cart: ID!) { checkout(cartId: $cart) { userErrors { field code } } }", "variables": { "cart": cart } }))
                .send().await.unwrap().json::<Value>().await.unwrap()
        })
    };
    // Wait until the checkout is blocked on the row lock.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                // This database's sessions only: the suite's other tests
                // share the cluster, and their waits are not this one.
                "SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .unwrap()
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if waiting > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the checkout never waited"
        );
        tokio::task::yield_now().await;
    }
    holder
        .execute_unprepared("DELETE FROM product")
        .await
        .unwrap();
    holder.commit().await.unwrap();
    let response = checkout.await.unwrap();
    assert_eq!(
        response["data"]["checkout"]["userErrors"],
        json!([{ "field": ["cartId"], "code": "NOT_FOUND" }]),
        "{response:#}"
    );
}

engine_tests! {
    /// Checkout costs the same statements for 1 line and for 50: stock is
    /// taken from every variant in one statement and from every product in
    /// another (at most 12 on PostgreSQL, locks included).
    async fn checkout_runs_constant_statements_whatever_its_lines(app) {
        let mut products = Vec::new();
        for i in 0..50 {
            products.push(app.create_product(&format!("Item {i}"), "1.00", 5).await);
        }
        let customer = app.create_customer("many-lines@example.com", "Many").await;
        let checkout = "mutation($cart: ID!) { checkout(cartId: $cart) { order { totalQuantity } userErrors { code } } }";
        let mut counts = Vec::new();
        for size in [1, 2, 50] {
            let lines: Vec<(&str, i32)> = products[..size].iter().map(|id| (id.as_str(), 1)).collect();
            let cart = app.create_cart(&customer, &lines).await;
            let before = app.statements();
            let placed = app.ok(checkout, json!({ "cart": cart })).await;
            assert_eq!(placed["checkout"]["order"]["totalQuantity"], size, "{placed:#}");
            counts.push(app.statements() - before);
        }
        eprintln!("{:?}: checkout ran {counts:?} statements for 1, 2 and 50 lines", app.engine);
        assert_eq!(counts[1], counts[2], "the statement count must not grow with the lines");
        assert!(counts[2] <= 12, "at most 12 statements, got {}", counts[2]);
        // The first product was in all three carts, the second in two.
        assert_eq!(app.count_rows("product_variant WHERE stock = 4").await, 48, "one unit of each line taken");
        assert_eq!(app.count_rows("product_variant WHERE stock = 3").await, 1);
        assert_eq!(app.count_rows("product_variant WHERE stock = 2").await, 1);
        assert_eq!(app.count_rows("product WHERE stock = 2").await, 1, "the products' totals moved with them");
    }
}
