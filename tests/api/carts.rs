use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

const ADD: &str = "mutation($cartId: ID!, $lines: [CartLineInput!]!) { addCartLines(cartId: $cartId, lines: $lines) { cart { id } userErrors { field message code } } }";
const UPDATE_LINE: &str = "mutation($cartId: ID!, $productId: ID!, $quantity: Int!) { updateCartLine(cartId: $cartId, productId: $productId, quantity: $quantity) { cart { id } userErrors { field message code } } }";
const REMOVE_LINE: &str = "mutation($cartId: ID!, $productId: ID!) { removeCartLine(cartId: $cartId, productId: $productId) { cart { id } userErrors { field code } } }";

/// `CartLineInput`s from (product ID, quantity) pairs.
pub fn lines(lines: &[(&str, i32)]) -> Value {
    json!(
        lines
            .iter()
            .map(|(id, q)| json!({ "productId": id, "quantity": q }))
            .collect::<Vec<_>>()
    )
}

/// The cart's lines as (product name, quantity).
async fn contents(app: &TestApp, cart: &str) -> Value {
    let data = app
        .ok(
            "query($id: ID!) { cart(id: $id) { lines { product { name } quantity } } }",
            json!({ "id": cart }),
        )
        .await;
    json!(
        data["cart"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|line| json!([line["product"]["name"], line["quantity"]]))
            .collect::<Vec<_>>()
    )
}

