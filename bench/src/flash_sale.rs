//! The flash sale: 200 buyers at once, each with a fresh cart of their
//! own, add one unit of one of 10 products (15 units each: 150 for 200
//! buyers) and check out ([`Plan`]). What a shop's
//! hardest moment asks of a server: many writers on the same few rows, and
//! not one unit sold that is not there.
//!
//! A burst is prepared in the system's database (stock restored, carts
//! made), run over HTTP, and then checked in the database: the units the
//! burst's orders sold of each product, against the stock it had.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use entity::{cart, product, product_variant};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use serde_json::{Value, json};

/// Who buys what in a burst.
#[derive(Clone, Copy)]
pub struct Plan {
    /// Buyers, all at once: customers 1 to `buyers`.
    pub buyers: i64,
    /// The products on sale: 1 to `hot_products`; buyer `n` wants product
    /// `1 + n % hot_products`.
    pub hot_products: i64,
    /// Units of each at the start of a burst: three quarters of the demand
    /// in all, so a quarter of the buyers must be refused.
    pub stock: i32,
}

impl Plan {
    /// 200 buyers of 10 products (15 units each), or as many as the data has.
    pub fn for_data(customers: i64, products: i64) -> Plan {
        let buyers = customers.min(200);
        let hot_products = products.min(10).min(buyers).max(1);
        let stock = i32::try_from((buyers * 3 / 4) / hot_products)
            .unwrap_or(i32::MAX)
            .max(1);
        Plan {
            buyers,
            hot_products,
            stock,
        }
    }
}

const ADD: &str = "mutation AddCartLines($cartId: ID!, $productId: ID!) { addCartLines(cartId: $cartId, lines: [{ productId: $productId, quantity: 1 }]) { cart { id } userErrors { field code message } } }";
const CHECKOUT: &str = "mutation Checkout($cartId: ID!) { checkout(cartId: $cartId) { order { id } userErrors { field code message } } }";

/// What the bursts of one system came to.
#[derive(Default)]
pub struct Sale {
    /// Purchases tried (a buyer's addition and checkout).
    pub attempts: usize,
    /// Checkouts that placed an order.
    pub sold: usize,
    /// Checkouts refused for want of stock (`INSUFFICIENT_STOCK`).
    pub refused: usize,
    /// Anything else: failed requests, errors, other user errors.
    pub errors: usize,
    /// The first such answer, to show.
    pub first_error: Option<String>,
    /// Units sold beyond a product's stock, over every burst (must be 0).
    pub oversold: i64,
    /// Time from the first buyer's start to the last buyer's answer, summed.
    pub wall: Duration,
    /// Each purchase's time, addition and checkout.
    pub latencies: Vec<Duration>,
}

impl Sale {
    /// Purchases tried per second.
    pub fn checkouts_per_second(&self) -> f64 {
        self.attempts as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// The `q` quantile of purchase times, in ms.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return 0.0;
        }
        let at = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[at].as_secs_f64() * 1000.0
    }
}

/// Restores the sale's stock and gives each buyer a fresh cart; returns
/// the carts, by buyer, and the last order placed before the burst.
async fn prepare(db: &DatabaseConnection, plan: Plan) -> Result<(Vec<i64>, i64)> {
    // Each benchmark product has one variant, which holds the stock; the
    // product's total follows it.
    product_variant::Entity::update_many()
        .col_expr(product_variant::Column::Stock, Expr::value(plan.stock))
        .filter(product_variant::Column::ProductId.lte(plan.hot_products))
        .exec(db)
        .await?;
    product::Entity::update_many()
        .col_expr(product::Column::Stock, Expr::value(i64::from(plan.stock)))
        .filter(product::Column::Id.lte(plan.hot_products))
        .exec(db)
        .await?;
    let now = Utc::now();
    let carts = cart::Entity::insert_many((1..=plan.buyers).map(|customer| cart::ActiveModel {
        customer_id: Set(Some(customer)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }))
    .exec_with_returning(db)
    .await?;
    let before = last_order(db).await?;
    Ok((carts.into_iter().map(|cart| cart.id).collect(), before))
}

async fn last_order(db: &DatabaseConnection) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            r#"SELECT COALESCE(MAX(id), 0) AS last FROM "order""#,
        ))
        .await?
        .context("a row")?;
    Ok(row.try_get::<i64>("", "last")?)
}

