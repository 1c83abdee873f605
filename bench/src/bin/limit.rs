//! The limit: what the benchmark's scenarios cost with no GraphQL at all.
//!
//! A minimal axum endpoint that answers the benchmark's operations (by
//! `operationName`) with the SQL shopgraph runs for them, written by hand
//! against sqlx, and the same JSON shopgraph returns. What remains is the
//! cost of HTTP, JSON and PostgreSQL; no server doing more can be faster,
//! so shopgraph's throughput is reported as a fraction of this one's.
//!
//! Usage: `limit <postgres-url> <listen-address>`; prints
//! `listening on <address>` once it accepts connections.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sea_orm::sqlx::{self, Row};
use serde::Deserialize;
use serde_json::{Value, json};

/// shopgraph's default pool size, so both wait on PostgreSQL alike.
const POOL_SIZE: u32 = 10;
const CURRENCY: &str = "USD";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    operation_name: String,
    #[serde(default)]
    variables: HashMap<String, Value>,
}

type Answer = Result<Value, Failure>;

/// Any failure: the benchmark counts it as an error.
struct Failure(String);

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Failure {
        Failure(err.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "errors": [{ "message": self.0 }] })),
        )
            .into_response()
    }
}

fn global_id(kind: &str, key: i64) -> String {
    STANDARD.encode(format!("{kind}:{key}"))
}

fn key_of(request: &Request, variable: &str) -> Result<i64, Failure> {
    let bad = || Failure(format!("`{variable}` is not an ID"));
    let id = request
        .variables
        .get(variable)
        .and_then(Value::as_str)
        .ok_or_else(bad)?;
    let decoded = String::from_utf8(STANDARD.decode(id).map_err(|_| bad())?).map_err(|_| bad())?;
    decoded
        .split_once(':')
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(bad)
}

fn money(minor_units: i64) -> Value {
    let sign = if minor_units < 0 { "-" } else { "" };
    let units = minor_units.unsigned_abs();
    json!({ "amount": format!("{sign}{}.{:02}", units / 100, units % 100), "currencyCode": CURRENCY })
}

fn product(row: &PgRow) -> Value {
    json!({
        "id": global_id("Product", row.get("id")),
        "name": row.get::<String, _>("name"),
        "price": money(row.get("price")),
        "stock": row.get::<i64, _>("stock"),
    })
}

async fn graphql(
    State(pool): State<PgPool>,
    Json(request): Json<Request>,
) -> Result<Json<Value>, Failure> {
    let data = match request.operation_name.as_str() {
        "Products" => products(&pool).await?,
        "Product" => product_by_id(&pool, key_of(&request, "id")?).await?,
        "Carts" => carts(&pool).await?,
        "AddCartLines" => add_cart_line(&pool, &request).await?,
        "Checkout" => checkout(&pool, key_of(&request, "cartId")?).await?,
        "RemoveCartDiscountCode" => remove_code(&pool, key_of(&request, "cartId")?).await?,
        "CustomerCarts" => customer_carts(&pool, key_of(&request, "id")?).await?,
        "OrderHistory" => order_history(&pool, key_of(&request, "id")?).await?,
        other => return Err(Failure(format!("unknown operation {other}"))),
    };
    Ok(Json(json!({ "data": data })))
}

async fn products(pool: &PgPool) -> Answer {
    let rows = sqlx::query("SELECT id, name, price, stock FROM product ORDER BY id LIMIT 21")
        .fetch_all(pool)
        .await?;
    let nodes: Vec<Value> = rows.iter().take(20).map(product).collect();
    Ok(json!({ "products": { "nodes": nodes } }))
}

async fn product_by_id(pool: &PgPool, id: i64) -> Answer {
    let row = sqlx::query("SELECT id, name, description, price, stock FROM product WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(json!({ "product": row.map(|row| {
        let mut value = product(&row);
        value["description"] = json!(row.get::<Option<String>, _>("description"));
        value
    }) }))
}