engine_tests! {
    async fn creates_a_cart_with_lines_and_totals(app) {
        let beans = app.create_product("Beans", "24.50", 40).await;
        let mug = app.create_product("Mug", "12.50", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let data = app
            .ok(
                "mutation($customerId: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customerId, lines: $lines) { cart { customer { email } lines { product { name } quantity cost { amount } } totalQuantity subtotal { amount currencyCode } } userErrors { code } } }",
                json!({ "customerId": ada, "lines": lines(&[(&beans, 2), (&mug, 1)]) }),
            )
            .await;
        assert_eq!(
            data["createCart"],
            json!({ "cart": {
                "customer": { "email": "ada@example.com" },
                "lines": [
                    { "product": { "name": "Beans" }, "quantity": 2, "cost": { "amount": "49.00" } },
                    { "product": { "name": "Mug" }, "quantity": 1, "cost": { "amount": "12.50" } }
                ],
                "totalQuantity": 3,
                "subtotal": { "amount": "61.50", "currencyCode": "USD" }
            }, "userErrors": [] })
        );
    }

    async fn a_cart_can_start_empty(app) {
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let empty = "mutation($c: ID!, $lines: [CartLineInput!]) { createCart(customerId: $c, lines: $lines) { cart { lines { quantity } totalQuantity subtotal { amount } } userErrors { code } } }";
        for lines in [json!([]), json!(null)] {
            let data = app.ok(empty, json!({ "c": ada, "lines": lines })).await;
            assert_eq!(
                data["createCart"],
                json!({ "cart": { "lines": [], "totalQuantity": 0, "subtotal": { "amount": "0.00" } }, "userErrors": [] })
            );
        }
        let data = app.ok("mutation($c: ID!) { createCart(customerId: $c) { cart { totalQuantity } } }", json!({ "c": ada })).await;
        assert_eq!(data["createCart"]["cart"]["totalQuantity"], 0, "lines may be left out");
        assert_eq!(app.count_rows("cart").await, 3);
    }

    async fn create_cart_for_an_unknown_customer_or_product_creates_nothing(app) {
        let product = app.create_product("P", "1.00", 5).await;
        let ghost = app.create_customer("ghost@example.com", "Ghost").await;
        app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }", json!({ "id": ghost })).await;
        let query = "mutation($customerId: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customerId, lines: $lines) { cart { id } userErrors { field code } } }";
        let data = app.ok(query, json!({ "customerId": ghost, "lines": lines(&[(&product, 1)]) })).await;
        assert_eq!(data["createCart"], json!({ "cart": null, "userErrors": [{ "field": ["customerId"], "code": "NOT_FOUND" }] }));

        let ada = app.create_customer("ada@example.com", "Ada").await;
        let gone = app.create_product("Gone", "1.00", 5).await;
        app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": gone })).await;
        let data = app.ok(query, json!({ "customerId": ada, "lines": lines(&[(&product, 1), (&gone, 1)]) })).await;
        assert_eq!(data["createCart"], json!({ "cart": null, "userErrors": [{ "field": ["lines", "1", "productId"], "code": "NOT_FOUND" }] }));
        assert_eq!(app.count_rows("cart").await, 0, "the cart was rolled back with its lines");
        assert_eq!(app.count_rows("cart_line").await, 0);
    }

    async fn adding_an_existing_product_increases_its_quantity(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let pot = app.create_product("Pot", "30.00", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[(&mug, 1)]).await;
        let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 2), (&pot, 1), (&mug, 3)]) })).await;
        assert_eq!(data["addCartLines"]["userErrors"], json!([]));
        assert_eq!(contents(&app, &cart).await, json!([["Mug", 6], ["Pot", 1]]));
    }

    async fn quantity_above_stock_is_refused_and_changes_nothing(app) {
        let grinder = app.create_product("Grinder", "89.00", 5).await;
        let mug = app.create_product("Mug", "12.50", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[(&grinder, 4)]).await;
        let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 1), (&grinder, 2)]) })).await;
        let errors = &data["addCartLines"]["userErrors"];
        assert_eq!(data["addCartLines"]["cart"], json!(null));
        assert_eq!(errors.as_array().unwrap().len(), 1);
        assert_eq!(errors[0]["code"], "INSUFFICIENT_STOCK");
        assert_eq!(errors[0]["field"], json!(["lines", "1", "quantity"]));
        assert_eq!(errors[0]["message"], "Only 5 of \u{201c}Grinder\u{201d} in stock; the line needs 6", "the wording checkout uses too");
        assert_eq!(contents(&app, &cart).await, json!([["Grinder", 4]]), "the mug was not added either");

        let data = app.ok(UPDATE_LINE, json!({ "cartId": cart, "productId": grinder, "quantity": 6 })).await;
        assert_eq!(data["updateCartLine"]["userErrors"][0]["code"], "INSUFFICIENT_STOCK");
        assert_eq!(data["updateCartLine"]["userErrors"][0]["field"], json!(["quantity"]));
        assert_eq!(contents(&app, &cart).await, json!([["Grinder", 4]]));
    }

    async fn invalid_quantities_and_too_many_lines_are_refused(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[]).await;
        let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 1), (&mug, 0), (&mug, -2)]) })).await;
        let fields: Vec<_> = data["addCartLines"]["userErrors"].as_array().unwrap().iter().map(|e| (e["field"].clone(), e["code"].clone())).collect();
        assert_eq!(fields, vec![(json!(["lines", "1", "quantity"]), json!("INVALID")), (json!(["lines", "2", "quantity"]), json!("INVALID"))]);

        let many: Vec<(&str, i32)> = (0..251).map(|_| (mug.as_str(), 1)).collect();
        let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines(&many) })).await;
        assert_eq!(data["addCartLines"]["userErrors"][0]["code"], "TOO_MANY");
        assert_eq!(data["addCartLines"]["userErrors"][0]["field"], json!(["lines"]));

        let data = app.ok(UPDATE_LINE, json!({ "cartId": cart, "productId": mug, "quantity": -1 })).await;
        assert_eq!(data["updateCartLine"]["userErrors"][0]["code"], "INVALID");
        assert_eq!(contents(&app, &cart).await, json!([]));
    }

    async fn adding_to_an_unknown_cart_is_not_found(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[]).await;
        let data = app.ok("mutation($id: ID!) { deleteCart(id: $id) { deletedId userErrors { code } } }", json!({ "id": cart })).await;
        assert_eq!(data["deleteCart"], json!({ "deletedId": cart, "userErrors": [] }));
        let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 1)]) })).await;
        assert_eq!(data["addCartLines"]["userErrors"][0]["field"], json!(["cartId"]));
        assert_eq!(data["addCartLines"]["userErrors"][0]["code"], "NOT_FOUND");
        let data = app.ok("mutation($id: ID!) { deleteCart(id: $id) { deletedId userErrors { field code } } }", json!({ "id": cart })).await;
        assert_eq!(data["deleteCart"], json!({ "deletedId": null, "userErrors": [{ "field": ["id"], "code": "NOT_FOUND" }] }));
        assert_eq!(app.count_rows("cart_line").await, 0);
    }

    async fn update_cart_line_sets_the_quantity_and_zero_removes_it(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let pot = app.create_product("Pot", "30.00", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[(&mug, 1), (&pot, 1)]).await;
        let data = app.ok(UPDATE_LINE, json!({ "cartId": cart, "productId": mug, "quantity": 7 })).await;
        assert_eq!(data["updateCartLine"]["userErrors"], json!([]));
        assert_eq!(contents(&app, &cart).await, json!([["Mug", 7], ["Pot", 1]]));
        app.ok(UPDATE_LINE, json!({ "cartId": cart, "productId": mug, "quantity": 0 })).await;
        assert_eq!(contents(&app, &cart).await, json!([["Pot", 1]]));
        let data = app.ok(UPDATE_LINE, json!({ "cartId": cart, "productId": mug, "quantity": 2 })).await;
        assert_eq!(data["updateCartLine"]["userErrors"][0]["code"], "NOT_FOUND", "only existing lines can be updated");
        assert_eq!(data["updateCartLine"]["userErrors"][0]["field"], json!(["productId"]));
    }

    async fn remove_cart_line_removes_only_that_line(app) {
        let mug = app.create_product("Mug", "12.50", 100).await;
        let pot = app.create_product("Pot", "30.00", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[(&mug, 1), (&pot, 2)]).await;
        let data = app.ok(REMOVE_LINE, json!({ "cartId": cart, "productId": mug })).await;
        assert_eq!(data["removeCartLine"], json!({ "cart": { "id": cart }, "userErrors": [] }));
        assert_eq!(contents(&app, &cart).await, json!([["Pot", 2]]));
        let data = app.ok(REMOVE_LINE, json!({ "cartId": cart, "productId": mug })).await;
        assert_eq!(data["removeCartLine"], json!({ "cart": null, "userErrors": [{ "field": ["productId"], "code": "NOT_FOUND" }] }));
    }

    async fn concurrent_additions_to_one_cart_are_all_counted(app) {
        let mug = app.create_product("Mug", "12.50", 10_000).await;
        let pot = app.create_product("Pot", "30.00", 10_000).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[]).await;
        let writers = 24;
        // Alternate the product order so multi-line additions overlap in both orders.
        let requests = (0..writers)
            .map(|i| {
                let order = if i % 2 == 0 { [(&mug, 1), (&pot, 2)] } else { [(&pot, 2), (&mug, 1)] };
                let order: Vec<(&str, i32)> = order.iter().map(|(id, q)| (id.as_str(), *q)).collect();
                (ADD, json!({ "cartId": cart, "lines": lines(&order) }))
            })
            .collect();
        for response in app.post_concurrently(requests).await {
            assert!(response.get("errors").is_none(), "{response:#}");
            assert_eq!(response["data"]["addCartLines"]["userErrors"], json!([]), "{response:#}");
        }
        assert_eq!(contents(&app, &cart).await, json!([["Mug", writers], ["Pot", 2 * writers]]));
    }

    async fn concurrent_additions_never_exceed_stock(app) {
        let scarce = app.create_product("Scarce", "5.00", 10).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[]).await;
        let requests = (0..20)
            .map(|_| (ADD, json!({ "cartId": cart, "lines": lines(&[(&scarce, 1)]) })))
            .collect();
        let mut added = 0;
        for response in app.post_concurrently(requests).await {
            let errors = &response["data"]["addCartLines"]["userErrors"];
            match errors.as_array().map(Vec::len) {
                Some(0) => added += 1,
                _ => assert_eq!(errors[0]["code"], "INSUFFICIENT_STOCK", "{response:#}"),
            }
        }
        assert_eq!(added, 10);
        assert_eq!(contents(&app, &cart).await, json!([["Scarce", 10]]));
    }

    async fn mixed_concurrent_changes_to_one_cart_all_succeed(app) {
        let mug = app.create_product("Mug", "12.50", 10_000).await;
        let pot = app.create_product("Pot", "30.00", 10_000).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&ada, &[(&mug, 1), (&pot, 1)]).await;
        let requests = (0..30)
            .map(|i| match i % 3 {
                0 => (ADD, json!({ "cartId": cart, "lines": lines(&[(&mug, 1)]) })),
                1 => (UPDATE_LINE, json!({ "cartId": cart, "productId": pot, "quantity": i })),
                _ => (ADD, json!({ "cartId": cart, "lines": lines(&[(&pot, 1), (&mug, 1)]) })),
            })
            .collect();
        for response in app.post_concurrently(requests).await {
            assert!(response.get("errors").is_none(), "{response:#}");
            let payload = response["data"].as_object().unwrap().values().next().unwrap();
            assert_eq!(payload["userErrors"], json!([]), "{response:#}");
        }
        let mug_quantity = contents(&app, &cart).await[0][1].clone();
        assert_eq!(mug_quantity, json!(1 + 10 + 10), "every addition of the mug counted");
    }

    async fn carts_list_is_paginated(app) {
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(app.create_cart(&ada, &[]).await);
        }
        let data = app.ok("{ carts(first: 2) { totalCount nodes { id } pageInfo { hasNextPage } } }", json!({})).await;
        assert_eq!(data["carts"], json!({ "totalCount": 3, "nodes": [{ "id": ids[0] }, { "id": ids[1] }], "pageInfo": { "hasNextPage": true } }));
    }
}

