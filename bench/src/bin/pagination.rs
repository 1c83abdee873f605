//! Page 1 versus page 500: keyset pagination must make a deep page cost what
//! the first page costs.
//!
//! Starts a throwaway PostgreSQL cluster and the release server on it,
//! creates 10,000 products, and for several orderings walks to page 500 (20
//! products a page), then times page 1 and page 500 over HTTP, interleaved
//! so that both see the same conditions. Beside the HTTP figures it times,
//! straight on PostgreSQL, the keyset statement the server runs for page 500
//! against the OFFSET statement it avoids, and records the keyset plan.
//! Writes a Markdown report (`bench/results/pagination.md` by default).
//!
//! Run it with `bench/pagination`, which builds the release binaries first.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use chrono::{DateTime, Utc};
use clap::Parser;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, Value as SqlValue,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Products per page, the API's default.
const PAGE_SIZE: u64 = 20;

#[derive(Parser)]
#[command(about = "Times page 1 against page 500 of the products list on PostgreSQL")]
struct Args {
    /// The server binary, built by `cargo build --release`.
    #[arg(long, default_value = "target/release/shopgraph")]
    server: PathBuf,
    /// How many products to create; the deep page is the last one.
    #[arg(long, default_value_t = 10_000)]
    products: u64,
    /// Timed requests of each page, per ordering.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Where to write the report.
    #[arg(long, default_value = "bench/results/pagination.md")]
    output: PathBuf,
}

/// An ordering of the `products` list, and the same ordering in SQL.
struct Ordering {
    label: &'static str,
    order_by: Value,
    column: Option<&'static str>,
    descending: bool,
}

const ORDERINGS: &[(&str, Option<&str>, bool)] = &[
    ("default (id)", None, false),
    ("NAME ASC", Some("name"), false),
    ("PRICE DESC", Some("price"), true),
    ("STOCK ASC", Some("stock"), false),
    ("CREATED_AT ASC", Some("created_at"), false),
];

fn orderings() -> Vec<Ordering> {
    ORDERINGS
        .iter()
        .map(|&(label, column, descending)| Ordering {
            label,
            order_by: match column {
                Some(column) => json!({
                    "field": column.to_uppercase(),
                    "direction": if descending { "DESC" } else { "ASC" },
                }),
                None => Value::Null,
            },
            column,
            descending,
        })
        .collect()
}

const PAGE: &str = "query($after: String, $orderBy: ProductOrder) {
  products(first: 20, after: $after, orderBy: $orderBy) {
    nodes { id name price { amount currencyCode } stock }
    pageInfo { hasNextPage endCursor }
  }
}";

/// Latency figures of one series of requests, in milliseconds.
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort();
        let at = |q: f64| {
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[index].as_secs_f64() * 1_000.0
        };
        Latency {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
        }
    }
}

struct Server {
    child: Child,
    url: String,
}

/// Starts the server binary on `database_url` and waits for its banner.
async fn start_server(binary: &PathBuf, database_url: &str) -> Result<Server> {
    let mut child = Command::new(binary)
        .args(["--database-url", database_url, "--listen", "127.0.0.1:0"])
        .args(["--log", "warn"])
        // One address standing for many readers.
        .args(["--rate-limit-points", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "cannot start {}; build it with `cargo build --release`",
                binary.display()
            )
        })?;
    let stdout = child.stdout.take().context("the server's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.strip_prefix("shopgraph listening on ") {
            let url = rest.split_whitespace().next().unwrap_or_default();
            return Ok(Server {
                child,
                url: format!("{url}graphql"),
            });
        }
    }
    bail!("the server exited before it listened")
}

async fn fetch_page(
    http: &reqwest::Client,
    url: &str,
    ordering: &Ordering,
    after: &Value,
) -> Result<Value> {
    let response: Value = http
        .post(url)
        .json(&json!({ "query": PAGE, "variables": { "after": after, "orderBy": ordering.order_by } }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        response.get("errors").is_none(),
        "the server answered errors: {response}"
    );
    Ok(response["data"]["products"].clone())
}

async fn timed_page(
    http: &reqwest::Client,
    url: &str,
    ordering: &Ordering,
    after: &Value,
) -> Result<Duration> {
    let started = Instant::now();
    let page = fetch_page(http, url, ordering, after).await?;
    let elapsed = started.elapsed();
    ensure!(
        page["nodes"].as_array().map(Vec::len) == Some(PAGE_SIZE as usize),
        "a page of {PAGE_SIZE} products"
    );
    Ok(elapsed)
}

async fn sql(db: &DatabaseConnection, sql: &str) -> Result<Vec<sea_orm::QueryResult>> {
    query(db, Statement::from_string(DbBackend::Postgres, sql)).await
}

async fn query(db: &DatabaseConnection, statement: Statement) -> Result<Vec<sea_orm::QueryResult>> {
    Ok(db.query_all_raw(statement).await?)
}

/// The median time PostgreSQL takes to answer `statement`, client included.
async fn median_sql_time(
    db: &DatabaseConnection,
    statement: &Statement,
    runs: usize,
) -> Result<f64> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let rows = query(db, statement.clone()).await?;
        samples.push(started.elapsed());
        ensure!(
            rows.len() as u64 == PAGE_SIZE,
            "{} read the last page",
            statement.sql
        );
    }
    Ok(Latency::of(samples).p50)
}

