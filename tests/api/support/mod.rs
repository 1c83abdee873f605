//! Test support: a real server per test, on a fresh database of either
//! engine, spoken to over HTTP ([`ws`]: a raw WebSocket client).
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: one throwaway
//! cluster per test process (`scratch-pg`: initdb into a temporary directory, a free
//! loopback port, run as the `postgres` user when we are root), a template
//! database migrated once, and a new database cloned from it for each test.
//! Set `TEST_DATABASE_URL` to a PostgreSQL server URL to use that server
//! instead of starting a cluster. If PostgreSQL cannot be started the test
//! fails with the reason; it is never skipped. `TEST_SQL=1` prints every
//! statement the servers run.

pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Both engines, for tests that loop over them (those that need their
    /// own configuration; the others use `engine_tests!`).
    pub const ALL: [Engine; 2] = [Engine::Sqlite, Engine::Postgres];
}

/// Runs the test body once per engine, as `name::sqlite` and `name::postgres`.
macro_rules! engine_tests {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($app:ident) $body:block
    )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::support::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::support::TestApp::spawn($crate::support::Engine::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                body($crate::support::TestApp::spawn($crate::support::Engine::Postgres).await).await
            }
        }
    )*};
}
pub(crate) use engine_tests;

/// A global ID as the server makes them ("Type:key" in base64), to forge
/// IDs of other types or of rows that do not exist.
pub fn global_id(kind: &str, key: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{key}"))
}

/// The staff token of every test server. `TestApp::http` sends it, so tests
/// act as staff unless they ask for another client ([`client`]).
pub const ADMIN_TOKEN: &str = "test-admin-token-of-at-least-32-bytes";

/// An HTTP client that sends `token` as a bearer token (none: anonymous).
pub fn client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// A local address no one listens on yet, for a server's metrics.
pub fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// The value of the unlabelled metric `name` (without the `shopgraph_`
/// prefix) as the metrics endpoint at `address` reports it now.
pub async fn metric(address: SocketAddr, name: &str) -> f64 {
    let text = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("the metrics endpoint answers")
        .text()
        .await
        .expect("a text body");
    let prefix = format!("shopgraph_{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{text}"))
        .trim()
        .parse()
        .expect("a number")
}