/// Units sold beyond the stock, by the orders placed after `before`; an
/// error when the stock left does not match what was sold.
async fn oversold(db: &DatabaseConnection, plan: Plan, before: i64) -> Result<i64> {
    let mut beyond = 0;
    for id in 1..=plan.hot_products {
        // Numbers of our own, so written into the SQL: one text for both
        // engines' placeholders.
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    r#"SELECT COALESCE(SUM(order_line.quantity), 0) AS sold,
                              (SELECT stock FROM product_variant WHERE product_id = {id}) AS stock,
                              (SELECT stock FROM product WHERE id = {id}) AS total
                       FROM order_line JOIN "order" ON "order".id = order_line.order_id
                       WHERE "order".id > {before} AND order_line.product_id = {id}"#
                ),
            ))
            .await?
            .context("a row")?;
        let sold: i64 = row.try_get("", "sold")?;
        let stock: i32 = row.try_get("", "stock")?;
        let total: i64 = row.try_get("", "total")?;
        let had = i64::from(plan.stock);
        anyhow::ensure!(
            i64::from(stock) == had - sold && total == i64::from(stock),
            "product {id}: {sold} sold of {had}, but {stock} left ({total} in the product's total)"
        );
        beyond += (sold - had).max(0);
    }
    Ok(beyond)
}

fn global_id(type_name: &str, key: i64) -> String {
    STANDARD.encode(format!("{type_name}:{key}"))
}

/// How a buyer's purchase ended.
enum Outcome {
    Sold,
    Refused,
    Failed(String),
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: Value) -> Result<Value> {
    let answer: Value = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    Ok(answer)
}

/// One buyer: adds a unit of `product` to `cart`, then checks it out.
async fn buy(http: &reqwest::Client, url: &str, token: &str, cart: i64, product: i64) -> Outcome {
    let cart = global_id("Cart", cart);
    let add = json!({
        "operationName": "AddCartLines",
        "query": ADD,
        "variables": { "cartId": cart, "productId": global_id("Product", product) },
    });
    let added = match post(http, url, token, add).await {
        Ok(answer) => answer,
        Err(err) => return Outcome::Failed(format!("{err:#}")),
    };
    // Adding checks the stock too: a buyer who comes after the last unit
    // is refused here already.
    match &added["data"]["addCartLines"]["userErrors"][0]["code"] {
        Value::Null if added.get("errors").is_none() => {}
        code if code == "INSUFFICIENT_STOCK" => return Outcome::Refused,
        _ => return Outcome::Failed(added.to_string()),
    }
    let checkout = json!({
        "operationName": "Checkout",
        "query": CHECKOUT,
        "variables": { "cartId": cart },
    });
    let answer = match post(http, url, token, checkout).await {
        Ok(answer) => answer,
        Err(err) => return Outcome::Failed(format!("{err:#}")),
    };
    let payload = &answer["data"]["checkout"];
    if answer.get("errors").is_none() && payload["order"]["id"].is_string() {
        Outcome::Sold
    } else if payload["userErrors"][0]["code"] == "INSUFFICIENT_STOCK" {
        Outcome::Refused
    } else {
        Outcome::Failed(answer.to_string())
    }
}

/// Runs `bursts` bursts against the server at `url` over `db` (its
/// database), adding them to `sale`.
pub async fn run(
    sale: &mut Sale,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    db: &DatabaseConnection,
    plan: Plan,
    bursts: usize,
) -> Result<()> {
    for _ in 0..bursts {
        let (carts, before) = prepare(db, plan).await?;
        let started = Instant::now();
        let buyers = carts.into_iter().enumerate().map(|(buyer, cart)| {
            let (http, url, token) = (http.clone(), url.to_owned(), token.to_owned());
            let product = 1 + (buyer as i64 % plan.hot_products);
            tokio::spawn(async move {
                let began = Instant::now();
                let outcome = buy(&http, &url, &token, cart, product).await;
                (outcome, began.elapsed())
            })
        });
        let outcomes = futures_util::future::join_all(buyers).await;
        sale.wall += started.elapsed();
        for joined in outcomes {
            let (outcome, took) = joined?;
            sale.attempts += 1;
            sale.latencies.push(took);
            match outcome {
                Outcome::Sold => sale.sold += 1,
                Outcome::Refused => sale.refused += 1,
                Outcome::Failed(answer) => {
                    sale.errors += 1;
                    sale.first_error.get_or_insert(answer);
                }
            }
        }
        sale.oversold += oversold(db, plan, before).await?;
    }
    Ok(())
}
