//! Placing an order: the snapshot a checkout writes in its transaction.

use chrono::{DateTime, Utc};
use entity::{order, order_line, product_variant};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Statement, Value};

use super::types::OrderStatus;
use crate::error::{MutationError, UserError};
use crate::money::Currency;

/// The customer checking out: the order records who, and the email to
/// reach them at, as it was then.
pub struct Buyer {
    pub id: i64,
    pub email: String,
}

/// A line as sold: the variant as the stock update returned it (its price,
/// title and SKU as sold), its product's name and its options then, and
/// the quantity.
pub struct SoldLine {
    pub product_name: String,
    pub variant: product_variant::Model,
    /// (option name, value), in the product's option order.
    pub selected_options: Vec<(String, String)>,
    pub quantity: i32,
}

impl SoldLine {
    /// The options as an order line keeps them: a JSON list of
    /// `{"name", "value"}`.
    fn options_json(&self) -> String {
        let options: Vec<serde_json::Value> = self
            .selected_options
            .iter()
            .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
            .collect();
        serde_json::Value::Array(options).to_string()
    }
}

/// Writes the order of `customer`'s cart `cart_id`, whose lines were just
/// taken from stock (`sold`); with the
/// customer's email and the currency. Refuses (`INVALID`) a subtotal beyond
/// what an order can hold (about 92 quadrillion minor units).
pub async fn place(
    db: &impl ConnectionTrait,
    cart_id: i64,
    customer: &Buyer,
    sold: &[SoldLine],
    currency: &Currency,
    now: DateTime<Utc>,
) -> Result<order::Model, MutationError> {
    let too_large = || {
        MutationError::from(UserError::invalid(
            &["cartId"],
            "The cart's total is more than one order can hold",
        ))
    };
    let mut priced = Vec::with_capacity(sold.len());
    let mut subtotal = 0_i128;
    let mut total_quantity = 0_i64;
    for line in sold {
        let line_total = crate::money::line_total(line.variant.price, line.quantity);
        subtotal += line_total;
        total_quantity += i64::from(line.quantity);
        let line_total = i64::try_from(line_total).map_err(|_| too_large())?;
        priced.push((line, line_total));
    }
    let subtotal = i64::try_from(subtotal).map_err(|_| too_large())?;
    if db.get_database_backend() == DbBackend::Postgres && !priced.is_empty() {
        let order = Placed {
            cart_id,
            customer,
            currency,
            now,
            subtotal,
            total_quantity,
        };
        return Ok(order.insert_with_lines(db, &priced).await?);
    }
    let order = order::Entity::insert(order::ActiveModel {
        id: NotSet,
        customer_id: Set(Some(customer.id)),
        email: Set(Some(customer.email.clone())),
        currency: Set(currency.code.clone()),
        status: Set(OrderStatus::Placed.as_str().to_owned()),
        placed_at: Set(now),
        cancelled_at: Set(None),
        subtotal: Set(subtotal),
        total_quantity: Set(total_quantity),
        cart_id: Set(Some(cart_id)),
    })
    .exec_with_returning(db)
    .await?;
    let rows: Vec<_> = priced
        .into_iter()
        .map(|(line, line_total)| order_line::ActiveModel {
            id: NotSet,
            order_id: Set(order.id),
            product_id: Set(Some(line.variant.product_id)),
            product_name: Set(line.product_name.clone()),
            variant_id: Set(Some(line.variant.id)),
            sku: Set(line.variant.sku.clone()),
            variant_title: Set(line.variant.title.clone()),
            selected_options: Set(line.options_json()),
            unit_price: Set(line.variant.price),
            quantity: Set(line.quantity),
            line_total: Set(line_total),
        })
        .collect();
    if !rows.is_empty() {
        order_line::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(order)
}

/// An order's own columns, as [`place`] computed them.
struct Placed<'a> {
    cart_id: i64,
    customer: &'a Buyer,
    currency: &'a Currency,
    now: DateTime<Utc>,
    subtotal: i64,
    total_quantity: i64,
}

impl Placed<'_> {
    /// PostgreSQL: the order and its lines (variant as sold, quantity, line
    /// total) in one statement, a data-modifying CTE: a checkout holds the
    /// sold products' rows locked from its stock updates to its commit, and
    /// this is one round trip fewer in that time (SQLite has no such CTE;
    /// its writers take turns anyway).
    async fn insert_with_lines(
        &self,
        db: &impl ConnectionTrait,
        lines: &[(&SoldLine, i64)],
    ) -> Result<order::Model, DbErr> {
        let mut values: Vec<Value> = vec![
            self.customer.id.into(),
            self.customer.email.clone().into(),
            self.currency.code.clone().into(),
            OrderStatus::Placed.as_str().into(),
            self.now.into(),
            self.subtotal.into(),
            self.total_quantity.into(),
            self.cart_id.into(),
        ];
        let mut rows = Vec::with_capacity(lines.len());
        for (line, line_total) in lines {
            let first = values.len() + 1;
            rows.push(format!(
                "(${first}::bigint, ${}::text, ${}::bigint, ${}::text, ${}::text, ${}::text, ${}::bigint, ${}::integer, ${}::bigint)",
                first + 1,
                first + 2,
                first + 3,
                first + 4,
                first + 5,
                first + 6,
                first + 7,
                first + 8
            ));
            values.extend([
                line.variant.product_id.into(),
                line.product_name.clone().into(),
                line.variant.id.into(),
                line.variant.sku.clone().into(),
                line.variant.title.clone().into(),
                line.options_json().into(),
                line.variant.price.into(),
                line.quantity.into(),
                (*line_total).into(),
            ]);
        }
        let sql = format!(
            r#"WITH placed AS (
  INSERT INTO "order" (customer_id, email, currency, status, placed_at, cancelled_at, subtotal, total_quantity, cart_id)
  VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8)
  RETURNING id, customer_id, email, currency, status, placed_at, cancelled_at, subtotal, total_quantity, cart_id
), lines AS (
  INSERT INTO order_line (order_id, product_id, product_name, variant_id, sku, variant_title, selected_options, unit_price, quantity, line_total)
  SELECT placed.id, line.product_id, line.product_name, line.variant_id, line.sku, line.variant_title, line.selected_options, line.unit_price, line.quantity, line.line_total
  FROM placed, (VALUES {}) AS line (product_id, product_name, variant_id, sku, variant_title, selected_options, unit_price, quantity, line_total)
)
SELECT * FROM placed"#,
            rows.join(", ")
        );
        order::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotInserted)
    }
}
