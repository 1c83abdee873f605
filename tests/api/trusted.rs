//! Trusted documents: a manifest of SHA-256 → document (graphql-codegen's
//! `persisted-documents.json`). Listed documents run by hash; in production
//! nothing else runs, on any transport. (The TypeScript example runs its
//! own generated manifest against a production server: `typescript.rs`.)

use serde_json::{Value, json};
use sha2::Digest;

use crate::support::ws::WsClient;
use crate::support::{ADMIN_TOKEN, Engine, TestApp, client};

const LISTED_READ: &str = "query Catalogue { products { totalCount } }";
const LISTED_WRITE: &str = "mutation Stock($name: String!) { createProduct(input: { name: $name, price: \"1.00\", stock: 1 }) { product { id } } }";
const UNLISTED_WRITE: &str = "mutation { createProduct(input: { name: \"Sneaky\", price: \"1.00\", stock: 1 }) { product { id } } }";

fn sha256(text: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

fn manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("persisted-documents.json");
    let listed = json!({ sha256(LISTED_READ): LISTED_READ, sha256(LISTED_WRITE): LISTED_WRITE });
    std::fs::write(&path, listed.to_string()).unwrap();
    path
}

/// POSTs `body` as staff, asking for `application/graphql-response+json`.
async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = client(Some(ADMIN_TOKEN))
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn by_hash(document: &str, variables: Value) -> Value {
    json!({ "variables": variables, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(document) } } })
}

#[tokio::test]
async fn in_production_only_trusted_documents_run() {
    for engine in Engine::ALL {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest(dir.path());
        let app = TestApp::spawn_with(engine, |config| {
            config.production = true;
            config.trusted_documents = Some(path.clone());
        })
        .await;

        let (status, body) = post(&app, by_hash(LISTED_READ, json!({}))).await;
        assert_eq!(
            (status, &body["data"]),
            (200, &json!({ "products": { "totalCount": 0 } })),
            "{body:#}"
        );
        let (_, body) = post(&app, json!({ "query": LISTED_READ })).await;
        assert_eq!(
            body["data"]["products"]["totalCount"], 0,
            "the full text of a listed document runs too"
        );
        let (_, body) = post(&app, by_hash(LISTED_WRITE, json!({ "name": "Tea" }))).await;
        assert!(
            body["data"]["createProduct"]["product"]["id"].is_string(),
            "{body:#}"
        );

        // Anything else runs nothing: as text, registered as an automatic
        // persisted query, in a batch, over WebSocket.
        let (status, body) = post(&app, json!({ "query": UNLISTED_WRITE })).await;
        assert_eq!(status, 400, "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_IN_LIST"
        );
        assert!(body.get("data").is_none());
        let mut registering = by_hash(UNLISTED_WRITE, json!({}));
        registering["query"] = json!(UNLISTED_WRITE);
        let (_, body) = post(&app, registering).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_IN_LIST",
            "{body:#}"
        );
        let (_, body) = post(
            &app,
            json!([{ "query": LISTED_READ }, { "query": UNLISTED_WRITE }]),
        )
        .await;
        assert_eq!(body[0]["data"]["products"]["totalCount"], 1, "{body:#}");
        assert_eq!(
            body[1]["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_IN_LIST"
        );
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(ADMIN_TOKEN)).await;
        socket.subscribe("1", UNLISTED_WRITE, json!({})).await;
        let refused = socket.next_payload().await;
        assert!(
            refused.to_string().contains("PERSISTED_QUERY_NOT_IN_LIST"),
            "{refused:#}"
        );
        assert_eq!(
            app.count_rows("product WHERE name = 'Sneaky'").await,
            0,
            "{engine:?}: nothing ran"
        );
        assert_eq!(app.count_rows("product").await, 1);
        assert_eq!(
            app.count_rows("persisted_query").await,
            0,
            "{engine:?}: a refused registration is stored nowhere"
        );
        // A GET refused for its forged token registers nothing either.
        let forged = client(Some("v1.1.1.9999999999.forged"))
            .get(app.url("/graphql"))
            .query(&[
                ("query", "query Forged { __typename }"),
                (
                    "extensions",
                    &json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("query Forged { __typename }") } }).to_string(),
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
        assert_eq!(app.count_rows("persisted_query").await, 0, "{engine:?}");
    }
}

#[tokio::test]
async fn outside_production_the_list_only_adds_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(dir.path());
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.trusted_documents = Some(path.clone())
    })
    .await;
    let (_, body) = post(&app, by_hash(LISTED_READ, json!({}))).await;
    assert_eq!(
        body["data"]["products"]["totalCount"], 0,
        "listed documents run by hash: {body:#}"
    );
    let (_, body) = post(&app, json!({ "query": UNLISTED_WRITE })).await;
    assert!(
        body["data"]["createProduct"]["product"]["id"].is_string(),
        "{body:#}"
    );
}

#[tokio::test]
async fn a_manifest_that_is_not_one_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.json");
    std::fs::write(&path, json!({ "0000": LISTED_READ }).to_string()).unwrap();
    let database = crate::support::TestDatabase::create(Engine::Sqlite).await;
    let mut config = api::Config::for_database(database.url.clone());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.trusted_documents = Some(path);
    let refused = api::App::build(&config)
        .await
        .err()
        .expect("the server refuses to start");
    assert!(
        format!("{refused:#}").contains("not the SHA-256"),
        "{refused:#}"
    );
}
