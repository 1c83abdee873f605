//! Filters and orderings of the lists, checked against expectations
//! computed here from the rows as stored, and the errors for bad filters.

use std::collections::HashSet;

use chrono::{Duration, TimeZone, Utc};
use entity::{cart, cart_line, customer, product, product_variant};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{Value, json};

use crate::support::engine_tests;
use crate::support::global_id;

fn money(minor: i64) -> Value {
    json!(format!("{}.{:02}", minor / 100, minor % 100))
}

/// Names with mixed case and LIKE's special characters, which must match
/// themselves.
const WORDS: &[&str] = &[
    "Red", "red", "BLUE", "Mug", "mug", "50%", "a_b", "x\\y", "Tea",
];

async fn seed_products(db: &DatabaseConnection, rng: &mut fastrand::Rng) -> Vec<product::Model> {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut rows = Vec::new();
    for i in 0..40 {
        let name = format!(
            "{} {}",
            rng.choice(WORDS).unwrap(),
            rng.choice(WORDS).unwrap()
        );
        let created_at = base + Duration::seconds(rng.i64(0..10));
        let row = product::ActiveModel {
            handle: Set(format!("row-{i}")),
            name: Set(name),
            description: Set(None),
            price: Set(rng.i64(0..=20) * 25 + i64::from(i % 2)),
            stock: Set(rng.i64(0..3)),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("a product is stored");
        rows.push(row);
    }
    rows
}

const PRODUCTS: &str = "query($filter: ProductFilter, $orderBy: ProductOrder) {
  products(filter: $filter, orderBy: $orderBy, first: 100) {
    totalCount
    nodes { id }
    aggregate { count price { min { amount } max { amount } avg { amount } } }
  }
}";

/// Filters, each with the rows it must keep.
type Cases<M> = Vec<(Value, Box<dyn Fn(&M) -> bool>)>;

/// The order the test expects for one `orderBy`.
type ProductOrdering = fn(&product::Model, &product::Model) -> std::cmp::Ordering;

