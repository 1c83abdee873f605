//! The `shopgraph` binary as a newcomer runs it: no configuration, a fresh
//! directory, then Ctrl-C or SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_shopgraph");

/// Starts the binary in `dir` with none of its environment variables set,
/// on a free port, and returns it with its base URL.
pub async fn start(dir: &Path, args: &[&str]) -> (Child, String) {
    start_with(dir, args, Stdio::null()).await
}

/// The log lines of a server started by [`start_logged`].
type Logs = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

/// [`start`], with the server's log (stderr) to read.
async fn start_logged(dir: &Path, args: &[&str]) -> (Child, String, Logs) {
    let (mut child, url) = start_with(dir, args, Stdio::piped()).await;
    let logs = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    (child, url, logs)
}

/// Reads `logs` until a line contains every one of `needles`.
async fn wait_for_log(logs: &mut Logs, needles: &[&str]) {
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(line) = logs.next_line().await.expect("readable stderr") {
            if needles.iter().all(|needle| line.contains(needle)) {
                return;
            }
        }
        panic!("the log ended before {needles:?}");
    })
    .await;
    assert!(found.is_ok(), "no {needles:?} in the log within 15 s");
}

async fn start_with(dir: &Path, args: &[&str], stderr: Stdio) -> (Child, String) {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(["--admin-token", crate::support::ADMIN_TOKEN])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name == "RUST_LOG" || name.starts_with("SHOPGRAPH_") {
            command.env_remove(name);
        }
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let banner = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server announces itself within 30 s")
        .expect("readable stdout")
        .expect("a line on stdout");
    let url = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner:?}"))
        .trim_end_matches('/')
        .to_owned();
    (child, url)
}

async fn graphql(url: &str, query: &str) -> Value {
    post(
        url,
        Some(crate::support::ADMIN_TOKEN),
        &[],
        query,
        json!({}),
    )
    .await
}

/// POSTs `query` with `variables` to the binary serving at `url`, with
/// `token` as bearer (none: anonymous) and extra `headers`; the JSON body.
pub async fn post(
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    query: &str,
    variables: Value,
) -> Value {
    let mut request = crate::support::client(token)
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

pub async fn terminate(mut child: Child) {
    let pid = child.id().expect("a running child").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server stops within 10 s of SIGTERM")
        .expect("an exit status");
    assert!(
        status.success(),
        "a graceful stop exits with 0, got {status}"
    );
}

#[tokio::test]
async fn with_no_configuration_it_creates_migrates_and_serves_shop_db() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = start(dir.path(), &[]).await;
    assert!(
        dir.path().join("shop.db").exists(),
        "shop.db is created in the working directory"
    );
    let health: Value = reqwest::get(format!("{url}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["database"], "up");
    let body = graphql(&url, "{ products { totalCount } customers { totalCount } }").await;
    assert_eq!(
        body["data"],
        json!({ "products": { "totalCount": 0 }, "customers": { "totalCount": 0 } })
    );
    assert_eq!(body.get("errors"), None);
    // The rate limit is on by default: every answer says what it cost.
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], cost["actualQueryCost"]);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 40_000.0);
    let page = reqwest::get(format!("{url}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("graphiql"), "GraphiQL is served at /");
    terminate(child).await;
}

#[tokio::test]
async fn seed_demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let query = "{ products { totalCount } customers { totalCount } carts { totalCount nodes { lines { product { name } } } } }";
    let (child, url) = start(dir.path(), &["--seed-demo"]).await;
    let first = graphql(&url, query).await;
    terminate(child).await;
    assert!(
        first["data"]["products"]["totalCount"].as_u64().unwrap() > 0,
        "{first}"
    );
    assert!(
        first["data"]["carts"]["totalCount"].as_u64().unwrap() > 0,
        "{first}"
    );

    let (child, url) = start(dir.path(), &["--seed-demo"]).await;
    let second = graphql(&url, query).await;
    terminate(child).await;
    assert_eq!(first["data"], second["data"], "seeding again adds nothing");
}