/// The nested carts query, with every relation a cart has.
const NESTED_CARTS: &str = "{ carts(first: 100) { totalCount nodes {
    id totalQuantity subtotal { amount }
    customer {
      email
      carts(first: 5) { totalCount nodes { id } }
      recent: carts(first: 2, filter: { isEmpty: false }, orderBy: { field: CREATED_AT, direction: DESC }) {
        totalCount nodes { id }
      }
    }
    lines { quantity cost { amount } variant { title price { amount } } product { name } }
} } }";

/// Creates `count` carts over a few customers, each with three lines.
async fn fill_carts(app: &TestApp, customers: &[String], products: &[String], count: usize) {
    for i in 0..count {
        let lines: Vec<(&str, i32)> = (0..3)
            .map(|j| (products[(i + j) % products.len()].as_str(), 1 + j as i32))
            .collect();
        app.create_cart(&customers[i % customers.len()], &lines)
            .await;
    }
}

engine_tests! {
    async fn nested_carts_cost_the_same_statements_for_5_and_50_carts(app) {
        let mut products = Vec::new();
        for i in 0..20 {
            products.push(app.create_product(&format!("product {i}"), "1.25", 1_000).await);
        }
        let mut customers = Vec::new();
        for i in 0..10 {
            customers.push(app.create_customer(&format!("c{i}@example.com"), "C").await);
        }
        let measure = || async {
            let before = app.statements();
            let data = app.ok(NESTED_CARTS, json!({})).await;
            (app.statements() - before, data["carts"]["nodes"].as_array().unwrap().len())
        };
        fill_carts(&app, &customers, &products, 5).await;
        let (at_5, carts) = measure().await;
        assert_eq!(carts, 5);
        fill_carts(&app, &customers, &products, 45).await;
        let (at_50, carts) = measure().await;
        assert_eq!(carts, 50);
        eprintln!("{:?}: nested carts query ran {at_5} statements for 5 carts, {at_50} for 50", app.engine);
        assert_eq!(at_5, at_50, "the statement count must not grow with the number of carts");
        // Carts, their count, customers, their carts' pages and counts,
        // lines, their variants and the variants' products.
        assert!(at_50 <= 10, "a small constant number of statements, got {at_50}");
    }
}

