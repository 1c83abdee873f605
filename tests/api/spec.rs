//! GraphQL over HTTP as clients see it: the graphql-http audit suite run
//! against the live server, persisted queries, CORS and CSRF.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN, VARY};
use serde_json::{Value, json};

use crate::js;
use crate::support::{Engine, TestApp};

/// The audits of the `graphql-http` package (the GraphQL-over-HTTP spec's
/// reference suite): every MUST and every SHOULD passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_http_audit_passes() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let output = js::node("audit.mjs", &[&app.url("/graphql")]).await;
    let results: Vec<Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON result per line"))
        .collect();
    assert!(results.len() > 50, "the audit ran: {output}");
    let failed: Vec<&Value> = results.iter().filter(|r| r["status"] != "ok").collect();
    eprintln!(
        "graphql-http audit: {} audits, {} ok, {} not ok",
        results.len(),
        results.len() - failed.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "audits not passed: {failed:#?}");
}

#[tokio::test]
async fn an_unknown_operation_name_is_a_coded_request_error() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let response: Value = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query Typed { products { totalCount } }", "operationName": "Catalogue" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(response.get("data").is_none(), "{response}");
    assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn request_errors_have_no_data_and_graphql_response_json_says_400() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for (query, code) in [
        ("{ products {", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        for (accept, status) in [
            ("application/json", StatusCode::OK),
            ("application/graphql-response+json", StatusCode::BAD_REQUEST),
        ] {
            let response = app
                .http
                .post(app.url("/graphql"))
                .header(ACCEPT, accept)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{query} with {accept}");
            let body: Value = response.json().await.unwrap();
            assert!(body.get("data").is_none(), "no data entry: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], code);
        }
    }
    // A field error that nulls `data` still executed: 200 and a data entry.
    let response = app
        .http
        .post(app.url("/graphql"))
        .header(ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": "{ products(first: 1000) { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

fn sha256(text: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A query registered on one instance runs by hash on another (they share
/// the `persisted_query` table); what one client address may add to the
/// table is bounded, beyond which queries are remembered locally only.
#[tokio::test]
async fn persisted_queries_are_shared_by_instances_within_a_quota() {
    for engine in Engine::ALL {
        let first =
            TestApp::spawn_with(engine, |config| config.persisted_queries_per_hour = 1).await;
        let second = first.second_instance().await;
        let post = |app: &TestApp, body: Value| {
            let request = app.http.post(app.url("/graphql")).json(&body);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let shared = "query Shared { products { totalCount } }";
        let local = "query Local { products { totalCount } }";
        for query in [shared, local] {
            let registered = post(
                &first,
                json!({ "query": query, "extensions": persisted(&sha256(query)) }),
            )
            .await;
            assert_eq!(
                registered["data"]["products"]["totalCount"], 0,
                "{engine:?}: {registered:#}"
            );
        }
        // The first registration was within the quota: the other instance
        // knows it by hash.
        let elsewhere = post(&second, json!({ "extensions": persisted(&sha256(shared)) })).await;
        assert_eq!(
            elsewhere["data"]["products"]["totalCount"], 0,
            "{engine:?}: {elsewhere:#}"
        );
        // The second was over it: served, remembered by the first instance
        // only.
        let here = post(&first, json!({ "extensions": persisted(&sha256(local)) })).await;
        assert_eq!(
            here["data"]["products"]["totalCount"], 0,
            "{engine:?}: {here:#}"
        );
        let not_there = post(&second, json!({ "extensions": persisted(&sha256(local)) })).await;
        assert_eq!(
            not_there["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{engine:?}"
        );
        assert_eq!(first.count_rows("persisted_query").await, 1);
    }
}

#[tokio::test]
async fn persisted_queries_register_then_run_by_hash_over_post_and_get() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.create_product("Mug", "3.00", 1).await;
    let query = "query Count { products { totalCount } }";
    let hash = sha256(query);
    let by_hash = || async {
        app.http
            .post(app.url("/graphql"))
            .json(&json!({ "extensions": persisted(&hash) }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let unknown = by_hash().await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(unknown.get("data").is_none());

    // Registration over GET, as Apollo's link does for queries.
    let get = |params: Vec<(&'static str, String)>| {
        app.http.get(app.url("/graphql")).query(&params).send()
    };
    let registered = get(vec![
        ("query", query.to_owned()),
        ("extensions", persisted(&hash).to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(registered.status(), 200);
    assert_eq!(
        registered.json::<Value>().await.unwrap()["data"]["products"]["totalCount"],
        1
    );

    assert_eq!(by_hash().await["data"]["products"]["totalCount"], 1);
    let response = get(vec![("extensions", persisted(&hash).to_string())])
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[VARY],
        "accept, authorization",
        "caches key GET answers on Accept and Authorization"
    );
    assert_eq!(
        response.json::<Value>().await.unwrap()["data"]["products"]["totalCount"],
        1
    );

    // A query sent with the wrong hash is refused and not remembered.
    let wrong = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ products { totalCount } }", "extensions": persisted(&"0".repeat(64)) }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
}

#[tokio::test]
async fn a_mutation_persisted_by_post_is_refused_by_hash_over_get() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mutation = r#"mutation { createCustomer(input: { email: "apq@example.com", name: "A" }) { customer { id } } }"#;
    let hash = sha256(mutation);
    let registered = app.ok_with_extensions(mutation, persisted(&hash)).await;
    assert!(registered["createCustomer"]["customer"]["id"].is_string());
    let response = app
        .http
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(&hash).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.count_rows("customer").await, 1, "nothing ran again");
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let closed = TestApp::spawn(Engine::Sqlite).await;
    let open = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.cors_origins = vec!["https://shop.example".into()];
    })
    .await;
    let preflight = |app: &TestApp, origin: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header(ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(&open, "https://shop.example").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert!(
        allowed.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    for (app, origin) in [
        (&open, "https://evil.example"),
        (&closed, "https://shop.example"),
    ] {
        let refused = preflight(app, origin).await.unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin} must not be allowed"
        );
    }
    let response = open
        .http
        .post(open.url("/graphql"))
        .header(ORIGIN, "https://shop.example")
        .json(&json!({ "query": "{ products { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    // Browser code on the other origin may read the request ID and
    // `Retry-After`; without this header it could read neither.
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert!(exposed.contains("retry-after"), "{exposed}");
}

/// Requests a browser may send cross-site without a preflight (forms,
/// `text/plain`, no content type) never run, even with a preflight header.
#[tokio::test]
async fn csrf_simple_requests_never_run_a_mutation() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let body = json!({ "query": r#"mutation { createCustomer(input: { email: "csrf@example.com", name: "C" }) { customer { id } } }"# }).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        for preflight_header in [false, true] {
            let mut request = app
                .http
                .post(app.url("/graphql"))
                .header(ORIGIN, "https://evil.example")
                .body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }
            if preflight_header {
                request = request.header("apollo-require-preflight", "true");
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type:?}"
            );
            let answer: Value = response.json().await.unwrap();
            assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        }
    }
    assert_eq!(app.count_rows("customer").await, 0);
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for i in 0..30 {
        app.create_product(&format!("Compressible product {i}"), "1.00", 1)
            .await;
    }
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": "{ products(first: 30) { nodes { id name description price { amount currencyCode } } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

/// The legacy `graphql-ws` subprotocol (of subscriptions-transport-ws),
/// spoken by hand over a raw WebSocket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_graphql_ws_subprotocol_is_spoken_too() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let product = app.create_product("Legacy lamp", "5.00", 2).await;
    let output = js::node(
        "legacy-ws.mjs",
        &[
            &app.url("/graphql").replacen("http://", "ws://", 1),
            &app.url("/graphql"),
            &product,
        ],
    )
    .await;
    let seen: Value = serde_json::from_str(output.trim()).expect("one JSON object");
    assert_eq!(seen["protocol"], "graphql-ws");
    assert_eq!(
        seen["data"],
        json!({ "productUpdated": { "stock": 9 } }),
        "{seen:#}"
    );
}