#[tokio::test]
async fn export_schema_prints_the_sdl() {
    let output = Command::new(BINARY)
        .args(["export-schema", "-"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        api::schema::sdl()
    );
}

/// `shopgraph config` hides every secret a URL can carry: the password of
/// `user:password@`, and secret query parameters (`?password=`, which sqlx
/// accepts), in the database URL and the collector's.
#[tokio::test]
async fn config_hides_credentials_wherever_a_url_carries_them() {
    let output = Command::new(BINARY)
        .args([
            "--database-url",
            "postgres://shop:first-secret@db/shop?sslmode=require&password=second-secret",
            "--otlp-endpoint",
            "https://collector:third-secret@otel.example:4318/?api_key=fourth-secret",
            "config",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    for secret in [
        "first-secret",
        "second-secret",
        "third-secret",
        "fourth-secret",
    ] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    assert!(printed.contains("sslmode=require"), "{printed}");
}

/// In production with trusted documents, refused requests take no metric
/// label: a hundred unlisted documents with names of their own leave the
/// real operations their names (they once took every label, and the real
/// operations then reported as `other`).
#[tokio::test]
async fn refused_documents_take_no_metric_label() {
    let dir = tempfile::tempdir().unwrap();
    let listed = "query Catalogue { products { totalCount } }";
    let manifest = dir.path().join("persisted-documents.json");
    let hash = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(listed.as_bytes())
    );
    std::fs::write(&manifest, json!({ hash: listed }).to_string()).unwrap();
    let metrics_address = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let (server, url) = start(
        dir.path(),
        &[
            "--production",
            "--trusted-documents",
            manifest.to_str().unwrap(),
            "--metrics-listen",
            &metrics_address,
        ],
    )
    .await;
    for i in 0..120 {
        let refused = graphql(&url, &format!("query Junk{i} {{ __typename }}")).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_IN_LIST"
        );
    }
    let ran = graphql(&url, listed).await;
    assert_eq!(ran["data"]["products"]["totalCount"], 0, "{ran:#}");
    let metrics = reqwest::get(format!("http://{metrics_address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"operation_name="Catalogue""#),
        "{metrics}"
    );
    assert!(!metrics.contains("Junk"), "{metrics}");
    terminate(server).await;
}

/// `shopgraph migrate` applies, lists and rolls back migrations on the
/// configured database, with the server's own settings.
#[tokio::test]
async fn migrate_applies_lists_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shop.db?mode=rwc", dir.path().display());
    let migrate = |args: &'static [&'static str]| {
        let url = url.clone();
        async move {
            let output = Command::new(BINARY)
                .args(["--database-url", &url, "migrate"])
                .args(args)
                .output()
                .await
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).unwrap()
        }
    };
    let count = |listing: &str, state: &str| {
        listing
            .lines()
            .filter(|line| line.starts_with(state))
            .count()
    };
    let before = migrate(&["status"]).await;
    assert_eq!(count(&before, "applied "), 0, "{before}");
    let total = count(&before, "pending ");
    assert!(total > 10, "{before}");
    let up = migrate(&["up"]).await;
    assert_eq!(count(&up, "applied "), total, "{up}");
    let down = migrate(&["down", "2"]).await;
    assert_eq!(count(&down, "pending "), 2, "{down}");
    assert!(
        down.lines().last().unwrap().starts_with("pending "),
        "the last ones went: {down}"
    );
}