/// The lines of `cart_ids` with their products: two statements, as shopgraph
/// batches them.
async fn lines_of(pool: &PgPool, cart_ids: &[i64]) -> Result<HashMap<i64, Vec<Value>>, Failure> {
    let lines = sqlx::query(
        "SELECT cart_id, variant_id AS product_id, quantity FROM cart_line WHERE cart_id = ANY($1) ORDER BY cart_id, variant_id",
    )
    .bind(cart_ids)
    .fetch_all(pool)
    .await?;
    let product_ids: Vec<i64> = lines.iter().map(|row| row.get("product_id")).collect();
    let products: HashMap<i64, Value> =
        sqlx::query("SELECT id, name, price, stock FROM product WHERE id = ANY($1)")
            .bind(&product_ids)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| (row.get("id"), product(row)))
            .collect();
    let mut by_cart: HashMap<i64, Vec<Value>> = HashMap::new();
    for line in &lines {
        let product_id: i64 = line.get("product_id");
        by_cart.entry(line.get("cart_id")).or_default().push(json!({
            "quantity": line.get::<i32, _>("quantity"),
            "product": products.get(&product_id),
        }));
    }
    Ok(by_cart)
}

async fn carts(pool: &PgPool) -> Answer {
    let carts = sqlx::query("SELECT id, customer_id FROM cart ORDER BY id LIMIT 51")
        .fetch_all(pool)
        .await?;
    let carts = &carts[..carts.len().min(50)];
    let cart_ids: Vec<i64> = carts.iter().map(|row| row.get("id")).collect();
    let customer_ids: Vec<i64> = carts.iter().map(|row| row.get("customer_id")).collect();
    let customers: HashMap<i64, Value> = sqlx::query(
        "SELECT id, name FROM customer WHERE id = ANY($1)",
    )
    .bind(&customer_ids)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let id: i64 = row.get("id");
        (
            id,
            json!({ "id": global_id("Customer", id), "name": row.get::<String, _>("name") }),
        )
    })
    .collect();
    let mut lines = lines_of(pool, &cart_ids).await?;
    let nodes: Vec<Value> = carts
        .iter()
        .map(|row| {
            let id: i64 = row.get("id");
            json!({
                "id": global_id("Cart", id),
                "customer": customers.get(&row.get::<i64, _>("customer_id")),
                "lines": lines.remove(&id).unwrap_or_default(),
            })
        })
        .collect();
    Ok(json!({ "carts": { "nodes": nodes } }))
}

async fn customer_carts(pool: &PgPool, id: i64) -> Answer {
    let Some(customer) = sqlx::query("SELECT id, name, email FROM customer WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(json!({ "customer": null }));
    };
    let carts = sqlx::query("SELECT id FROM cart WHERE customer_id = $1 ORDER BY id LIMIT 11")
        .bind(id)
        .fetch_all(pool)
        .await?;
    let cart_ids: Vec<i64> = carts.iter().take(10).map(|row| row.get("id")).collect();
    let mut lines = lines_of(pool, &cart_ids).await?;
    let nodes: Vec<Value> = cart_ids
        .iter()
        .map(|id| json!({ "id": global_id("Cart", *id), "lines": lines.remove(id).unwrap_or_default() }))
        .collect();
    Ok(json!({ "customer": {
        "id": global_id("Customer", id),
        "name": customer.get::<String, _>("name"),
        "email": customer.get::<String, _>("email"),
        "carts": { "nodes": nodes },
    } }))
}

