use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
  products(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

async fn names(app: &TestApp, variables: Value) -> (Vec<String>, Value) {
    let data = app.ok(PAGE, variables).await;
    let connection = &data["products"];
    let names = connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    (names, connection.clone())
}

async fn seed(app: &TestApp, count: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..count {
        let name = format!("product {i:02}");
        app.create_product(&name, "1.00", 1).await;
        names.push(name);
    }
    names
}

engine_tests! {
    async fn an_empty_list_is_an_empty_page(app) {
        let (names, connection) = names(&app, json!({})).await;
        assert!(names.is_empty());
        assert_eq!(connection["totalCount"], 0);
        assert_eq!(
            connection["pageInfo"],
            json!({ "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null })
        );
    }

    async fn walking_forward_visits_every_item_once(app) {
        let all = seed(&app, 25).await;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let (page, connection) = names(&app, json!({ "first": 10, "after": after })).await;
            pages += 1;
            assert_eq!(connection["totalCount"], 25);
            assert_eq!(connection["pageInfo"]["hasPreviousPage"], pages > 1);
            seen.extend(page);
            if connection["pageInfo"]["hasNextPage"] == false {
                assert_eq!(connection["edges"].as_array().unwrap().len(), 5, "the last page holds the rest");
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, all);
    }

    async fn walking_backward_visits_every_item_once(app) {
        let all = seed(&app, 12).await;
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut before = Value::Null;
        loop {
            let (page, connection) = names(&app, json!({ "last": 5, "before": before })).await;
            pages.push(page);
            if connection["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = connection["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(pages[0], all[7..].to_vec(), "the last page comes first, in ascending order");
        let seen: Vec<String> = pages.into_iter().rev().flatten().collect();
        assert_eq!(seen, all);
    }

    async fn the_default_page_is_20_and_cursors_survive_inserts(app) {
        let all = seed(&app, 22).await;
        let (first_page, connection) = names(&app, json!({})).await;
        assert_eq!(first_page, all[..20].to_vec());
        let after = connection["pageInfo"]["endCursor"].clone();
        app.create_product("inserted later", "1.00", 1).await;
        let (rest, connection) = names(&app, json!({ "after": after })).await;
        assert_eq!(rest, vec!["product 20", "product 21", "inserted later"]);
        assert_eq!(connection["pageInfo"]["hasNextPage"], false);
    }

    async fn bad_page_arguments_are_bad_user_input(app) {
        seed(&app, 1).await;
        for variables in [
            json!({ "first": 101 }),
            json!({ "first": -1 }),
            json!({ "last": 101 }),
            json!({ "first": 1, "last": 1 }),
            json!({ "after": "not a cursor" }),
            json!({ "before": "bm9wZQ==" }),
        ] {
            let (code, message) = app.top_level_error(PAGE, variables.clone()).await;
            assert_eq!(code, "BAD_USER_INPUT", "{variables}: {message}");
        }
        // A cursor of the NAME ordering whose name holds a NUL: no stored
        // name can, and PostgreSQL refuses one as a parameter.
        let by_name = "query($after: String) { products(first: 1, after: $after, orderBy: { field: NAME }) { edges { cursor } } }";
        let cursor = app.ok(by_name, json!({})).await["products"]["edges"][0]["cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut parts: Vec<Value> = serde_json::from_slice(&engine.decode(cursor).unwrap()).unwrap();
        parts[1] = json!("a\u{0}b");
        let forged = engine.encode(Value::Array(parts).to_string());
        let (code, message) = app.top_level_error(by_name, json!({ "after": forged })).await;
        assert_eq!(code, "BAD_USER_INPUT", "a NUL in a cursor: {message}");
        let (page, _) = names(&app, json!({ "first": 100 })).await;
        assert_eq!(page.len(), 1, "100 is allowed");
        let (page, connection) = names(&app, json!({ "first": 0 })).await;
        assert!(page.is_empty());
        assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    }

    async fn customer_carts_paginate_per_customer(app) {
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let bob = app.create_customer("bob@example.com", "Bob").await;
        let mut ada_carts = Vec::new();
        for i in 0..5 {
            ada_carts.push(app.create_cart(&ada, &[]).await);
            if i < 3 {
                app.create_cart(&bob, &[]).await;
            }
        }
        let query = "query($after: String) { customers { nodes { email carts(first: 2, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }";
        let data = app.ok(query, json!({})).await;
        let customers = data["customers"]["nodes"].as_array().unwrap();
        assert_eq!(customers[0]["carts"]["totalCount"], 5);
        assert_eq!(customers[1]["carts"]["totalCount"], 3);
        assert_eq!(customers[0]["carts"]["nodes"], json!([{ "id": ada_carts[0] }, { "id": ada_carts[1] }]));
        assert_eq!(customers[1]["carts"]["nodes"].as_array().unwrap().len(), 2);
        let after = customers[0]["carts"]["pageInfo"]["endCursor"].clone();
        let data = app.ok("query($id: ID!, $after: String) { customer(id: $id) { carts(first: 10, after: $after) { nodes { id } pageInfo { hasNextPage } } } }", json!({ "id": ada, "after": after })).await;
        assert_eq!(
            data["customer"]["carts"],
            json!({ "nodes": [{ "id": ada_carts[2] }, { "id": ada_carts[3] }, { "id": ada_carts[4] }], "pageInfo": { "hasNextPage": false } })
        );
        let data = app.ok("query($id: ID!) { customer(id: $id) { carts(last: 2) { nodes { id } pageInfo { hasPreviousPage } } } }", json!({ "id": ada })).await;
        assert_eq!(data["customer"]["carts"], json!({ "nodes": [{ "id": ada_carts[3] }, { "id": ada_carts[4] }], "pageInfo": { "hasPreviousPage": true } }));
    }
}
