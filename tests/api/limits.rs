//! Abuse limits: depth, complexity (with lists multiplying their items, and
//! one budget shared by a whole batch), aliases, directives, batch length,
//! request and statement timeouts, and production mode. Each answers with a
//! coded error and runs nothing it should not.

use serde_json::{Value, json};

use crate::support::{Engine, TestApp, engine_tests};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {response:#}"))
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mut query = "id".to_owned();
    for _ in 0..5 {
        query = format!("carts(first: 1) {{ nodes {{ customer {{ {query} }} }} }}");
    }
    let deep = app.post(&format!("{{ {query} }}"), json!({})).await;
    assert_eq!(code(&deep), "QUERY_TOO_DEEP", "{deep:#}");
    assert!(deep.get("data").is_none());
}

#[tokio::test]
async fn lists_multiply_the_cost_of_what_they_select() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.max_complexity = 200).await;
    let page = |n: u32| format!("{{ products(first: {n}) {{ nodes {{ id name stock }} }} }}");
    assert!(
        app.post(&page(10), json!({})).await.get("errors").is_none(),
        "10 × 4 fits in 200"
    );
    let big = app.post(&page(100), json!({})).await;
    assert_eq!(code(&big), "QUERY_TOO_COMPLEX", "100 × 4 does not: {big:#}");
}

#[tokio::test]
async fn a_batch_spends_one_budget() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.max_complexity = 200).await;
    // Each operation costs 20 × 2 + 1 + 1 = 42: four fit in 200, twenty do not.
    let operation = json!({ "query": "{ products(first: 20) { nodes { id } } }" });
    let batch: Vec<Value> = (0..20).map(|_| operation.clone()).collect();
    let responses: Vec<Value> = app
        .http
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ran = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .count();
    assert_eq!(ran, 4, "{responses:#?}");
    for refused in responses.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(code(refused), "QUERY_TOO_COMPLEX");
    }
}