/// A customer's newest 20 orders with their lines and the lines'
/// products: the customer, a page of orders, their lines, their products.
async fn order_history(pool: &PgPool, id: i64) -> Answer {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM customer WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    if exists.is_none() {
        return Ok(json!({ "customer": null }));
    }
    let orders: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        r#"SELECT id, placed_at FROM "order" WHERE customer_id = $1
           ORDER BY placed_at DESC, id DESC LIMIT 21"#,
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let orders = &orders[..orders.len().min(20)];
    let order_ids: Vec<i64> = orders.iter().map(|(id, _)| *id).collect();
    let lines: Vec<(i64, i64, Option<i64>, String, i64, i32)> = sqlx::query_as(
        "SELECT id, order_id, product_id, product_name, unit_price, quantity
         FROM order_line WHERE order_id = ANY($1) ORDER BY id",
    )
    .bind(&order_ids)
    .fetch_all(pool)
    .await?;
    let product_ids: Vec<i64> = lines.iter().filter_map(|line| line.2).collect();
    let products: HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM product WHERE id = ANY($1)")
            .bind(&product_ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let mut by_order: HashMap<i64, Vec<Value>> = HashMap::new();
    for (_, order_id, product_id, name, price, quantity) in lines {
        let product = product_id.and_then(|product_id| {
            let name = products.get(&product_id)?;
            Some(json!({ "id": global_id("Product", product_id), "name": name }))
        });
        by_order.entry(order_id).or_default().push(json!({
            "productName": name,
            "quantity": quantity,
            "unitPrice": money(price),
            "product": product,
        }));
    }
    let nodes: Vec<Value> = orders
        .iter()
        .map(|(order_id, placed_at)| {
            json!({
                "id": global_id("Order", *order_id),
                "number": order_id,
                "placedAt": placed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "lines": by_order.remove(order_id).unwrap_or_default(),
            })
        })
        .collect();
    Ok(json!({ "customer": { "orders": { "nodes": nodes } } }))
}

/// One line added in one transaction: the open cart touched (and locked),
/// the product read, the line upserted, its quantity checked against stock.
async fn add_cart_line(pool: &PgPool, request: &Request) -> Answer {
    let cart_id = key_of(request, "cartId")?;
    let product_id = key_of(request, "productId")?;
    let mut txn = pool.begin().await?;
    let cart = sqlx::query(
        "UPDATE cart SET updated_at = now() WHERE id = $1 AND checked_out_at IS NULL RETURNING id",
    )
    .bind(cart_id)
    .fetch_optional(&mut *txn)
    .await?;
    if cart.is_none() {
        return Err(Failure("the cart is not open".into()));
    }
    // The benchmark's products have one variant each, with the same id.
    let stock: Option<i32> = sqlx::query_scalar("SELECT stock FROM product_variant WHERE id = $1")
        .bind(product_id)
        .fetch_optional(&mut *txn)
        .await?;
    let Some(stock) = stock else {
        return Err(Failure("no such product".into()));
    };
    let quantity: i32 = sqlx::query_scalar(
        "INSERT INTO cart_line (cart_id, variant_id, quantity) VALUES ($1, $2, 1)
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_line.quantity + excluded.quantity
         RETURNING quantity",
    )
    .bind(cart_id)
    .bind(product_id)
    .fetch_one(&mut *txn)
    .await?;
    if quantity > stock {
        // Refused as shopgraph refuses it: a user error, nothing written.
        txn.rollback().await?;
        return Ok(json!({ "addCartLines": { "cart": null, "userErrors": [{
            "field": ["lines", "0", "quantity"],
            "code": "INSUFFICIENT_STOCK",
            "message": format!("Only {stock} in stock; the line needs {quantity}"),
        }] } }));
    }
    txn.commit().await?;
    Ok(
        json!({ "addCartLines": { "cart": { "id": global_id("Cart", cart_id) }, "userErrors": [] } }),
    )
}

/// The flash sale's buyer who finds the code used up takes it off.
async fn remove_code(pool: &PgPool, cart_id: i64) -> Answer {
    sqlx::query("DELETE FROM cart_discount_code WHERE cart_id = $1")
        .bind(cart_id)
        .execute(pool)
        .await?;
    Ok(json!({ "removeCartDiscountCode": { "userErrors": [] } }))
}

/// A code on a cart, as the flash sale has them (percentages).
struct CartCode {
    id: i64,
    code: String,
    percent_ppm: Option<i32>,
    usage_limit: Option<i32>,
    used_count: i32,
}

/// `amount × ppm / 1,000,000`, half up, as shopgraph rounds.
fn share(amount: i64, ppm: i64) -> i64 {
    (amount * ppm + 500_000) / 1_000_000
}

fn code_unavailable() -> Value {
    json!({ "checkout": { "order": null, "userErrors": [{
        "field": ["cartId"], "code": "DISCOUNT_CODE_UNAVAILABLE", "message": "The code has been used up",
    }] } })
}

/// The flash sale's checkout, statement for statement as shopgraph's:
/// close the cart (returning its customer's email and where it ships),
/// read its lines, its codes, its rate and its tax; take each line's units
/// from stock if they are there (the update returns the name and price
/// sold); then write the order with what it charged and count the code's
/// use in the same statement. Refused for want of stock, or for a code
/// used up, as shopgraph refuses them.
async fn checkout(pool: &PgPool, cart_id: i64) -> Answer {
    let now = chrono::Utc::now();
    let mut txn = pool.begin().await?;
    type Closed = (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let closed: Option<Closed> = sqlx::query_as(
        "UPDATE cart SET checked_out_at = $2, updated_at = $2
         WHERE id = $1 AND checked_out_at IS NULL AND customer_id IS NOT NULL
         RETURNING customer_id, (SELECT email FROM customer WHERE customer.id = cart.customer_id),
           shipping_address::jsonb->>'countryCode', shipping_address::jsonb->>'provinceCode', shipping_rate_id, shipping_address",
    )
    .bind(cart_id)
    .bind(now)
    .fetch_optional(&mut *txn)
    .await?;
    let Some((Some(customer_id), Some(email), Some(country), province, Some(rate_id), address)) =
        closed
    else {
        return Err(Failure("the cart is not open, or does not ship".into()));
    };
    let lines: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT variant_id AS product_id, quantity FROM cart_line WHERE cart_id = $1 ORDER BY variant_id",
    )
    .bind(cart_id)
    .fetch_all(&mut *txn)
    .await?;
    if lines.is_empty() {
        return Err(Failure("the cart is empty".into()));
    }
    type CodeRow = (i64, String, Option<i32>, Option<i32>, i32);
    let codes: Vec<CodeRow> = sqlx::query_as(
        "SELECT discount_code.id, discount_code.code, discount_code.percent_ppm, discount_code.usage_limit, discount_code.used_count
         FROM cart_discount_code JOIN discount_code ON discount_code.id = cart_discount_code.discount_code_id
         WHERE cart_discount_code.cart_id = $1 ORDER BY cart_discount_code.created_at, discount_code.id",
    )
    .bind(cart_id)
    .fetch_all(&mut *txn)
    .await?;
    let codes: Vec<CartCode> = codes
        .into_iter()
        .map(
            |(id, code, percent_ppm, usage_limit, used_count)| CartCode {
                id,
                code,
                percent_ppm,
                usage_limit,
                used_count,
            },
        )
        .collect();
    if codes.iter().any(|code| {
        code.usage_limit
            .is_some_and(|limit| code.used_count >= limit)
    }) {
        txn.rollback().await?;
        return Ok(code_unavailable());
    }
    let rate: Option<(String, i64)> = sqlx::query_as(
        "SELECT title, price FROM shipping_rate WHERE id = $1
         AND zone_id IN (SELECT zone_id FROM shipping_zone_country WHERE country_code = $2)",
    )
    .bind(rate_id)
    .bind(&country)
    .fetch_optional(&mut *txn)
    .await?;
    let Some((rate_title, shipping)) = rate else {
        return Err(Failure("no shipping rate".into()));
    };
    let tax: Option<(i32, String)> = sqlx::query_as(
        "SELECT rate_ppm, title FROM tax_rate WHERE country_code = $1 AND province_code IN ('', $2)
         ORDER BY province_code DESC LIMIT 1",
    )
    .bind(&country)
    .bind(province.unwrap_or_default())
    .fetch_optional(&mut *txn)
    .await?;
    let mut sold = Vec::with_capacity(lines.len());
    let mut short = Vec::new();
    for &(product_id, quantity) in &lines {
        // The variant's units, then its product's total, as shopgraph
        // takes them (one variant per product here, with the same id).
        let taken: Option<(i64,)> = sqlx::query_as(
            "UPDATE product_variant SET stock = stock - $2, updated_at = $3 WHERE id = $1 AND stock >= $2
             RETURNING price",
        )
        .bind(product_id)
        .bind(quantity)
        .bind(now)
        .fetch_optional(&mut *txn)
        .await?;
        let taken = match taken {
            Some((price,)) => {
                let (name,): (String,) = sqlx::query_as(
                    "UPDATE product SET stock = stock - $2, updated_at = $3 WHERE id = $1 RETURNING name",
                )
                .bind(product_id)
                .bind(i64::from(quantity))
                .bind(now)
                .fetch_one(&mut *txn)
                .await?;
                Some((name, price))
            }
            None => None,
        };
        match taken {
            Some((name, price)) => sold.push((
                product_id,
                name,
                price,
                quantity,
                price * i64::from(quantity),
            )),
            None => short.push(product_id),
        }
    }
    if !short.is_empty() {
        let products: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, stock FROM product WHERE id = ANY($1)")
                .bind(&short)
                .fetch_all(&mut *txn)
                .await?;
        txn.rollback().await?;
        let errors: Vec<Value> = products
            .iter()
            .map(|(name, stock)| {
                json!({
                    "field": ["cartId"],
                    "code": "INSUFFICIENT_STOCK",
                    "message": format!("Only {stock} of \u{201c}{name}\u{201d} in stock"),
                })
            })
            .collect();
        return Ok(json!({ "checkout": { "order": null, "userErrors": errors } }));
    }
    let subtotal: i64 = sold.iter().map(|line| line.4).sum();
    let total_quantity: i64 = lines.iter().map(|(_, quantity)| i64::from(*quantity)).sum();
    // The first code applies, per line, half up; the tax once on what is
    // left, split across the lines (the remainder on the first).
    let percent = codes
        .first()
        .and_then(|code| code.percent_ppm)
        .map_or(0, i64::from);
    let line_discounts: Vec<i64> = sold.iter().map(|line| share(line.4, percent)).collect();
    let discount: i64 = line_discounts.iter().sum();
    let (tax_ppm, tax_title) =
        tax.map_or((0, String::new()), |(ppm, title)| (i64::from(ppm), title));
    let tax_amount = share(subtotal - discount, tax_ppm);
    let mut line_taxes: Vec<i64> = sold
        .iter()
        .zip(&line_discounts)
        .map(|(line, off)| (line.4 - off) * tax_amount / (subtotal - discount).max(1))
        .collect();
    let allocated: i64 = line_taxes.iter().sum();
    if let Some(first) = line_taxes.first_mut() {
        *first += tax_amount - allocated;
    }
    let total = subtotal - discount + shipping + tax_amount;
    let applied: Vec<i64> = codes.iter().take(1).map(|code| code.id).collect();
    let code_json = json!(
        codes
            .iter()
            .enumerate()
            .map(|(i, code)| json!({ "code": code.code, "applied": i == 0 }))
            .collect::<Vec<_>>()
    )
    .to_string();
    let tax_json =
        json!([{ "title": tax_title, "ppm": tax_ppm, "amount": tax_amount.to_string() }])
            .to_string();
    // The order and its lines in one statement, as shopgraph writes them
    // on PostgreSQL.
    let mut insert = sqlx::QueryBuilder::new(
        r#"WITH placed AS (
  INSERT INTO "order" (customer_id, email, currency, status, placed_at, subtotal, total_quantity, cart_id,
    shipping_address, shipping_title, shipping_price, discount, tax, total, discount_codes, tax_lines)
  VALUES ("#,
    );
    let mut order = insert.separated(", ");
    order
        .push_bind(customer_id)
        .push_bind(email)
        .push_bind(CURRENCY)
        .push_bind("PLACED")
        .push_bind(now)
        .push_bind(subtotal)
        .push_bind(total_quantity)
        .push_bind(cart_id)
        .push_bind(address)
        .push_bind(rate_title)
        .push_bind(shipping)
        .push_bind(discount)
        .push_bind(tax_amount)
        .push_bind(total)
        .push_bind(code_json)
        .push_bind(tax_json);
    insert.push(
        ") RETURNING id
), used AS (
  UPDATE discount_code SET used_count = used_count + 1
  WHERE id IN (SELECT id FROM discount_code WHERE id = ANY(",
    );
    insert.push_bind(applied.clone());
    insert.push(
        ") ORDER BY id FOR UPDATE) AND (usage_limit IS NULL OR used_count < usage_limit) RETURNING id
), lines AS (
  INSERT INTO order_line (order_id, product_id, product_name, unit_price, quantity, line_total, discount_allocation, tax)
  SELECT placed.id, line.product_id, line.product_name, line.unit_price, line.quantity, line.line_total, line.discount_allocation, line.tax
  FROM placed, (",
    );
    let rows = sold
        .into_iter()
        .zip(line_discounts.into_iter().zip(line_taxes));
    insert.push_values(
        rows,
        |mut row, ((product_id, name, price, quantity, total), (off, tax))| {
            row.push_bind(product_id)
                .push_unseparated("::bigint")
                .push_bind(name)
                .push_unseparated("::text")
                .push_bind(price)
                .push_unseparated("::bigint")
                .push_bind(quantity)
                .push_unseparated("::integer")
                .push_bind(total)
                .push_unseparated("::bigint")
                .push_bind(off)
                .push_unseparated("::bigint")
                .push_bind(tax)
                .push_unseparated("::bigint");
        },
    );
    insert.push(
        ") AS line (product_id, product_name, unit_price, quantity, line_total, discount_allocation, tax)
)
SELECT id, (SELECT count(*) FROM used) FROM placed",
    );
    let (order_id, used): (i64, i64) = insert.build_query_as().fetch_one(&mut *txn).await?;
    if used != applied.len() as i64 {
        txn.rollback().await?;
        return Ok(code_unavailable());
    }
    txn.commit().await?;
    Ok(json!({
        "checkout": { "order": { "id": global_id("Order", order_id) }, "userErrors": [] }
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(database_url), Some(listen)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: limit <postgres-url> <listen-address>");
    };
    let pool = PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(&database_url)
        .await?;
    let app = Router::new()
        .route("/graphql", post(graphql))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