/// SIGTERM under load: `/ready` turns 503 at once, requests in flight
/// finish, and the process exits 0 within its grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_finishes_requests_in_flight() {
    use sea_orm::{ConnectionTrait, Database};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    // `tower_http=debug` logs each request as it starts.
    let (mut child, base, mut logs) = start_logged(
        dir.path(),
        &[
            "--database-url",
            &url,
            "--shutdown-drain-ms",
            "1500",
            "--log",
            "warn,tower_http=debug",
        ],
    )
    .await;
    let client = crate::support::client(Some(crate::support::ADMIN_TOKEN));
    assert_eq!(
        client
            .get(format!("{base}/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Another process-like writer holds SQLite's write lock, so this
    // mutation stays in flight until the lock is released.
    let mut options = sea_orm::ConnectOptions::new(url.clone());
    options.max_connections(1);
    let blocker = Database::connect(options).await.unwrap();
    blocker.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    let in_flight = tokio::spawn({
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/graphql"))
                .json(&json!({ "query": r#"mutation { createCustomer(input: { email: "late@example.com", name: "Late" }) { customer { email } } }"# }))
                .send()
                .await
                .expect("the in-flight request is answered")
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    // The mutation has reached the server (and waits for the lock).
    wait_for_log(
        &mut logs,
        &["method=POST", "uri=/graphql", "started processing request"],
    )
    .await;
    // The rest of the log is read too, so the server never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = logs.next_line().await {} });
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    // Not ready once shutting down: as soon as the signal is handled.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = client.get(format!("{base}/ready")).send().await.unwrap();
        if ready.status() == 503 {
            break;
        }
        assert_eq!(ready.status(), 200);
        assert!(
            std::time::Instant::now() < deadline,
            "still ready 10 s after SIGTERM"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(
        client
            .get(format!("{base}/live"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    blocker.execute_unprepared("COMMIT").await.unwrap();
    let answer = in_flight.await.unwrap();
    assert_eq!(
        answer["data"]["createCustomer"]["customer"]["email"], "late@example.com",
        "{answer:#}"
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(status.success(), "exit code 0, got {status}");
}

/// `--log-format json`: every line is one JSON object, and the lines logged
/// while serving a request carry its ID in their spans.
#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url, mut logs) = start_logged(dir.path(), &["--log-format", "json"]).await;
    let answer = crate::support::client(None)
        .post(format!("{url}/graphql"))
        .header("x-request-id", "json-logs-1")
        .json(&json!({ "query": "{ products { totalCount } }" }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(answer.headers()["x-request-id"], "json-logs-1");
    let of_the_request = tokio::time::timeout(Duration::from_secs(15), async {
        let mut seen = Vec::new();
        while let Some(line) = logs.next_line().await.expect("readable stderr") {
            let entry: Value = serde_json::from_str(&line)
                .unwrap_or_else(|err| panic!("not one JSON object ({err}): {line:?}"));
            assert!(
                entry["timestamp"].is_string() && entry["level"].is_string(),
                "{entry:#}"
            );
            let spans = entry["spans"].as_array().cloned().unwrap_or_default();
            if spans.iter().any(|span| span["request_id"] == "json-logs-1") {
                seen.push(entry);
                // The trace layer's last word on the request: its status.
                if seen.last().unwrap()["fields"]["status"].is_number() {
                    return seen;
                }
            }
        }
        panic!("the log ended before the request finished");
    })
    .await
    .expect("the request's lines within 15 s");
    let finished = of_the_request.last().unwrap();
    assert_eq!(finished["fields"]["status"], 200, "{finished:#}");
    assert_eq!(finished["spans"][0]["uri"], "/graphql");
    terminate(child).await;
}

/// `--config FILE` sits under the environment and the flags;
/// `shopgraph config` prints what is in effect, where each value came
/// from, and no secret.
#[tokio::test]
async fn a_config_file_is_layered_under_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopgraph.toml");
    std::fs::write(
        &file,
        r#"
currency = "EUR"
admin_token = "an-admin-token-that-is-long-enough-to-pass"
max-depth = 9
max-aliases = 7
cors-origin = ["https://a.example", "https://b.example"]
seed-demo = true
database-url = "postgres://shop:hunter2@db.example:5432/shop"
"#,
    )
    .unwrap();
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name == "RUST_LOG" || name.starts_with("SHOPGRAPH_") {
            command.env_remove(name);
        }
    }
    let output = command
        .env("SHOPGRAPH_MAX_DEPTH", "10")
        .args([
            "--config",
            file.to_str().unwrap(),
            "--currency",
            "GBP",
            "config",
        ])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).unwrap();
    for line in [
        r#"currency = "GBP"  # command line"#,
        r#"max-depth = "10"  # environment"#,
        r#"max-aliases = "7"  # file"#,
        r#"cors-origin = ["https://a.example", "https://b.example"]  # file"#,
        r#"seed-demo = true  # file"#,
        r#"admin-token = "***"  # file"#,
        r#"database-url = "postgres://shop:***@db.example:5432/shop"  # file"#,
        r#"max-batch = "20"  # default"#,
    ] {
        assert!(
            printed.lines().any(|printed| printed == line),
            "no {line:?} in:\n{printed}"
        );
    }
    assert!(
        !printed.contains("hunter2") && !printed.contains("long-enough"),
        "{printed}"
    );

    // A setting the server does not have is refused, naming it.
    std::fs::write(&file, "max_dept = 9\n").unwrap();
    let refused = Command::new(BINARY)
        .args(["--config", file.to_str().unwrap(), "config"])
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("`max_dept` is not a setting"),
        "{refused:?}"
    );

    // And the server serves what the file says.
    std::fs::write(&file, "seed-demo = true\n").unwrap();
    let (child, url) = start(dir.path(), &["--config", file.to_str().unwrap()]).await;
    let body = graphql(&url, "{ products { totalCount } }").await;
    assert!(
        body["data"]["products"]["totalCount"].as_u64().unwrap() > 0,
        "{body:#}"
    );
    terminate(child).await;
}
