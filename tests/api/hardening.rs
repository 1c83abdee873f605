//! Attacks, each sent as an attacker would send it, against the real server:
//! none may crash it, stall it or make it hold more than its limits allow.

use serde_json::{Value, json};

use crate::binary;
use crate::support::{Engine, TestApp, client};
use crate::ws::WsClient;

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {response:#}"))
}

/// The code of the first error a `graphql-transport-ws` message reports,
/// as an `error` message or in a `next` message's payload.
fn ws_error_code(message: &Value) -> &str {
    let errors = match message["type"].as_str() {
        Some("error") => &message["payload"],
        _ => &message["payload"]["errors"],
    };
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {message:#}"))
}

/// `{ __typename(a: [[[…1…]]]) }`, `depth` lists deep: 5 KB at 2,500.
fn deep_value(depth: usize) -> String {
    format!(
        "{{ __typename(a: {}1{}) }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn deeply_nested_values_are_refused_on_every_transport_and_the_process_lives() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = binary::start(dir.path(), &[]).await;
    let anonymous = client(None);
    let attack = deep_value(2_500);
    let object_attack = format!(
        "{{ __typename(a: {}1{}) }}",
        "{a: ".repeat(2_500),
        "}".repeat(2_500)
    );
    for query in [&attack, &object_attack] {
        let posted: Value = anonymous
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("the server answers a POST")
            .json()
            .await
            .unwrap();
        assert_eq!(code(&posted), "QUERY_TOO_DEEP", "{posted:#}");
        // By GET, as a cross-site <img> could send it.
        let got: Value = anonymous
            .get(format!("{url}/graphql"))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .expect("the server answers a GET")
            .json()
            .await
            .unwrap();
        assert_eq!(code(&got), "QUERY_TOO_DEEP", "{got:#}");
        let mut socket = WsClient::connect(&format!("{url}/graphql"), None).await;
        socket.subscribe("1", query, json!({})).await;
        let answer = socket.next_payload().await;
        assert_eq!(ws_error_code(&answer), "QUERY_TOO_DEEP", "{answer:#}");
    }
    // Within the limit, values parse (async-graphql ignores arguments of
    // `__typename`).
    let fine: Value = anonymous
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": deep_value(40) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fine["data"]["__typename"], "QueryRoot", "{fine:#}");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server process is still running"
    );
    let live = anonymous.get(format!("{url}/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}

#[tokio::test]
async fn documents_over_the_token_limit_are_refused_before_parsing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let long = format!("{{ {} }}", "__typename ".repeat(5_000));
    let response = app.post(&long, json!({})).await;
    assert_eq!(code(&response), "QUERY_TOO_LARGE", "{response:#}");
    assert!(response.get("data").is_none(), "nothing ran: {response:#}");
    let fits = format!("{{ {} }}", "__typename ".repeat(4_000));
    let response = app.post(&fits, json!({})).await;
    assert_eq!(response["data"]["__typename"], "QueryRoot", "{response:#}");
}

#[tokio::test]
async fn error_lists_are_capped() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    // 4,000 unknown fields: one validation error each.
    let fields: String = (0..4_000).map(|i| format!("f{i} ")).collect();
    let response = app.post(&format!("{{ {fields} }}"), json!({})).await;
    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 100, "{:#}", errors[99]);
    assert!(
        errors[99]["message"]
            .as_str()
            .unwrap()
            .contains("3901 more")
    );
    assert_eq!(
        errors[99]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn short_or_empty_secrets_are_refused_at_start() {
    for (flag, value) in [
        ("--token-secret", ""),
        ("--token-secret", "short"),
        ("--admin-token", ""),
        ("--admin-token", "0123456789abcdef0123456789abcde"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0", flag, value])
            .env_remove("SHOPGRAPH_TOKEN_SECRET")
            .env_remove("SHOPGRAPH_ADMIN_TOKEN")
            .output()
            .await
            .expect("the binary runs");
        assert!(!output.status.success(), "{flag} {value:?} must not start");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("at least 32"), "{flag} {value:?}: {stderr}");
    }
}