engine_tests! {
    /// Adding lines is a few statements however many lines are added (it
    /// was one upsert per product).
    async fn adding_lines_costs_the_same_statements_for_1_and_10_products(app) {
        let mut products = Vec::new();
        for i in 0..11 {
            products.push(app.create_product(&format!("product {i}"), "1.25", 1_000).await);
        }
        let customer = app.create_customer("few@example.com", "Few").await;
        let cart = app.create_cart(&customer, &[]).await;
        let app = &app;
        let add = |lines: Value| {
            let cart = cart.clone();
            async move {
                let before = app.statements();
                let data = app.ok(ADD, json!({ "cartId": cart, "lines": lines })).await;
                assert_eq!(data["addCartLines"]["userErrors"], json!([]), "{data:#}");
                app.statements() - before
            }
        };
        let one = add(json!([{ "productId": products[0], "quantity": 1 }])).await;
        let ten = add(json!(products[1..]
            .iter()
            .map(|id| json!({ "productId": id, "quantity": 2 }))
            .collect::<Vec<_>>()))
        .await;
        eprintln!("{:?}: addCartLines ran {one} statements for 1 product, {ten} for 10", app.engine);
        assert_eq!(one, ten, "the statement count must not grow with the lines");
        // Besides BEGIN and COMMIT: touching the cart (which counts its
        // lines), reading the products, one upsert of every line.
        // (PostgreSQL's NOTIFY is sent after the commit, by the announcer,
        // outside the request.)
        let most = 3;
        assert!(one <= most, "{one} statements, at most {most} expected");
    }
}