/// Statements of `ordering` shaped as the server's: page 1, and the last
/// page (seeking past the row before it, with its values bound as the server
/// binds them: integers as BIGINT), then the OFFSET statement the last page
/// would be without keyset pagination.
struct Statements {
    first: Statement,
    deep: Statement,
    offset: Statement,
}

async fn statements(
    db: &DatabaseConnection,
    ordering: &Ordering,
    products: u64,
) -> Result<Statements> {
    let direction = if ordering.descending { "DESC" } else { "ASC" };
    let compare = if ordering.descending { "<" } else { ">" };
    let order_by = ordering
        .column
        .iter()
        .chain(&["id"])
        .map(|column| format!("{column} {direction}"))
        .collect::<Vec<_>>()
        .join(", ");
    // The position of the page's predecessor: the row before the deep page.
    let skipped = products - PAGE_SIZE;
    let boundary = sql(
        db,
        &format!(
            "SELECT {} AS value, id FROM product ORDER BY {order_by} OFFSET {} LIMIT 1",
            ordering.column.unwrap_or("id"),
            skipped - 1
        ),
    )
    .await?;
    let row = boundary.first().context("a boundary row")?;
    let id: i64 = row.try_get("", "id")?;
    let limit = PAGE_SIZE + 1;
    let statement = |sql: String, values: Vec<SqlValue>| {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    };
    let deep = match ordering.column {
        Some(column) => {
            let value: SqlValue = match column {
                "name" => row.try_get::<String>("", "value")?.into(),
                "created_at" => row.try_get::<DateTime<Utc>>("", "value")?.into(),
                _ => row.try_get::<i64>("", "value")?.into(),
            };
            statement(
                format!(
                    "SELECT * FROM product WHERE ({column}, id) {compare} ($1, $2) ORDER BY {order_by} LIMIT {limit}"
                ),
                vec![value, id.into()],
            )
        }
        None => statement(
            format!(
                "SELECT * FROM product WHERE id {compare} $1 ORDER BY {order_by} LIMIT {limit}"
            ),
            vec![id.into()],
        ),
    };
    Ok(Statements {
        first: statement(
            format!("SELECT * FROM product ORDER BY {order_by} LIMIT {limit}"),
            vec![],
        ),
        deep,
        offset: statement(
            format!("SELECT * FROM product ORDER BY {order_by} LIMIT {limit} OFFSET {skipped}"),
            vec![],
        ),
    })
}

