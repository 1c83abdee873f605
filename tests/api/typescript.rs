//! The codegen proof: the TypeScript client in `clients/typescript`
//! generates typed operations from the checked-in `schema.graphql`
//! (graphql-codegen), type-checks them (`tsc --noEmit`), and runs them with
//! real clients (graphql-request, graphql-ws) against a live server.

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
        app.count_rows("cart_product").await,
        1,
        "the client's changes reached the database"
    );
}
