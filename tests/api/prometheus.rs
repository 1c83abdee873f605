//! The metrics as an operator sees them: the real binary with
//! `--metrics-listen`, scraped by Debian's real Prometheus server, whose
//! HTTP API is then asked for the series the traffic made.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary;
use crate::support::ADMIN_TOKEN;

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

async fn graphql(url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    binary::post(url, token, &[], query, variables).await
}

/// Asks Prometheus for `query` until it answers one sample, within 60 s;
/// the sample's value.
async fn sample(prometheus: &str, query: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        if let Ok(response) = reqwest::Client::new()
            .get(format!("{prometheus}/api/v1/query"))
            .query(&[("query", query)])
            .send()
            .await
            && let Ok(body) = response.json::<Value>().await
        {
            if let Some(value) = body["data"]["result"][0]["value"][1].as_str() {
                return value.parse().expect("a number");
            }
            last = body;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("Prometheus has no sample for {query} within 60 s; last answer: {last:#}");
}

/// Waits until `query` has the sample `wanted` (counters arrive with the
/// next scrape after the traffic).
async fn wait_for(prometheus: &str, query: &str, wanted: f64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = sample(prometheus, query).await;
        if value == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{query} is {value}, not {wanted}, after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_metrics_the_traffic_made() {
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let metrics_address = format!("127.0.0.1:{metrics_port}");
    let (server, url) = binary::start(dir.path(), &["--metrics-listen", &metrics_address]).await;

    // Metrics are never on the API's address.
    let on_api = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(on_api.status(), 404);

    // Traffic: named reads, a refused read, failed and good logins, a
    // checkout, and more distinct operation names than the labels keep.
    for _ in 0..3 {
        let body = graphql(
            &url,
            None,
            "query ListProducts { products { totalCount } }",
            json!({}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    let refused = graphql(
        &url,
        None,
        "query Broken { product(id: \"nope\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let product = graphql(
        &url,
        Some(ADMIN_TOKEN),
        "mutation AddProduct { createProduct(input: { name: \"Tea\", price: \"4.50\", stock: 5, requiresShipping: false }) { product { id } } }",
        json!({}),
    )
    .await["data"]["createProduct"]["product"]["id"]
        .clone();
    let signed_up = graphql(
        &url,
        None,
        "mutation { signUp(input: { email: \"m@example.com\", name: \"M\", password: \"correct horse battery\" }) { token } }",
        json!({}),
    )
    .await;
    let token = signed_up["data"]["signUp"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let log_in = "mutation LogIn($p: String!) { logIn(email: \"m@example.com\", password: $p) { token userErrors { code } } }";
    for password in [
        "wrong password 1",
        "wrong password 2",
        "correct horse battery",
    ] {
        graphql(&url, None, log_in, json!({ "p": password })).await;
    }
    let cart = graphql(
        &url,
        Some(&token),
        "mutation($p: ID!) { createCart(lines: [{ productId: $p, quantity: 2 }]) { cart { id } } }",
        json!({ "p": product }),
    )
    .await["data"]["createCart"]["cart"]["id"]
        .clone();
    let checkout = graphql(
        &url,
        Some(&token),
        "mutation Checkout($c: ID!) { checkout(cartId: $c) { order { id } userErrors { code } } }",
        json!({ "c": cart }),
    )
    .await;
    assert!(
        checkout["data"]["checkout"]["order"]["id"].is_string(),
        "{checkout:#}"
    );
    for i in 0..150 {
        graphql(
            &url,
            None,
            &format!("query Op{i} {{ products {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    }

    // The real Prometheus, scraping every second.
    let prometheus_port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: shopgraph\n    static_configs:\n      - targets: ['{metrics_address}']\n"
        ),
    )
    .unwrap();
    let _prometheus = tokio::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("Debian's prometheus runs (tests/run installs it)");
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");

    wait_for(&prometheus, "up{job=\"shopgraph\"}", 1.0).await;
    wait_for(
        &prometheus,
        "shopgraph_operations_total{operation_name=\"ListProducts\",operation_type=\"query\",outcome=\"ok\"}",
        3.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_operations_total{operation_name=\"Broken\",outcome=\"BAD_USER_INPUT\"}",
        1.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_errors_total{code=\"BAD_USER_INPUT\"}",
        1.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_operations_total{operation_name=\"AddProduct\",operation_type=\"mutation\"}",
        1.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_logins_total{outcome=\"failed\"}",
        2.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_logins_total{outcome=\"succeeded\"}",
        1.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_operations_total{operation_name=\"LogIn\",outcome=\"user_error\"}",
        2.0,
    )
    .await;
    wait_for(
        &prometheus,
        "shopgraph_checkouts_total{outcome=\"placed\"}",
        1.0,
    )
    .await;
    wait_for(&prometheus, "shopgraph_orders_placed_total", 1.0).await;
    wait_for(&prometheus, "shopgraph_build_info", 1.0).await;
    // Operation names are bounded: 100 kept, the rest counted as `other`.
    wait_for(
        &prometheus,
        "count(count by (operation_name) (shopgraph_operations_total))",
        101.0,
    )
    .await;
    assert!(
        sample(
            &prometheus,
            "sum(shopgraph_operations_total{operation_name=\"other\"})"
        )
        .await
            >= 50.0
    );
    // Latency, statements and the pool.
    assert!(
        sample(
            &prometheus,
            "sum(shopgraph_operation_duration_seconds_count)"
        )
        .await
            >= 160.0
    );
    assert!(sample(&prometheus, "shopgraph_sql_statements_total").await >= 10.0);
    assert!(sample(&prometheus, "shopgraph_sql_statements_per_request_count").await >= 160.0);
    assert!(sample(&prometheus, "shopgraph_db_pool_connections").await >= 1.0);
    assert_eq!(sample(&prometheus, "shopgraph_requests_running").await, 0.0);
    assert_eq!(
        sample(&prometheus, "shopgraph_websocket_connections").await,
        0.0
    );
    drop(server);
}
