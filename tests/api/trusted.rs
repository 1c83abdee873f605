//! Trusted documents: a manifest of SHA-256 → document (graphql-codegen's
//! `persisted-documents.json`). Listed documents run by hash; in production
//! nothing else runs, on any transport. (The TypeScript example runs its
//! own generated manifest against a production server: `typescript.rs`.)

use serde_json::{Value, json};
use sha2::Digest;

use crate::support::ws::WsClient;
use crate::support::{ADMIN_TOKEN, Engine, TestApp, client, free_address, metric};

const LISTED_READ: &str = "query Catalogue { products { totalCount } }";
const LISTED_WRITE: &str = "mutation Stock($name: String!) { createProduct(input: { name: $name, price: \"1.00\", stock: 1 }) { product { id } } }";
const LISTED_WATCH: &str =
    "subscription Watch($id: ID!) { productUpdated(productId: $id) { stock } }";
const LISTED_RESTOCK: &str = "mutation Restock($id: ID!) { updateProduct(id: $id, input: { stock: 7 }) { userErrors { code } } }";
const UNLISTED_WRITE: &str = "mutation { createProduct(input: { name: \"Sneaky\", price: \"1.00\", stock: 1 }) { product { id } } }";

fn sha256(text: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

fn manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("persisted-documents.json");
    let listed = json!({
        sha256(LISTED_READ): LISTED_READ,
        sha256(LISTED_WRITE): LISTED_WRITE,
        sha256(LISTED_WATCH): LISTED_WATCH,
        sha256(LISTED_RESTOCK): LISTED_RESTOCK,
    });
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

/// A client of trusted documents sends no text, on any transport:
/// `documentId` (GraphQL over HTTP's persisted documents appendix, as Hive
/// Gateway and Yoga send it) on POST and GET, with or without `sha256:`;
/// and over WebSocket a subscription by hash (`extensions.persistedQuery`,
/// as Apollo's persisted-query link sends it before graphql-ws), which was
/// refused `PERSISTED_QUERY_NOT_IN_LIST` in production.
#[tokio::test]
async fn trusted_documents_run_by_id_on_post_get_and_websocket() {
    for engine in Engine::ALL {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest(dir.path());
        let app = TestApp::spawn_with(engine, |config| {
            config.production = true;
            config.trusted_documents = Some(path.clone());
        })
        .await;
        let (_, created) = post(&app, by_hash(LISTED_WRITE, json!({ "name": "Kettle" }))).await;
        let product = created["data"]["createProduct"]["product"]["id"].clone();
        assert!(product.is_string(), "{created:#}");
        for id in [
            format!("sha256:{}", sha256(LISTED_READ)),
            sha256(LISTED_READ),
        ] {
            let (status, body) = post(&app, json!({ "documentId": id })).await;
            assert_eq!(
                (status, &body["data"]["products"]["totalCount"]),
                (200, &json!(1)),
                "{engine:?} {id}: {body:#}"
            );
            let got = client(None)
                .get(app.url("/graphql"))
                .query(&[("documentId", id.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(got.status(), 200, "{engine:?}: GET by documentId");
            let body: Value = got.json().await.unwrap();
            assert_eq!(
                body["data"]["products"]["totalCount"], 1,
                "{engine:?}: {body:#}"
            );
        }
        let (_, body) = post(
            &app,
            json!({ "documentId": format!("sha256:{}", sha256("query Unknown { __typename }")) }),
        )
        .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{engine:?}: {body:#}"
        );

        let mut socket = WsClient::connect(&app.url("/graphql"), Some(ADMIN_TOKEN)).await;
        socket
            .send(json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "",
                "variables": { "id": product },
                "extensions": { "persistedQuery": { "version": 1, "sha256Hash": format!("sha256:{}", sha256(LISTED_WATCH)) } },
            } }))
            .await;
        app.wait_for_subscriptions(1).await;
        let (_, body) = post(
            &app,
            json!({ "documentId": sha256(LISTED_RESTOCK), "variables": { "id": product } }),
        )
        .await;
        assert_eq!(
            body["data"]["updateProduct"]["userErrors"],
            json!([]),
            "{engine:?}: {body:#}"
        );
        let event = socket.next_payload().await;
        assert_eq!(
            event["payload"]["data"]["productUpdated"]["stock"], 7,
            "{engine:?}: {event:#}"
        );
    }
}

/// A document that is not trusted is refused before it is parsed: it
/// costs no parse and takes no room among the parsed documents, however
/// many a client sends (before, each was parsed, and each filled the
/// cache, before the check). A document that would not even parse is
/// refused for not being trusted, not reported as a syntax error.
#[tokio::test]
async fn untrusted_documents_are_refused_before_they_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(dir.path());
    let metrics = free_address();
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.production = true;
        config.trusted_documents = Some(path.clone());
        config.metrics_listen = Some(metrics);
    })
    .await;
    let (_, body) = post(&app, by_hash(LISTED_READ, json!({}))).await;
    assert_eq!(body["data"]["products"]["totalCount"], 0, "{body:#}");
    let parsed = metric(metrics, "parsed_documents").await;
    let bytes = metric(metrics, "parsed_document_bytes").await;
    assert_eq!(parsed, 1.0, "the trusted document that ran");
    assert!(bytes > 0.0);

    for i in 0..50 {
        let unique = format!(
            "query Unlisted{i} {{ products(first: {i}) {{ nodes {{ id name description }} }} }}"
        );
        let (status, body) = post(&app, json!({ "query": unique })).await;
        assert_eq!(status, 400, "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_IN_LIST"
        );
    }
    let (_, body) = post(&app, json!({ "query": "query Broken { products { " })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_IN_LIST",
        "refused unparsed: {body:#}"
    );
    assert_eq!(metric(metrics, "parsed_documents").await, parsed);
    assert_eq!(metric(metrics, "parsed_document_bytes").await, bytes);
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