/// A running server on its own database.
pub struct TestApp {
    pub engine: Engine,
    /// SQL statements the server has run so far.
    statements: Arc<AtomicUsize>,
    pub addr: SocketAddr,
    pub database_url: String,
    pub http: reqwest::Client,
    /// The database this server owns and drops; `None` for a second
    /// instance on another's database.
    _database: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, |_| {}).await
    }

    /// Spawns a server whose configuration `configure` may change.
    pub async fn spawn_with(engine: Engine, configure: impl FnOnce(&mut api::Config)) -> TestApp {
        let database = TestDatabase::create(engine).await;
        TestApp::start(engine, database.url.clone(), Some(database), configure).await
    }

    /// Another server on this server's database, as in a deployment with
    /// several instances.
    pub async fn second_instance(&self) -> TestApp {
        TestApp::start(self.engine, self.database_url.clone(), None, |_| {}).await
    }

    /// A server on the database at `url`, which the caller owns.
    pub async fn on_database(engine: Engine, url: String) -> TestApp {
        TestApp::start(engine, url, None, |_| {}).await
    }

    /// Another server on `other`'s database, configured by `configure`.
    pub async fn start_on(other: &TestApp, configure: impl FnOnce(&mut api::Config)) -> TestApp {
        TestApp::start(other.engine, other.database_url.clone(), None, configure).await
    }

    async fn start(
        engine: Engine,
        database_url: String,
        database: Option<TestDatabase>,
        configure: impl FnOnce(&mut api::Config),
    ) -> TestApp {
        init_logs();
        let mut config = api::Config::for_database(database_url.clone());
        config.admin_token = Some(ADMIN_TOKEN.to_owned());
        config.listen = "127.0.0.1:0".parse().expect("a valid address");
        config.db_pool_size = 5;
        // Every test client shares one address and one staff token, standing
        // for many clients: the per-client rate limit is off unless a test
        // turns it on (tests/api/hardening.rs).
        config.rate_limit_points = 0;
        configure(&mut config);
        let mut db = api::store::db::connect_and_migrate(&config)
            .await
            .expect("the database opens");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let print_sql = std::env::var_os("TEST_SQL").is_some();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            if print_sql {
                eprintln!("SQL {:?}: {}", info.elapsed, info.statement);
            }
        });
        let app = api::App::with_database(&config, db)
            .await
            .expect("the server starts");
        let addr = app.local_addr().expect("a bound socket");
        tokio::spawn(app.run(std::future::pending()));
        TestApp {
            engine,
            statements,
            addr,
            database_url,
            http: client(Some(ADMIN_TOKEN)),
            _database: database,
        }
    }

    /// How many SQL statements the server has run so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request with `token` (none: anonymous) and returns the
    /// whole JSON response.
    pub async fn post_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        client(token)
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON body")
    }

    /// POSTs a GraphQL request and returns the whole JSON response.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let response = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "GraphQL over POST answers 200");
        response.json().await.expect("a JSON body")
    }

    /// POSTs a GraphQL request and returns its status and JSON body.
    pub async fn post_status(&self, query: &str) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Sends every `(query, variables)` request at once and returns the
    /// JSON responses in the same order.
    pub async fn post_concurrently(&self, requests: Vec<(&str, Value)>) -> Vec<Value> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(query, variables)| {
                let request = self
                    .http
                    .post(self.url("/graphql"))
                    .json(&json!({ "query": query, "variables": variables }));
                tokio::spawn(async move {
                    let response = request.send().await.expect("the server answers");
                    response.json::<Value>().await.expect("a JSON body")
                })
            })
            .collect();
        let mut responses = Vec::with_capacity(tasks.len());
        for task in tasks {
            responses.push(task.await.expect("the request task completes"));
        }
        responses
    }

    /// Signs up a customer and returns (token, customer ID).
    pub async fn sign_up(&self, email: &str) -> (String, String) {
        let data = self
            .post_as(
                None,
                "mutation($input: SignUpInput!) { signUp(input: $input) { token expiresAt customer { id email } userErrors { code } } }",
                json!({ "input": { "email": email, "name": "Someone", "password": "correct horse battery" } }),
            )
            .await;
        let payload = &data["data"]["signUp"];
        assert_eq!(payload["userErrors"], json!([]), "{data:#}");
        assert!(payload["expiresAt"].is_string());
        (
            payload["token"].as_str().expect("a token").to_owned(),
            payload["customer"]["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
        )
    }

    /// Locks every product row from outside the server, as a long
    /// transaction would, until the returned transaction ends: a mutation
    /// that writes a product waits.
    pub async fn hold_product_rows(&self) -> sea_orm::DatabaseTransaction {
        use sea_orm::TransactionTrait;
        let txn = self.db().await.begin().await.expect("a transaction");
        if self.engine == Engine::Postgres {
            txn.execute_unprepared("SELECT stock FROM product FOR UPDATE")
                .await
                .expect("rows locked");
        } else {
            // SeaORM's default SQLite transaction is deferred; writing takes the lock.
            txn.execute_unprepared("UPDATE product SET stock = stock")
                .await
                .expect("the write lock taken");
        }
        txn
    }

    /// Waits until this server's `/health` body satisfies `until`; `what`
    /// names the condition for the failure message.
    pub async fn wait_for_health(&self, what: &str, until: impl Fn(&Value) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let health: Value = self
                .http
                .get(self.url("/health"))
                .send()
                .await
                .expect("/health answers")
                .json()
                .await
                .expect("a JSON body");
            if until(&health) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never {what}: {health}"
            );
            tokio::task::yield_now().await;
        }
    }

    /// Waits until at least `count` subscriptions listen on this server.
    pub async fn wait_for_subscriptions(&self, count: u64) {
        self.wait_for_health(&format!("{count} subscriptions"), |health| {
            health["subscriptions"].as_u64().expect("a count") >= count
        })
        .await;
    }

    /// Waits until the GraphQL operations running and waiting on this
    /// server (as `/health` counts them) satisfy `until`.
    pub async fn wait_for_load(&self, what: &str, until: impl Fn(u64, u64) -> bool) {
        self.wait_for_health(what, |health| {
            let count = |name: &str| health["requests"][name].as_u64().expect("a count");
            until(count("running"), count("waiting"))
        })
        .await;
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let response = self.post(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs an operation with request `extensions` (e.g. a persisted query's
    /// hash) that must succeed, and returns its `data`.
    pub async fn ok_with_extensions(&self, query: &str, extensions: Value) -> Value {
        let response: Value = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "extensions": extensions }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON body");
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs an operation that must fail with one top-level error, and returns
    /// that error's `extensions.code` and message.
    pub async fn top_level_error(&self, query: &str, variables: Value) -> (String, String) {
        let response = self.post(query, variables).await;
        let errors = response["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors in {response:#}"));
        assert_eq!(errors.len(), 1, "one error expected: {response:#}");
        let code = errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error without a code: {response:#}"));
        (
            code.to_owned(),
            errors[0]["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// A direct connection to the test's database, to check what was stored.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("the test database is reachable")
    }

    /// Counts rows directly in the database: `from` is a table name,
    /// optionally followed by a `WHERE` clause.
    pub async fn count_rows(&self, from: &str) -> i64 {
        let db = self.db().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {from}"),
            ))
            .await
            .expect("a count")
            .expect("one row");
        let n: i64 = row.try_get("", "n").expect("an integer count");
        db.close().await.ok();
        n
    }

    /// A product of one variant that is shipped: checkouts of it need an
    /// address and a rate ([`TestApp::ship`]).
    pub async fn create_shipped_product(&self, name: &str, price: &str, stock: i32) -> String {
        self.product_of_one_variant(json!({ "name": name, "price": price, "stock": stock }))
            .await
    }

    async fn product_of_one_variant(&self, input: Value) -> String {
        let data = self
            .ok(
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code } } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(data["createProduct"]["userErrors"], json!([]));
        data["createProduct"]["product"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// Makes `cart` ready to ship, as staff: an address in New Zealand and
    /// the free rate of a zone for it (made on first use).
    pub async fn ship(&self, cart: &str) {
        let zones = self
            .ok("{ shippingZones { name rates { id } } }", json!({}))
            .await;
        let existing = zones["shippingZones"]
            .as_array()
            .and_then(|zones| zones.iter().find(|zone| zone["name"] == "Test zone"))
            .map(|zone| zone["rates"][0]["id"].as_str().unwrap().to_owned());
        let rate = match existing {
            Some(rate) => rate,
            None => {
                let input = json!({ "name": "Test zone", "countryCodes": ["NZ"], "rates": [{ "title": "Courier", "price": "0" }] });
                let made = self.ok("mutation($input: ShippingZoneInput!) { createShippingZone(input: $input) { shippingZone { rates { id } } } }", json!({ "input": input })).await;
                made["createShippingZone"]["shippingZone"]["rates"][0]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let address = json!({ "address1": "1 Queen St", "city": "Auckland", "countryCode": "NZ" });
        let set = self.ok("mutation($cart: ID!, $address: MailingAddressInput!) { setCartShippingAddress(cartId: $cart, address: $address) { userErrors { code } } }", json!({ "cart": cart, "address": address })).await;
        assert_eq!(set["setCartShippingAddress"]["userErrors"], json!([]));
        let chosen = self.ok("mutation($cart: ID!, $rate: ID!) { selectCartShippingRate(cartId: $cart, shippingRateId: $rate) { userErrors { code } } }", json!({ "cart": cart, "rate": rate })).await;
        assert_eq!(
            chosen["selectCartShippingRate"]["userErrors"],
            json!([]),
            "{chosen:#}"
        );
    }

    /// A product of one variant that needs no shipping (so checkouts of it
    /// need no address: the tests of shipping make their own products).
    pub async fn create_product(&self, name: &str, price: &str, stock: i32) -> String {
        self.product_of_one_variant(
            json!({ "name": name, "price": price, "stock": stock, "requiresShipping": false }),
        )
        .await
    }

    pub async fn create_customer(&self, email: &str, name: &str) -> String {
        let data = self
            .ok(
                "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code } } }",
                json!({ "input": { "email": email, "name": name } }),
            )
            .await;
        assert_eq!(data["createCustomer"]["userErrors"], json!([]));
        data["createCustomer"]["customer"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// Creates a cart with `lines` of (product id, quantity).
    pub async fn create_cart(&self, customer_id: &str, lines: &[(&str, i32)]) -> String {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(product_id, quantity)| json!({ "productId": product_id, "quantity": quantity }))
            .collect();
        let data = self
            .ok(
                "mutation($customerId: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customerId, lines: $lines) { cart { id } userErrors { code message } } }",
                json!({ "customerId": customer_id, "lines": lines }),
            )
            .await;
        assert_eq!(data["createCart"]["userErrors"], json!([]));
        data["createCart"]["cart"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }
}

/// A database made for one test and dropped after it.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A migrated database with no rows.
    pub async fn create(engine: Engine) -> TestDatabase {
        TestDatabase::new(engine, Some(TEMPLATE)).await
    }

    /// A database with no tables at all, for migration tests.
    pub async fn create_empty(engine: Engine) -> TestDatabase {
        TestDatabase::new(engine, None).await
    }

    async fn new(engine: Engine, template: Option<&str>) -> TestDatabase {
        match engine {
            // The server migrates SQLite files itself when it opens them.
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
                TestDatabase {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            Engine::Postgres => {
                let server = postgres().await;
                let name = format!("test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&server.admin_url)
                    .await
                    .expect("PostgreSQL is reachable");
                let template = template
                    .map(|t| format!(" TEMPLATE {t}"))
                    .unwrap_or_default();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}{template}"))
                    .await
                    .expect("a test database is created");
                admin.close().await.ok();
                TestDatabase {
                    url: server.database_url(&name),
                    cleanup: Cleanup::Postgres {
                        admin_url: server.admin_url.clone(),
                        name,
                    },
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, database) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on
            // another future; a short-lived thread with its own runtime can.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                        ))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(()))) {
                eprintln!("warning: could not drop test database {name}");
            }
        }
    }
}

const TEMPLATE: &str = "shopgraph_template";

/// The PostgreSQL server the tests of this process use.
struct PgServer {
    /// URL of the `postgres` maintenance database, for CREATE/DROP DATABASE.
    admin_url: String,
    /// The cluster started for this process, if `TEST_DATABASE_URL` named none.
    _cluster: Option<scratch_pg::Cluster>,
}

impl PgServer {
    fn database_url(&self, name: &str) -> String {
        scratch_pg::database_url(&self.admin_url, name)
    }
}

static POSTGRES: OnceCell<PgServer> = OnceCell::const_new();

async fn postgres() -> &'static PgServer {
    POSTGRES
        .get_or_init(|| async {
            let server = match std::env::var("TEST_DATABASE_URL") {
                Ok(admin_url) => PgServer {
                    admin_url,
                    _cluster: None,
                },
                Err(_) => {
                    let cluster = scratch_pg::Cluster::start(scratch_pg::FAST_UNSAFE)
                        .unwrap_or_else(|err| {
                            panic!(
                                "{err:#}\nThe tests need PostgreSQL; or set TEST_DATABASE_URL to a server's postgres:// URL."
                            )
                        });
                    PgServer {
                        admin_url: cluster.admin_url().to_owned(),
                        _cluster: Some(cluster),
                    }
                }
            };
            // Migrate a template once; each test clones it, which is much
            // faster than migrating every test database.
            let admin = Database::connect(&server.admin_url)
                .await
                .unwrap_or_else(|err| {
                    panic!(
                        "cannot connect to PostgreSQL at {}: {err}",
                        server.admin_url
                    )
                });
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
                .await
                .expect("the old template is dropped");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {TEMPLATE}"))
                .await
                .expect("the template is created");
            admin.close().await.ok();
            let template = Database::connect(server.database_url(TEMPLATE))
                .await
                .expect("the template is reachable");
            Migrator::up(&template, None)
                .await
                .expect("the template is migrated");
            template.close().await.ok();
            server
        })
        .await
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .with_test_writer()
            .try_init();
    }
}