engine_tests! {
    async fn product_filters_and_orderings_match_the_rows(app) {
        let mut rng = fastrand::Rng::with_seed(7);
        let db = app.db().await;
        let rows = seed_products(&db, &mut rng).await;
        let some_ids: Vec<i64> = rows.iter().map(|r| r.id).filter(|id| id % 3 == 0).collect();
        let cases: Cases<product::Model> = vec![
            (json!(null), Box::new(|_| true)),
            (json!({ "nameContains": "RED" }), Box::new(|p| p.name.to_lowercase().contains("red"))),
            (json!({ "nameContains": "%" }), Box::new(|p| p.name.contains('%'))),
            (json!({ "nameContains": "_" }), Box::new(|p| p.name.contains('_'))),
            (json!({ "nameContains": "\\" }), Box::new(|p| p.name.contains('\\'))),
            (json!({ "nameContains": "" }), Box::new(|_| true)),
            (json!({ "minPrice": "1.00", "maxPrice": "3.01" }), Box::new(|p| (100..=301).contains(&p.price))),
            (json!({ "inStock": true }), Box::new(|p| p.stock > 0)),
            (json!({ "inStock": false }), Box::new(|p| p.stock == 0)),
            (
                json!({ "ids": some_ids.iter().map(|id| global_id("Product", *id)).collect::<Vec<_>>() }),
                Box::new(move |p| p.id % 3 == 0),
            ),
            (
                json!({ "or": [{ "nameContains": "mug" }, { "minPrice": "4.50" }] }),
                Box::new(|p| p.name.to_lowercase().contains("mug") || p.price >= 450),
            ),
            (json!({ "not": { "inStock": true } }), Box::new(|p| p.stock <= 0)),
            (json!({ "or": [] }), Box::new(|_| false)),
            (json!({ "ids": [] }), Box::new(|_| false)),
            (json!({ "not": { "ids": [] } }), Box::new(|_| true)),
            (
                json!({
                    "inStock": true,
                    "and": [{ "not": { "nameContains": "red" } }, { "or": [{ "maxPrice": "2.00" }, { "nameContains": "tea" }] }],
                }),
                Box::new(|p| {
                    let name = p.name.to_lowercase();
                    p.stock > 0 && !name.contains("red") && (p.price <= 200 || name.contains("tea"))
                }),
            ),
        ];
        let orders: [(Value, ProductOrdering); 4] = [
            (json!(null), |a, b| a.id.cmp(&b.id)),
            (json!({ "field": "PRICE", "direction": "DESC" }), |a, b| b.price.cmp(&a.price).then(b.id.cmp(&a.id))),
            (json!({ "field": "NAME" }), |a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
            (json!({ "field": "STOCK", "direction": "ASC" }), |a, b| a.stock.cmp(&b.stock).then(a.id.cmp(&b.id))),
        ];
        for (filter, matches) in &cases {
            let mut expected: Vec<&product::Model> = rows.iter().filter(|p| matches(p)).collect();
            for (order, compare) in &orders {
                expected.sort_by(|a, b| compare(a, b));
                let data = app.ok(PRODUCTS, json!({ "filter": filter, "orderBy": order })).await;
                let list = &data["products"];
                let ids: Vec<Value> = expected.iter().map(|p| json!(global_id("Product", p.id))).collect();
                let got: Vec<Value> = list["nodes"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
                assert_eq!(got, ids, "filter {filter}, order {order}");
                assert_eq!(list["totalCount"], expected.len(), "filter {filter}");
                let prices: Vec<i64> = expected.iter().map(|p| p.price).collect();
                let aggregate = &list["aggregate"];
                assert_eq!(aggregate["count"], expected.len(), "filter {filter}");
                if prices.is_empty() {
                    assert_eq!(aggregate["price"], json!({ "min": null, "max": null, "avg": null }));
                } else {
                    let sum: i64 = prices.iter().sum();
                    // Half away from zero, like the server; prices are positive.
                    let avg = (2 * sum + prices.len() as i64) / (2 * prices.len() as i64);
                    assert_eq!(aggregate["price"]["min"]["amount"], money(*prices.iter().min().unwrap()), "filter {filter}");
                    assert_eq!(aggregate["price"]["max"]["amount"], money(*prices.iter().max().unwrap()), "filter {filter}");
                    assert_eq!(aggregate["price"]["avg"]["amount"], money(avg), "filter {filter}");
                }
            }
        }
    }

    async fn customer_filters_and_orderings_match_the_rows(app) {
        let db = app.db().await;
        let mut rng = fastrand::Rng::with_seed(11);
        let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut rows = Vec::new();
        for i in 0..30 {
            let name = format!("{} {}", rng.choice(WORDS).unwrap(), rng.choice(WORDS).unwrap());
            let created_at = base + Duration::seconds(rng.i64(0..5));
            let row = customer::ActiveModel {
                email: Set(format!("{}{i}@{}.example", rng.choice(["ada", "bob", "cy"]).unwrap(), rng.choice(["shop", "mail"]).unwrap())),
                name: Set(name),
                created_at: Set(created_at),
                updated_at: Set(created_at),
                ..Default::default()
            }
            .insert(&db)
            .await
            .expect("a customer is stored");
            rows.push(row);
        }
        let target = rows[7].email.clone();
        let shouted = target.to_uppercase();
        let cases: Cases<customer::Model> = vec![
            (json!({ "email": shouted }), Box::new(move |c| c.email == target)),
            (json!({ "emailContains": "@MAIL." }), Box::new(|c| c.email.contains("@mail."))),
            (json!({ "nameContains": "mug" }), Box::new(|c| c.name.to_lowercase().contains("mug"))),
            (
                json!({ "or": [{ "emailContains": "ada" }, { "nameContains": "blue" }], "not": { "nameContains": "tea" } }),
                Box::new(|c| {
                    let name = c.name.to_lowercase();
                    (c.email.contains("ada") || name.contains("blue")) && !name.contains("tea")
                }),
            ),
        ];
        let query = "query($filter: CustomerFilter, $orderBy: CustomerOrder) {
          customers(filter: $filter, orderBy: $orderBy, first: 100) { totalCount nodes { id } } }";
        for (filter, matches) in &cases {
            for (order, descending) in [(json!({ "field": "EMAIL", "direction": "DESC" }), true), (json!({ "field": "CREATED_AT" }), false)] {
                let mut expected: Vec<&customer::Model> = rows.iter().filter(|c| matches(c)).collect();
                if descending {
                    expected.sort_by(|a, b| b.email.cmp(&a.email).then(b.id.cmp(&a.id)));
                } else {
                    expected.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
                }
                let data = app.ok(query, json!({ "filter": filter, "orderBy": order })).await;
                let got: Vec<Value> = data["customers"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
                let ids: Vec<Value> = expected.iter().map(|c| json!(global_id("Customer", c.id))).collect();
                assert_eq!(got, ids, "filter {filter}, order {order}");
                assert_eq!(data["customers"]["totalCount"], expected.len());
            }
        }
    }

    async fn cart_filters_apply_to_carts_and_to_customer_carts(app) {
        let db = app.db().await;
        let mut rng = fastrand::Rng::with_seed(5);
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let product = product::ActiveModel {
            name: Set("Mug".into()), handle: Set("mug".into()), description: Set(None), price: Set(100), stock: Set(100),
            created_at: Set(now), updated_at: Set(now), ..Default::default()
        }.insert(&db).await.unwrap();
        let variant = product_variant::ActiveModel {
            product_id: Set(product.id), title: Set("Default Title".into()), price: Set(100), stock: Set(100),
            option_key: Set(String::new()), created_at: Set(now), updated_at: Set(now), ..Default::default()
        }.insert(&db).await.unwrap();
        let mut customers = Vec::new();
        for i in 0..4 {
            customers.push(customer::ActiveModel {
                email: Set(format!("c{i}@example.com")), name: Set("C".into()),
                created_at: Set(now), updated_at: Set(now), ..Default::default()
            }.insert(&db).await.unwrap());
        }
        // (cart, customer id, has lines)
        let mut carts = Vec::new();
        for _ in 0..20 {
            let owner = rng.choice(&customers).unwrap().id;
            let created_at = now + Duration::seconds(rng.i64(0..4));
            let row = cart::ActiveModel {
                customer_id: Set(Some(owner)), created_at: Set(created_at), updated_at: Set(created_at), ..Default::default()
            }.insert(&db).await.unwrap();
            let filled = rng.bool();
            if filled {
                cart_line::ActiveModel { cart_id: Set(row.id), variant_id: Set(variant.id), quantity: Set(1) }
                    .insert(&db).await.unwrap();
            }
            carts.push((row, filled));
        }
        let owners: Vec<i64> = customers[..2].iter().map(|c| c.id).collect();
        let data = app.ok(
            "query($filter: CartFilter) { carts(filter: $filter, first: 100) { totalCount nodes { id } } }",
            json!({ "filter": { "isEmpty": false, "customerIds": owners.iter().map(|id| global_id("Customer", *id)).collect::<Vec<_>>() } }),
        ).await;
        let expected: Vec<Value> = carts.iter()
            .filter(|(cart, filled)| *filled && cart.customer_id.is_some_and(|owner| owners.contains(&owner)))
            .map(|(cart, _)| json!({ "id": global_id("Cart", cart.id) }))
            .collect();
        assert_eq!(data["carts"]["nodes"].as_array().unwrap(), &expected);
        assert_eq!(data["carts"]["totalCount"], expected.len());

        // Each customer's own carts: newest first, empty ones only, counted.
        let data = app.ok(
            "{ customers(first: 10) { nodes { id carts(first: 3, filter: { isEmpty: true }, orderBy: { field: CREATED_AT, direction: DESC }) {
                totalCount nodes { id } pageInfo { hasNextPage } } } } }",
            json!({}),
        ).await;
        for (customer, node) in customers.iter().zip(data["customers"]["nodes"].as_array().unwrap()) {
            let mut own: Vec<&cart::Model> = carts.iter()
                .filter(|(cart, filled)| !filled && cart.customer_id == Some(customer.id))
                .map(|(cart, _)| cart)
                .collect();
            own.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let page: Vec<Value> = own.iter().take(3).map(|c| json!({ "id": global_id("Cart", c.id) })).collect();
            assert_eq!(node["carts"]["nodes"].as_array().unwrap(), &page, "customer {}", customer.id);
            assert_eq!(node["carts"]["totalCount"], own.len());
            assert_eq!(node["carts"]["pageInfo"]["hasNextPage"], own.len() > 3);
        }
    }

    async fn bad_filters_and_cursors_are_bad_user_input(app) {
        let product = app.create_product("Mug", "1.00", 1).await;
        let customer = app.create_customer("ada@example.com", "Ada").await;
        let mut nested = json!({ "inStock": true });
        for _ in 0..6 {
            nested = json!({ "not": nested });
        }
        let by_name = app.ok("{ products(orderBy: { field: NAME }) { pageInfo { endCursor } } }", json!({})).await;
        let name_cursor = by_name["products"]["pageInfo"]["endCursor"].clone();
        let query = "query($filter: ProductFilter, $orderBy: ProductOrder, $after: String) {
            products(filter: $filter, orderBy: $orderBy, after: $after) { nodes { id } } }";
        for (variables, message) in [
            (json!({ "filter": nested }), "5 deep"),
            (json!({ "filter": { "ids": [customer] } }), "ids"),
            (json!({ "filter": { "minPrice": "1.001" } }), "minPrice"),
            (json!({ "filter": { "nameContains": "x".repeat(201) } }), "nameContains"),
            (json!({ "orderBy": { "field": "PRICE" }, "after": name_cursor }), "another ordering"),
            (json!({ "orderBy": { "field": "NAME", "direction": "DESC" }, "after": name_cursor }), "another ordering"),
            (json!({ "after": "bm9wZQ==" }), "not a valid cursor"),
        ] {
            let (code, text) = app.top_level_error(query, variables.clone()).await;
            assert_eq!(code, "BAD_USER_INPUT", "{variables}");
            assert!(text.contains(message), "{variables}: {text}");
        }
        let too_many: Vec<String> = (0..101).map(|_| product.clone()).collect();
        let (code, _) = app.top_level_error("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": too_many })).await;
        assert_eq!(code, "BAD_USER_INPUT");
    }

    async fn nodes_load_each_type_with_one_statement(app) {
        let mut ids = Vec::new();
        for i in 0..3 {
            let product = app.create_product(&format!("p{i}"), "1.00", 5).await;
            let customer = app.create_customer(&format!("c{i}@example.com"), "C").await;
            let cart = app.create_cart(&customer, &[(&product, 1)]).await;
            ids.extend([product, customer, cart]);
        }
        ids.push(global_id("Product", 999_999));
        let before = app.statements();
        let data = app.ok(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": ids }),
        ).await;
        assert_eq!(app.statements() - before, 3, "one statement per type");
        let nodes = data["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), ids.len());
        for (node, id) in nodes.iter().zip(&ids).take(9) {
            assert_eq!(node["id"], json!(id), "in the order asked");
        }
        assert_eq!(nodes[9], Value::Null, "an unknown ID is null");
        let types: HashSet<&str> = nodes[..9].iter().map(|n| n["__typename"].as_str().unwrap()).collect();
        assert_eq!(types.len(), 3);
    }

    async fn a_filtered_page_with_its_count_and_aggregate_costs_two_statements(app) {
        for i in 0..5 {
            app.create_product(&format!("p{i}"), "2.00", i).await;
        }
        let before = app.statements();
        let data = app.ok(
            "{ products(filter: { inStock: true }, orderBy: { field: PRICE }, first: 2) {
                totalCount aggregate { count price { min { amount } avg { amount } } } nodes { name } } }",
            json!({}),
        ).await;
        assert_eq!(app.statements() - before, 2, "the page, then count and aggregate together");
        assert_eq!(data["products"]["totalCount"], 4);
        assert_eq!(data["products"]["aggregate"]["count"], 4);
        assert_eq!(data["products"]["aggregate"]["price"]["avg"]["amount"], "2.00");
    }
}
