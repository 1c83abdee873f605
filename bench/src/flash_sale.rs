//! The flash sale: 200 buyers at once, each with a fresh cart of their
//! own — shipping to Illinois at a chosen rate, taxed, with the sale's
//! discount code entered — add one unit of one of 10 products (15 units
//! each: 150 for 200 buyers) and check out ([`Plan`]). The code has fewer
//! uses than there are units (two thirds of them): a buyer who finds it
//! used up takes it off and checks out at full price. What a shop's
//! hardest moment asks of a server: many writers on the same few rows, and
//! not one unit sold, nor one code use, that is not there.
//!
//! A burst is prepared in the system's database (stock restored, carts
//! made), run over HTTP, and then checked in the database: the units the
//! burst's orders sold of each product, against the stock it had.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use entity::{cart, cart_discount_code, product, product_variant};
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

const REMOVE_CODE: &str = "mutation RemoveCartDiscountCode($cartId: ID!) { removeCartDiscountCode(cartId: $cartId, code: \"FLASH\") { userErrors { field code message } } }";
/// The sale's code: 10% off.
const CODE: &str = "FLASH";
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
    /// Orders carrying the code beyond its uses, over every burst (must
    /// be 0); and those carrying it, to show that it was contested.
    pub code_overused: i64,
    pub code_used: i64,
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

/// The sale's shipping rate (a US zone) and its code, made on first use;
/// the code's uses are reset to none at each burst. Returns (rate, code).
async fn sale_terms(db: &DatabaseConnection, plan: Plan) -> Result<(i64, i64)> {
    let backend = db.get_database_backend();
    // As sea-orm writes timestamps, which both engines read back.
    let now = Utc::now().format("%Y-%m-%d %H:%M:%S%.6f %:z").to_string();
    let uses = i64::from(plan.stock) * plan.hot_products * 2 / 3;
    // Numbers and words of our own, so written into the SQL.
    for sql in [
        format!("INSERT INTO shipping_zone (name, created_at, updated_at) SELECT 'Flash sale', '{now}', '{now}' WHERE NOT EXISTS (SELECT 1 FROM shipping_zone WHERE name = 'Flash sale')"),
        "INSERT INTO shipping_zone_country (country_code, zone_id) SELECT 'US', id FROM shipping_zone WHERE name = 'Flash sale' AND NOT EXISTS (SELECT 1 FROM shipping_zone_country WHERE country_code = 'US')".to_owned(),
        "INSERT INTO shipping_rate (zone_id, position, title, price) SELECT id, 0, 'Standard', 490 FROM shipping_zone WHERE name = 'Flash sale' AND NOT EXISTS (SELECT 1 FROM shipping_rate WHERE title = 'Standard')".to_owned(),
        format!("INSERT INTO tax_rate (country_code, province_code, rate_ppm, title, updated_at) SELECT 'US', 'IL', 62500, 'IL State Tax', '{now}' WHERE NOT EXISTS (SELECT 1 FROM tax_rate WHERE country_code = 'US')"),
        format!("INSERT INTO discount_code (code, code_key, kind, percent_ppm, usage_limit, used_count, once_per_customer, created_at, updated_at) SELECT '{CODE}', '{}', 'PERCENTAGE', 100000, {uses}, 0, false, '{now}', '{now}' WHERE NOT EXISTS (SELECT 1 FROM discount_code WHERE code = '{CODE}')", CODE.to_lowercase()),
        "UPDATE discount_code SET used_count = 0".to_owned(),
    ] {
        db.execute_raw(Statement::from_string(backend, sql)).await?;
    }
    let id = |sql: &str| {
        let sql = sql.to_owned();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await?
                .context("a row")?;
            anyhow::Ok(row.try_get_by_index::<i64>(0)?)
        }
    };
    let rate = id("SELECT id FROM shipping_rate WHERE title = 'Standard'").await?;
    let code = id(&format!(
        "SELECT id FROM discount_code WHERE code = '{CODE}'"
    ))
    .await?;
    Ok((rate, code))
}

/// Where every buyer ships, as a cart stores it.
const ADDRESS: &str = r#"{"firstName":"Ada","lastName":"Buyer","company":null,"address1":"1 Main St","address2":null,"city":"Springfield","provinceCode":"IL","zip":"62701","countryCode":"US","phone":null}"#;

/// Restores the sale's stock and gives each buyer a fresh cart, shipping
/// at the sale's rate with its code; returns the carts, by buyer, and the
/// last order placed before the burst.
async fn prepare(db: &DatabaseConnection, plan: Plan) -> Result<(Vec<i64>, i64)> {
    let (rate, code) = sale_terms(db, plan).await?;
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
        shipping_address: Set(Some(ADDRESS.to_owned())),
        shipping_rate_id: Set(Some(rate)),
        ..Default::default()
    }))
    .exec_with_returning(db)
    .await?;
    cart_discount_code::Entity::insert_many(carts.iter().map(|cart| {
        cart_discount_code::ActiveModel {
            cart_id: Set(cart.id),
            discount_code_id: Set(code),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(db)
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

/// The orders of the burst that carry the code, and how many of them go
/// beyond its uses; an error when its count of uses disagrees.
async fn code_uses(db: &DatabaseConnection, before: i64) -> Result<(i64, i64)> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                r#"SELECT (SELECT COUNT(*) FROM "order" WHERE id > {before} AND discount > 0) AS used,
                          usage_limit, used_count
                   FROM discount_code WHERE code = '{CODE}'"#
            ),
        ))
        .await?
        .context("a row")?;
    let used: i64 = row.try_get("", "used")?;
    let limit: i32 = row.try_get("", "usage_limit")?;
    let counted: i32 = row.try_get("", "used_count")?;
    anyhow::ensure!(
        used == i64::from(counted),
        "{used} orders carry the code, but it counts {counted} uses"
    );
    Ok((used, (used - i64::from(limit)).max(0)))
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
    let answer = match post(http, url, token, checkout.clone()).await {
        Ok(answer) => answer,
        Err(err) => return Outcome::Failed(format!("{err:#}")),
    };
    let mut answer = answer;
    if answer["data"]["checkout"]["userErrors"][0]["code"] == "DISCOUNT_CODE_UNAVAILABLE" {
        // The code ran out: as a shopper would, take it off and buy anyway.
        let remove = json!({
            "operationName": "RemoveCartDiscountCode",
            "query": REMOVE_CODE,
            "variables": { "cartId": cart },
        });
        if let Err(err) = post(http, url, token, remove).await {
            return Outcome::Failed(format!("{err:#}"));
        }
        answer = match post(http, url, token, checkout).await {
            Ok(answer) => answer,
            Err(err) => return Outcome::Failed(format!("{err:#}")),
        };
    }
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
        let (used, overused) = code_uses(db, before).await?;
        sale.code_used += used;
        sale.code_overused += overused;
    }
    Ok(())
}
