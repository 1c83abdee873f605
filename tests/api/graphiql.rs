//! GraphiQL in a real browser: Debian's Chromium opens `/` with every
//! request to another host refused, as on a machine without internet, and
//! the page must still work. The screenshot is kept at
//! `target/graphiql/graphiql.png` (a CI artifact).

use std::path::Path;

use serde_json::Value;

use crate::js;
use crate::support::{Engine, TestApp};

/// Installs GraphiQL's npm packages for the server to serve.
async fn install_graphiql_assets() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/graphiql");
    js::npm_ci(&dir).await;
    dir.join("node_modules")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_works_offline_in_chromium() {
    let assets = install_graphiql_assets().await;
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.graphiql_assets = Some(assets);
    })
    .await;
    app.create_product("Offline Teapot", "24.00", 3).await;
    let page = app
        .http
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("unpkg.com"),
        "the page's assets are served locally: {page}"
    );

    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/graphiql");
    std::fs::create_dir_all(&screenshots).unwrap();
    let screenshot = screenshots.join("graphiql.png");
    // One line: the editor closes brackets as they open, and a newline
    // could accept an autocompletion.
    let query = "query Typed { products(first: 5) { nodes { name stock } } }";
    let output = js::node(
        "graphiql.mjs",
        &[
            &app.url("/"),
            screenshot.to_str().unwrap(),
            query,
            "Offline Teapot",
        ],
    )
    .await;
    let report: Value = serde_json::from_str(output.trim()).expect("one JSON report");
    assert_eq!(
        report["offsite"],
        serde_json::json!([]),
        "no request left the server: {report:#}"
    );
    assert_eq!(
        report["failed"],
        serde_json::json!([]),
        "no request failed: {report:#}"
    );
    assert_eq!(report["typed"], query, "the editor holds what was typed");
    let result: Value = serde_json::from_str(report["result"].as_str().unwrap()).unwrap();
    assert_eq!(
        result["data"]["products"]["nodes"],
        serde_json::json!([{ "name": "Offline Teapot", "stock": 3 }])
    );
    let docs = report["docs"].as_str().unwrap();
    assert!(
        docs.contains("products") && docs.contains("cart"),
        "the docs list the schema: {docs}"
    );
    assert!(screenshot.exists());
}
