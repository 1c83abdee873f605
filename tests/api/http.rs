//! The HTTP surface: routes, methods, media types, and errors that never leak.
//! Engine-independent, so these run on SQLite only, except where noted.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Engine, TestApp, engine_tests};

#[tokio::test]
async fn graphiql_is_served_at_the_root() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("graphiql") && page.contains("/graphql"),
        "{page}"
    );
}

#[tokio::test]
async fn queries_run_over_get() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.create_product("Mug", "12.50", 1).await;
    let response = app
        .http
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query($n: Int) { products(first: $n) { nodes { name } } }",
            ),
            ("variables", r#"{"n": 1}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["products"]["nodes"],
        json!([{ "name": "Mug" }])
    );
}

#[tokio::test]
async fn mutations_over_get_are_refused_and_run_nothing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for (query, operation_name) in [
        (
            r#"mutation { createCustomer(input: { email: "get@example.com", name: "Get" }) { customer { id } } }"#,
            None,
        ),
        (
            r#"query Q { products { totalCount } } mutation M { createCustomer(input: { email: "get@example.com", name: "Get" }) { customer { id } } }"#,
            Some("M"),
        ),
    ] {
        let mut params = vec![("query", query)];
        if let Some(name) = operation_name {
            params.push(("operationName", name));
        }
        let response = app
            .http
            .get(app.url("/graphql"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "POST");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
    assert_eq!(app.count_rows("customer").await, 0);
}

#[tokio::test]
async fn posts_must_be_json() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mutation = r#"{"query":"mutation { createCustomer(input: { email: \"csrf@example.com\", name: \"X\" }) { customer { id } } }"}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = app.http.post(app.url("/graphql")).body(mutation);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    assert_eq!(app.count_rows("customer").await, 0);
}

#[tokio::test]
async fn unparseable_bodies_are_bad_requests() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for body in ["{", "[1, 2]", r#"{"variables": {}}"#] {
        let response = app
            .http
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let padding = " ".repeat(2 * 1024 * 1024);
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"query": "{{ products {{ totalCount }} }}"{padding}}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn parse_and_validation_errors_have_codes() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (code, _) = app.top_level_error("{ products { ", json!({})).await;
    assert_eq!(code, "GRAPHQL_PARSE_FAILED");
    let (code, _) = app
        .top_level_error("{ products { nope } }", json!({}))
        .await;
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
    let (code, _) = app
        .top_level_error(
            "query($n: Int) { products(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        )
        .await;
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
}

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let send = |accept: &'static str, query: &'static str| {
        app.http
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let response = send("application/json", "{ products { totalCount } }")
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let response = send(
        "application/graphql-response+json",
        "{ products { totalCount } }",
    )
    .await
    .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/graphql-response+json"
    );
    assert_eq!(response.status(), 200);
    let response = send("application/graphql-response+json", "{ nope }")
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a request error is a 4xx with the GraphQL media type"
    );
}

#[tokio::test]
async fn batches_run_every_operation() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let response: Value = app
        .http
        .post(app.url("/graphql"))
        .json(&json!([{ "query": "{ products { totalCount } }" }, { "query": "{ customers { totalCount } }" }]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        response,
        json!([{ "data": { "products": { "totalCount": 0 } } }, { "data": { "customers": { "totalCount": 0 } } }])
    );
}

engine_tests! {
    async fn health_reports_the_database(app) {
        let response = app.http.get(app.url("/health")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": "ok", "database": "up", "requests": { "running": 0, "waiting": 0 }, "subscriptions": 0 }));
    }

    async fn internal_errors_never_show_their_cause(app) {
        let product = app.create_product("Mug", "12.50", 5).await;
        let customer = app.create_customer("ada@example.com", "Ada").await;
        let cart = app.create_cart(&customer, &[(&product, 1)]).await;
        // Break the database under the running server.
        let db = app.db().await;
        sea_orm::ConnectionTrait::execute_unprepared(&db, "DROP TABLE cart_line").await.unwrap();
        let response = app.post("query($id: ID!) { cart(id: $id) { lines { quantity } } }", json!({ "id": cart })).await;
        let error = &response["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL");
        assert_eq!(error["message"], "Internal server error");
        let text = response.to_string().to_lowercase();
        for leak in ["cart_line", "select", "sqlite", "relation", "no such table"] {
            assert!(!text.contains(leak), "the response leaks {leak:?}: {response}");
        }
        let response = app
            .post("mutation($c: ID!, $p: ID!) { addCartLines(cartId: $c, lines: [{ productId: $p, quantity: 1 }]) { cart { id } } }", json!({ "c": cart, "p": product }))
            .await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "INTERNAL");
        assert!(!response.to_string().to_lowercase().contains("cart_line"), "{response}");
    }
}