/// The plan of a statement, on one line, to show which index it uses.
async fn plan(db: &DatabaseConnection, statement: &Statement) -> Result<String> {
    let mut explain = statement.clone();
    explain.sql = format!("EXPLAIN {}", statement.sql);
    let rows = query(db, explain).await?;
    let lines: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "QUERY PLAN"))
        .collect::<Result<_, _>>()?;
    Ok(lines
        .iter()
        .map(|line| {
            line.split("  (cost")
                .next()
                .unwrap_or(line)
                .trim()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join(" / "))
}

async fn seed(db: &DatabaseConnection, products: u64) -> Result<()> {
    // Names and prices spread independently of ids; many prices tie, so the
    // id tie-breaker matters; creation times run backwards from the ids.
    sql(
        db,
        &format!(
            "INSERT INTO product (name, handle, description, price, stock, created_at, updated_at)
             SELECT 'Product ' || md5(i::text), 'product-' || i, NULL, (i * 7919) % 5000 * 10, (i * 31) % 50,
                    now() - make_interval(secs => i), now() - make_interval(secs => i)
             FROM generate_series(1, {products}) AS i"
        ),
    )
    .await?;
    // Each product is sold as its one variant, as the server's migration
    // makes of a product without options.
    sql(
        db,
        "INSERT INTO product_variant (product_id, title, price, stock, option_key, created_at, updated_at)
         SELECT id, 'Default Title', price, stock, '', created_at, updated_at FROM product ORDER BY id",
    )
    .await?;
    sql(db, "ANALYZE product").await?;
    sql(db, "ANALYZE product_variant").await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(
        args.products >= 2 * PAGE_SIZE && args.products % PAGE_SIZE == 0,
        "--products must be a multiple of {PAGE_SIZE}, at least two pages"
    );
    let deep_page = args.products / PAGE_SIZE;
    let cluster = scratch_pg::Cluster::start(&[])?;
    let admin = Database::connect(cluster.admin_url()).await?;
    sql(&admin, "CREATE DATABASE bench").await?;
    admin.close().await?;
    let database_url = cluster.database_url("bench");
    let db = Database::connect(&database_url).await?;
    Migrator::up(&db, None).await?;
    seed(&db, args.products).await?;
    let version: String =
        sql(&db, "SHOW server_version").await?[0].try_get("", "server_version")?;

    let mut server = start_server(&args.server, &database_url).await?;
    let http = reqwest::Client::new();
    let mut report = String::new();
    writeln!(
        report,
        "# Pagination: page 1 vs page {deep_page}\n\n\
         Generated by `bench/pagination` (source: `bench/src/bin/pagination.rs`).\n\n\
         - Machine: {}; PostgreSQL {version} (throwaway cluster, default settings); server: release build, `--log warn`.\n\
         - Data: {} products; {PAGE_SIZE} per page, so page {deep_page} is the last one.\n\
         - HTTP: one client, sequential requests; page 1 and page {deep_page} alternate, {} of each per ordering after 20 warm-up requests. \
         The query asks `id name price {{ amount currencyCode }} stock` and `pageInfo`.\n\
         - SQL: the statement for page {deep_page} run straight on PostgreSQL (median of 50), the keyset statement shaped and bound as the server's versus the OFFSET it avoids.\n",
        bench::machine(),
        args.products,
        args.requests,
    )?;
    writeln!(
        report,
        "| Ordering | page 1 p50 | page {deep_page} p50 | page 1 p99 | page {deep_page} p99 | deep / first (p50) | keyset SQL | OFFSET SQL |\n\
         |---|---|---|---|---|---|---|---|"
    )?;
    let mut plans = String::new();
    for ordering in orderings() {
        // Walk to the deep page's cursor, checking the walk on the way.
        let mut after = Value::Null;
        for page in 1..deep_page {
            let products = fetch_page(&http, &server.url, &ordering, &after).await?;
            ensure!(
                products["pageInfo"]["hasNextPage"] == true,
                "page {page} is not the last"
            );
            after = products["pageInfo"]["endCursor"].clone();
        }
        let last = fetch_page(&http, &server.url, &ordering, &after).await?;
        ensure!(
            last["pageInfo"]["hasNextPage"] == false,
            "page {deep_page} is the last"
        );
        for _ in 0..20 {
            timed_page(&http, &server.url, &ordering, &Value::Null).await?;
            timed_page(&http, &server.url, &ordering, &after).await?;
        }
        let (mut first, mut deep) = (Vec::new(), Vec::new());
        for _ in 0..args.requests {
            first.push(timed_page(&http, &server.url, &ordering, &Value::Null).await?);
            deep.push(timed_page(&http, &server.url, &ordering, &after).await?);
        }
        let (first, deep) = (Latency::of(first), Latency::of(deep));
        let statements = statements(&db, &ordering, args.products).await?;
        let keyset_ms = median_sql_time(&db, &statements.deep, 50).await?;
        let offset_ms = median_sql_time(&db, &statements.offset, 50).await?;
        writeln!(
            report,
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {keyset_ms:.2} ms | {offset_ms:.2} ms |",
            ordering.label,
            first.p50,
            deep.p50,
            first.p99,
            deep.p99,
            deep.p50 / first.p50,
        )?;
        eprintln!(
            "{}: page 1 p50 {:.2} ms (p90 {:.2}), page {deep_page} p50 {:.2} ms (p90 {:.2})",
            ordering.label, first.p50, first.p90, deep.p50, deep.p90
        );
        writeln!(
            plans,
            "- {}\n  - page 1: `{}`\n    - plan: {}\n  - page {deep_page}: `{}` with {:?}\n    - plan: {}",
            ordering.label,
            statements.first.sql,
            plan(&db, &statements.first).await?,
            statements.deep.sql,
            statements
                .deep
                .values
                .as_ref()
                .map(|values| values.0.clone())
                .unwrap_or_default(),
            plan(&db, &statements.deep).await?,
        )?;
    }
    writeln!(
        report,
        "\nThe statements and their plans (`EXPLAIN`). Page 1 reads the ordering's index; on page {deep_page} \
         only {PAGE_SIZE} rows lie beyond the cursor, and PostgreSQL may pick them from the index and sort them.\n\n{plans}"
    )?;
    server.child.kill().await.ok();
    db.close().await?;
    cluster.stop()?;
    if let Some(dir) = args.output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.output, &report)?;
    println!("{report}");
    eprintln!("wrote {}", args.output.display());
    drop(server);
    Ok(())
}
