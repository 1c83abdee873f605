//! The codegen proof: the TypeScript client in `clients/typescript`
//! generates typed operations from the checked-in `schema.graphql`
//! (graphql-codegen), type-checks them (`tsc --noEmit`), and runs them with
//! real clients (graphql-request, graphql-ws) against a live server; then
//! Apollo Client 4 runs a storefront session on each engine.

use std::path::Path;

use serde_json::Value;

use crate::js;
use crate::support::{Engine, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_client_generates_type_checks_and_runs() {
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/typescript");
    js::npm_ci(&client).await;
    js::run(&client, "npm", &["run", "--silent", "codegen"]).await;
    assert!(
        client.join("src/gql/graphql.ts").exists(),
        "codegen wrote the typed operations"
    );
    js::run(&client, "npm", &["run", "--silent", "typecheck"]).await;

    let app = TestApp::spawn(Engine::Sqlite).await;
    let output = js::run(
        &client,
        "npm",
        &["run", "--silent", "check", "--", &app.url("/graphql")],
    )
    .await;
    let report: Value = serde_json::from_str(output.trim()).expect("one JSON line");
    assert_eq!(report["ok"], true);
    assert_eq!(
        app.count_rows("cart_line").await,
        1,
        "the client's changes reached the database"
    );

    // The same typed operations by hash only, against a production server
    // that runs nothing but the manifest codegen wrote: queries and
    // mutations as `documentId` (POST and GET), the subscription as
    // `extensions.persistedQuery` over graphql-ws, never a document's text.
    let manifest = client.join("src/gql/persisted-documents.json");
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let app = TestApp::spawn_with(engine, |config| {
            config.production = true;
            config.trusted_documents = Some(manifest.clone());
        })
        .await;
        let output = js::run(
            &client,
            "npm",
            &[
                "run",
                "--silent",
                "check",
                "--",
                &app.url("/graphql"),
                "--by-hash",
            ],
        )
        .await;
        let report: Value = serde_json::from_str(output.trim()).expect("one JSON line");
        assert_eq!(
            (&report["ok"], &report["byHash"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "{engine:?}: {report:#}"
        );
        assert_eq!(app.count_rows("cart_line").await, 1, "{engine:?}");
    }

    // Apollo Client 4, InMemoryCache with the README's type policies and
    // the default error policy: a guest's checkout with an address, a
    // rate, tax and a code; a guest's cart → signUp → change, remove lines
    // → a saved address → checkout → history → a merge at logIn, with no error (any
    // would reject) and no cache warning; against a production server
    // that runs only the manifest codegen wrote, every operation sent by
    // its hash.
    assert!(manifest.exists(), "codegen wrote the trusted documents");
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let app = TestApp::spawn_with(engine, |config| {
            config.production = true;
            config.trusted_documents = Some(manifest.clone());
        })
        .await;
        let output = js::run(
            &client,
            "npm",
            &["run", "--silent", "apollo", "--", &app.url("/graphql")],
        )
        .await;
        let report: Value = serde_json::from_str(output.trim()).expect("one JSON line");
        assert_eq!(report["ok"], true, "{engine:?}: {report:#}");
        assert_eq!(
            report["textsSent"], 0,
            "{engine:?}: the server knew every document by its hash: {report:#}"
        );
        assert_eq!(
            report["logged"],
            serde_json::json!([]),
            "{engine:?}: Apollo logged nothing: {report:#}"
        );
        // Without the lines policy Apollo does warn: the count is real.
        assert!(
            report["canary"][0]
                .as_str()
                .is_some_and(|warning| warning.contains("Cache data may be lost")),
            "{engine:?}: {report:#}"
        );
        assert_eq!(
            app.count_rows("cart WHERE checked_out_at IS NOT NULL")
                .await,
            2,
            "{engine:?}: both checkouts reached the database"
        );
        assert_eq!(
            app.count_rows(
                r#""order" WHERE customer_id IS NULL AND token_hash IS NOT NULL AND discount = 600 AND total = 6228"#
            )
            .await,
            1,
            "{engine:?}: the guest's order, with its discount, shipping and tax"
        );
    }
}
