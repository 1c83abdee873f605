//! The database goes away under load and comes back: requests fail fast
//! with SERVICE_UNAVAILABLE (never a hang, a panic or driver text), the
//! health and readiness checks say so while liveness stays up, and the same
//! server serves again once the database is back, without a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Engine, TestApp};

/// What one request under load got.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Served,
    Unavailable,
    /// Some fields served, the others SERVICE_UNAVAILABLE: the database
    /// went away in the middle of the request.
    Partial,
    Other(String),
}

async fn request(app: &TestApp) -> (Outcome, Duration) {
    let started = Instant::now();
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ products(first: 5) { totalCount nodes { name stock } } }" }))
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let outcome = match response {
        Err(err) => Outcome::Other(format!("no answer: {err}")),
        Ok(response) => {
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let only_unavailable = body["errors"].as_array().is_some_and(|errors| {
                errors
                    .iter()
                    .all(|e| e["extensions"]["code"] == "SERVICE_UNAVAILABLE")
            });
            match (status.as_u16(), body.get("errors").is_some()) {
                (200, false) => Outcome::Served,
                (503, true) if only_unavailable && body["data"].is_null() => Outcome::Unavailable,
                (200, true) if only_unavailable && body["data"].is_object() => Outcome::Partial,
                _ => Outcome::Other(format!("{status}: {body}")),
            }
        }
    };
    (outcome, started.elapsed())
}

/// What the load clients have seen so far; `seen` wakes whoever waits
/// for an outcome.
#[derive(Default)]
struct Seen(Mutex<Vec<(Outcome, Duration)>>, tokio::sync::Notify);

impl Seen {
    fn push(&self, outcome: (Outcome, Duration)) {
        self.0.lock().unwrap().push(outcome);
        self.1.notify_waiters();
    }

    fn count(&self, outcome: &Outcome) -> usize {
        let seen = self.0.lock().unwrap();
        seen.iter().filter(|(o, _)| o == outcome).count()
    }

    /// Waits until the load clients have seen `outcome` more than `before`
    /// times.
    async fn more_than(&self, outcome: Outcome, before: usize) {
        let waited = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                // Registered before counting, so no push slips between.
                let pushed = self.1.notified();
                if self.count(&outcome) > before {
                    return;
                }
                pushed.await;
            }
        })
        .await;
        assert!(waited.is_ok(), "the load never saw {outcome:?}");
    }
}

async fn status(app: &TestApp, path: &str) -> u16 {
    app.http
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_the_database_going_away_and_coming_back() {
    // A cluster of its own: stopping the shared one would fail other tests.
    let cluster = scratch_pg::Cluster::start(scratch_pg::FAST_UNSAFE).expect("a cluster");
    let admin = sea_orm::Database::connect(cluster.admin_url())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared("CREATE DATABASE faults")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let database = TestApp::on_database(Engine::Postgres, cluster.database_url("faults")).await;
    // The four load clients below stand for other users; on loopback they
    // share one address, so give that address room for all of them.
    let app = Arc::new(
        TestApp::start_on(&database, |config| config.max_concurrent_per_client = 16).await,
    );
    app.create_product("Sturdy", "1.00", 3).await;
    assert_eq!(request(&app).await.0, Outcome::Served);

    // Load from four clients for the whole test.
    let running = Arc::new(AtomicBool::new(true));
    let seen = Arc::new(Seen::default());
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (app, running, seen) = (app.clone(), running.clone(), seen.clone());
            tokio::spawn(async move {
                while running.load(Ordering::SeqCst) {
                    seen.push(request(&app).await);
                }
            })
        })
        .collect();
    seen.more_than(Outcome::Served, 0).await;

    cluster.stop_server().expect("PostgreSQL stops");
    // The load notices the outage.
    seen.more_than(Outcome::Unavailable, 0).await;
    let during = Instant::now();
    let (outcome, took) = request(&app).await;
    assert_eq!(outcome, Outcome::Unavailable);
    assert!(took < Duration::from_secs(3), "fails fast: {took:?}");
    let mutation = app
        .post_status(r#"mutation { createCustomer(input: { email: "down@example.com", name: "D" }) { customer { id } } }"#)
        .await;
    assert_eq!(mutation.0, 503, "{:#}", mutation.1);
    assert_eq!(
        mutation.1["errors"][0]["extensions"]["code"],
        "SERVICE_UNAVAILABLE"
    );
    assert_eq!(status(&app, "/ready").await, 503);
    assert_eq!(status(&app, "/health").await, 503);
    assert_eq!(status(&app, "/live").await, 200);
    assert!(
        during.elapsed() < Duration::from_secs(8),
        "the checks answer quickly too"
    );

    cluster.start_server().expect("PostgreSQL starts again");
    let back = Instant::now();
    while status(&app, "/ready").await != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "ready again after the database returns"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The load is served again.
    seen.more_than(Outcome::Served, seen.count(&Outcome::Served))
        .await;
    running.store(false, Ordering::SeqCst);
    for task in load {
        task.await.expect("no panic in the load");
    }
    let seen = std::mem::take(&mut *seen.0.lock().unwrap());
    assert_eq!(
        request(&app).await.0,
        Outcome::Served,
        "serves again without a restart"
    );
    let written = app
        .ok(r#"mutation { createCustomer(input: { email: "back@example.com", name: "B" }) { customer { id } } }"#, json!({}))
        .await;
    assert!(written["createCustomer"]["customer"]["id"].is_string());

    let served = seen.iter().filter(|(o, _)| *o == Outcome::Served).count();
    let unavailable = seen
        .iter()
        .filter(|(o, _)| *o == Outcome::Unavailable)
        .count();
    let partial = seen.iter().filter(|(o, _)| *o == Outcome::Partial).count();
    let slowest = seen.iter().map(|(_, took)| *took).max().unwrap_or_default();
    eprintln!(
        "under load: {served} served, {unavailable} SERVICE_UNAVAILABLE, {partial} partly served, slowest {slowest:?}"
    );
    let other: Vec<_> = seen
        .iter()
        .filter(|(o, _)| matches!(o, Outcome::Other(_)))
        .collect();
    assert!(
        other.is_empty(),
        "only served, SERVICE_UNAVAILABLE or both: {other:?}"
    );
    assert!(served > 0 && unavailable > 0);
    assert!(
        slowest < Duration::from_secs(6),
        "no request hung: {slowest:?}"
    );
    drop(app);
    cluster.stop().ok();
}