#[tokio::test]
async fn long_batches_are_refused_before_anything_runs() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let batch: Vec<Value> = (0..21)
        .map(|i| json!({ "query": format!(r#"mutation {{ createCustomer(input: {{ email: "b{i}@example.com", name: "B" }}) {{ customer {{ id }} }} }}"#) }))
        .collect();
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "BATCH_TOO_LARGE");
    assert_eq!(app.count_rows("customer").await, 0);
}

#[tokio::test]
async fn aliases_and_directives_are_capped() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let aliases: String = (0..31)
        .map(|i| format!("a{i}: products(first: 1) {{ totalCount }} "))
        .collect();
    let response = app.post(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&response), "TOO_MANY_ALIASES");
    let directives = "@include(if: true) ".repeat(11);
    let response = app
        .post(
            &format!("{{ products {directives} {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    assert!(response.get("errors").is_some(), "{response:#}");
    assert!(response["errors"][0]["extensions"]["code"].is_string());
}

#[tokio::test]
async fn production_mode_hides_introspection_suggestions_and_graphiql() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.production = true).await;
    // async-graphql answers a disabled introspection with nulls.
    let introspection = app.post("{ __schema { types { name } } }", json!({})).await;
    assert_eq!(
        introspection["data"]["__schema"],
        Value::Null,
        "{introspection:#}"
    );
    let typo = app.post("{ prodcts { totalCount } }", json!({})).await;
    assert!(!typo.to_string().contains("Did you mean"), "{typo:#}");
    assert_eq!(
        app.http.get(app.url("/")).send().await.unwrap().status(),
        404
    );
    assert!(
        app.post("{ products { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );

    let opted_in = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.production = true;
        config.introspection = true;
        config.graphiql = true;
    })
    .await;
    assert!(
        opted_in
            .post("{ __schema { types { name } } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    assert_eq!(
        opted_in
            .http
            .get(opted_in.url("/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

engine_tests! {
    /// A request stuck behind a lock ends at the request timeout with code
    /// TIMEOUT, and its mutation does not happen.
    async fn a_stuck_request_times_out_and_changes_nothing(app) {
        let product = app.create_product("Slow", "1.00", 5).await;
        let quick = TestApp::start_on(&app, |config| {
            config.request_timeout_ms = 500;
            config.statement_timeout_ms = 0;
        }).await;
        let txn = app.hold_product_rows().await;
        let started = std::time::Instant::now();
        let response = quick.post(
            "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { product { stock } } }",
            json!({ "id": product }),
        ).await;
        assert_eq!(code(&response), "TIMEOUT", "{response:#}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        txn.rollback().await.unwrap();
        let data = app.ok("query($id: ID!) { product(id: $id) { stock } }", json!({ "id": product })).await;
        assert_eq!(data["product"]["stock"], 5, "the timed-out mutation changed nothing");
    }
}

engine_tests! {
    /// With `max_concurrent_requests` at 1, a read waits while a stuck
    /// mutation holds the only turn, and runs once the mutation is done;
    /// with the default it does not wait at all.
    async fn requests_beyond_the_concurrency_limit_wait_their_turn(app) {
        use std::sync::atomic::{AtomicBool, Ordering};
        let product = app.create_product("Held", "1.00", 5).await;
        let configure = |permits: u16| move |config: &mut api::Config| {
            config.statement_timeout_ms = 0;
            config.max_concurrent_requests = permits;
        };
        let one_at_a_time = TestApp::start_on(&app, configure(1)).await;
        let default = TestApp::start_on(&app, configure(16)).await;
        let read = "{ products(first: 1) { totalCount } }";
        let mut read_after_release = Vec::new();
        for (server, limited) in [(&one_at_a_time, true), (&default, false)] {
            let lock = tokio::sync::Mutex::new(Some(app.hold_product_rows().await));
            let released = AtomicBool::new(false);
            let release = || async {
                if let Some(txn) = lock.lock().await.take() {
                    released.store(true, Ordering::SeqCst);
                    txn.rollback().await.unwrap();
                }
            };
            let mutation = server.post(
                "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { product { stock } } }",
                json!({ "id": product }),
            );
            let later_read = async {
                // The mutation holds a permit, stuck on the row lock.
                server.wait_for_load("ran the mutation", |running, _| running >= 1).await;
                let answer = async {
                    let answer = server.post(read, json!({})).await;
                    (answer, released.load(Ordering::SeqCst))
                };
                let unblock = async {
                    if limited {
                        // The read waits for the only permit; then the
                        // mutation may go on.
                        server.wait_for_load("queued the read", |_, waiting| waiting >= 1).await;
                        release().await;
                    }
                };
                let (answer, ()) = tokio::join!(answer, unblock);
                release().await;
                answer
            };
            let (written, (answer, after)) = tokio::join!(mutation, later_read);
            assert_eq!(written["data"]["updateProduct"]["product"]["stock"], 1, "{written:#}");
            assert_eq!(answer["data"]["products"]["totalCount"], 1, "{answer:#}");
            read_after_release.push(after);
        }
        // With one permit the read waited (seen waiting) for the stuck
        // mutation and was answered only once the mutation could go on;
        // with the default it was answered while the mutation was stuck.
        assert_eq!(read_after_release, [true, false]);
    }
}

/// PostgreSQL cancels a statement that runs past `statement_timeout`, and
/// the client sees TIMEOUT, not the driver's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statement_timeout_is_reported_as_timeout() {
    let app = TestApp::spawn_with(Engine::Postgres, |config| {
        config.statement_timeout_ms = 300;
    })
    .await;
    let product = app.create_product("Locked", "1.00", 5).await;
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let blocker = app.db().await;
    let txn = blocker.begin().await.unwrap();
    txn.execute_unprepared("SELECT stock FROM product FOR UPDATE")
        .await
        .unwrap();
    let response = app.post(
        "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { product { stock } } }",
        json!({ "id": product }),
    ).await;
    txn.rollback().await.unwrap();
    assert_eq!(code(&response), "TIMEOUT", "{response:#}");
    assert!(
        !response.to_string().contains("canceling statement"),
        "no driver text leaks"
    );
}

/// A SQLite file whose write lock another process holds: requests wait for
/// it up to the busy timeout, then succeed, or fail cleanly with
/// SERVICE_UNAVAILABLE (never "database is locked" or INTERNAL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_file_is_waited_for_then_refused_cleanly() {
    use sea_orm::{ConnectionTrait, Database};
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.db_busy_timeout_ms = 3_000).await;
    let mut options = sea_orm::ConnectOptions::new(app.database_url.clone());
    options.max_connections(1);
    let blocker = Database::connect(options).await.unwrap();
    let create = |email: &str| {
        format!(
            r#"mutation {{ createCustomer(input: {{ email: "{email}", name: "W" }}) {{ customer {{ email }} }} }}"#
        )
    };

    // Held while the write runs, within the busy timeout: the write waits,
    // then succeeds.
    blocker.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    let waiting = tokio::spawn({
        let (client, url, query) = (
            app.http.clone(),
            app.url("/graphql"),
            create("wait@example.com"),
        );
        async move {
            client
                .post(url)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    app.wait_for_load("ran the write", |running, _| running >= 1)
        .await;
    assert!(!waiting.is_finished(), "the write waits for the lock");
    blocker.execute_unprepared("COMMIT").await.unwrap();
    let waited = waiting.await.unwrap();
    assert_eq!(
        waited["data"]["createCustomer"]["customer"]["email"], "wait@example.com",
        "{waited:#}"
    );

    // Held past the busy timeout: a clean, coded failure, and nothing written.
    blocker.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    let (status, refused) = app.post_status(&create("never@example.com")).await;
    blocker.execute_unprepared("ROLLBACK").await.unwrap();
    assert_eq!(code(&refused), "SERVICE_UNAVAILABLE", "{refused:#}");
    assert_eq!(status, 503);
    assert!(
        !refused.to_string().contains("locked"),
        "no driver text: {refused:#}"
    );
    assert_eq!(app.count_rows("customer").await, 1);
}
