//! Placing an order: the snapshot a checkout writes in its transaction —
//! what was sold, and what was charged for it, as it was then.

use chrono::{DateTime, Utc};
use entity::{discount_code, discount_code_use, order, order_line, product_variant};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    Statement, Value,
};

use super::types::OrderStatus;
use crate::error::{MutationError, UserError};
use crate::money::Currency;

/// Who checks out: a customer (`id`), or a guest (`None`); and the email
/// to reach them at, as it was then.
pub struct Buyer {
    pub id: Option<i64>,
    pub email: String,
}

/// A line as sold: the variant as the stock update returned it (its price,
/// title and SKU as sold), its product's name and its options then, the
/// quantity, and its shares of the order's discount and tax.
pub struct SoldLine {
    pub product_name: String,
    pub variant: product_variant::Model,
    /// (option name, value), in the product's option order.
    pub selected_options: Vec<(String, String)>,
    pub quantity: i32,
    pub discount: i128,
    pub tax: i128,
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

/// What an order charged, besides its lines, as checkout priced it.
pub struct Charges {
    pub subtotal: i128,
    pub discount: i128,
    /// The shipping rate's price as charged (0 with free shipping).
    pub shipping: i128,
    pub shipping_tax: i128,
    pub tax: i128,
    pub total: i128,
    pub taxes_included: bool,
    /// The shipping rate's title, when one was charged.
    pub shipping_title: Option<String>,
    /// The address as JSON, when the cart had one.
    pub shipping_address: Option<String>,
    /// `[{"code", "applied"}]`, as the order keeps them.
    pub discount_codes: String,
    /// `[{"title", "ppm", "amount"}]`, as the order keeps them.
    pub tax_lines: String,
}

/// The discount codes an order uses: each counted once against its usage
/// limit (`counted`), and the buyer recorded for those limited to one use
/// per customer (`once`: code, buyer key).
#[derive(Default)]
pub struct CodeUses {
    pub counted: Vec<i64>,
    pub once: Vec<(i64, String)>,
}

/// The order about to be written.
pub struct Sale<'a> {
    pub cart_id: i64,
    pub buyer: &'a Buyer,
    pub lines: &'a [SoldLine],
    pub charges: &'a Charges,
    /// A guest's order: the SHA-256 (hex) of the token that reads it.
    pub token_hash: Option<String>,
    /// A guest's checkout: its idempotency key.
    pub idempotency_key: Option<String>,
    pub uses: &'a CodeUses,
    pub currency: &'a Currency,
    pub now: DateTime<Utc>,
}

/// An order written, and whether every code it uses could be used: a code
/// used up, or already used by this buyer, meanwhile (`false`: the caller
/// rolls back).
pub struct Placed {
    pub order: order::Model,
    pub codes_held: bool,
}

/// Writes the order of `sale`, whose lines were just taken from stock, and
/// uses its codes: a conditional `used_count + 1` (while under the limit)
/// and a row per once-per-customer use (its primary key refusing a second)
/// — the database decides, so racing checkouts on any number of instances
/// never use a code more than it allows. Refuses (`INVALID`) an amount
/// beyond what an order can hold (about 92 quadrillion minor units).
pub async fn place(db: &impl ConnectionTrait, sale: &Sale<'_>) -> Result<Placed, MutationError> {
    let too_large = || {
        MutationError::from(UserError::invalid(
            &["cartId"],
            "The cart's total is more than one order can hold",
        ))
    };
    let fit = |amount: i128| i64::try_from(amount).map_err(|_| too_large());
    let charges = sale.charges;
    let order = order::ActiveModel {
        id: NotSet,
        customer_id: Set(sale.buyer.id),
        email: Set(Some(sale.buyer.email.clone())),
        currency: Set(sale.currency.code.clone()),
        status: Set(OrderStatus::Placed.as_str().to_owned()),
        placed_at: Set(sale.now),
        cancelled_at: Set(None),
        subtotal: Set(fit(charges.subtotal)?),
        total_quantity: Set(sale.lines.iter().map(|line| i64::from(line.quantity)).sum()),
        cart_id: Set(Some(sale.cart_id)),
        shipping_address: Set(charges.shipping_address.clone()),
        shipping_title: Set(charges.shipping_title.clone()),
        shipping_price: Set(fit(charges.shipping)?),
        shipping_tax: Set(fit(charges.shipping_tax)?),
        discount: Set(fit(charges.discount)?),
        tax: Set(fit(charges.tax)?),
        total: Set(fit(charges.total)?),
        taxes_included: Set(charges.taxes_included),
        discount_codes: Set(charges.discount_codes.clone()),
        tax_lines: Set(charges.tax_lines.clone()),
        token_hash: Set(sale.token_hash.clone()),
        idempotency_key: Set(sale.idempotency_key.clone()),
    };
    let mut lines = Vec::with_capacity(sale.lines.len());
    for line in sale.lines {
        lines.push(order_line::ActiveModel {
            id: NotSet,
            order_id: NotSet,
            product_id: Set(Some(line.variant.product_id)),
            product_name: Set(line.product_name.clone()),
            variant_id: Set(Some(line.variant.id)),
            sku: Set(line.variant.sku.clone()),
            variant_title: Set(line.variant.title.clone()),
            selected_options: Set(line.options_json()),
            unit_price: Set(line.variant.price),
            quantity: Set(line.quantity),
            line_total: Set(fit(crate::money::line_total(
                line.variant.price,
                line.quantity,
            ))?),
            discount_allocation: Set(fit(line.discount)?),
            tax: Set(fit(line.tax)?),
        });
    }
    if db.get_database_backend() == DbBackend::Postgres && !lines.is_empty() {
        return Ok(insert_with_lines(db, order, lines, sale.uses).await?);
    }
    let used = if sale.uses.counted.is_empty() {
        0
    } else {
        discount_code::Entity::update_many()
            .col_expr(
                discount_code::Column::UsedCount,
                Expr::col(discount_code::Column::UsedCount).add(1),
            )
            .filter(discount_code::Column::Id.is_in(sale.uses.counted.iter().copied()))
            .filter(under_limit())
            .exec(db)
            .await?
            .rows_affected
    };
    let order = order::Entity::insert(order).exec_with_returning(db).await?;
    let recorded = if sale.uses.once.is_empty() {
        0
    } else {
        let rows = sale
            .uses
            .once
            .iter()
            .map(|(code, buyer)| discount_code_use::ActiveModel {
                discount_code_id: Set(*code),
                buyer: Set(buyer.clone()),
                order_id: Set(order.id),
            });
        discount_code_use::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    discount_code_use::Column::DiscountCodeId,
                    discount_code_use::Column::Buyer,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?
    };
    let lines: Vec<_> = lines
        .into_iter()
        .map(|mut line| {
            line.order_id = Set(order.id);
            line
        })
        .collect();
    if !lines.is_empty() {
        order_line::Entity::insert_many(lines)
            .exec_without_returning(db)
            .await?;
    }
    Ok(Placed {
        order,
        codes_held: used == sale.uses.counted.len() as u64
            && recorded == sale.uses.once.len() as u64,
    })
}

/// A code with uses left: no limit, or fewer uses than it.
fn under_limit() -> Condition {
    Condition::any()
        .add(discount_code::Column::UsageLimit.is_null())
        .add(
            Expr::col(discount_code::Column::UsedCount)
                .lt(Expr::col(discount_code::Column::UsageLimit)),
        )
}

/// The value a column of an active model was set to.
fn set(value: &sea_orm::ActiveValue<impl Into<Value> + Clone>) -> Value {
    value.clone().into_value().unwrap_or(Value::Bool(None))
}

#[derive(FromQueryResult)]
struct PlacedRow {
    #[sea_orm(nested)]
    order: order::Model,
    used_codes: i64,
    recorded_uses: i64,
}

/// PostgreSQL: the order, its lines and its codes' uses in one statement,
/// a data-modifying CTE: a checkout holds the sold variants' rows locked
/// from its stock updates to its commit, and this is round trips fewer in
/// that time (SQLite has no such CTE; its writers take turns anyway). The
/// codes are locked in id order, as every checkout locks them.
async fn insert_with_lines(
    db: &impl ConnectionTrait,
    order: order::ActiveModel,
    lines: Vec<order_line::ActiveModel>,
    uses: &CodeUses,
) -> Result<Placed, DbErr> {
    use sea_orm::Iterable;
    let order_columns: Vec<order::Column> = order::Column::iter()
        .filter(|column| !matches!(column, order::Column::Id))
        .collect();
    let mut values: Vec<Value> = order_columns
        .iter()
        .map(|column| set(&sea_orm::ActiveModelTrait::get(&order, *column)))
        .collect();
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
    let line_columns: Vec<order_line::Column> = order_line::Column::iter()
        .filter(|column| !matches!(column, order_line::Column::Id | order_line::Column::OrderId))
        .collect();
    let mut rows = Vec::with_capacity(lines.len());
    for line in &lines {
        let cells: Vec<String> = line_columns
            .iter()
            .map(|column| {
                values.push(set(&sea_orm::ActiveModelTrait::get(line, *column)));
                format!("${}::{}", values.len(), line_cast(*column))
            })
            .collect();
        rows.push(format!("({})", cells.join(", ")));
    }
    let counted: Vec<String> = uses
        .counted
        .iter()
        .map(|code| {
            values.push((*code).into());
            format!("${}::bigint", values.len())
        })
        .collect();
    let once: Vec<String> = uses
        .once
        .iter()
        .map(|(code, buyer)| {
            values.push((*code).into());
            values.push(buyer.clone().into());
            format!("(${}::bigint, ${}::text)", values.len() - 1, values.len())
        })
        .collect();
    let used = if counted.is_empty() {
        "SELECT NULL::bigint AS id WHERE false".to_owned()
    } else {
        format!(
            "UPDATE discount_code SET used_count = used_count + 1 WHERE id IN (SELECT id FROM discount_code WHERE id IN ({}) ORDER BY id FOR UPDATE) AND (usage_limit IS NULL OR used_count < usage_limit) RETURNING id",
            counted.join(", ")
        )
    };
    let recorded = if once.is_empty() {
        "SELECT 1 WHERE false".to_owned()
    } else {
        format!(
            "INSERT INTO discount_code_use (discount_code_id, buyer, order_id) SELECT code, buyer, placed.id FROM placed, (VALUES {}) AS used (code, buyer) ON CONFLICT DO NOTHING RETURNING 1",
            once.join(", ")
        )
    };
    let name = |column: &dyn sea_orm::sea_query::Iden| format!("\"{}\"", column.to_string());
    let order_names: Vec<String> = order_columns.iter().map(|c| name(c)).collect();
    let line_names: Vec<String> = line_columns.iter().map(|c| name(c)).collect();
    let sql = format!(
        r#"WITH placed AS (
  INSERT INTO "order" ({order_cols}) VALUES ({placeholders}) RETURNING *
), lines AS (
  INSERT INTO order_line (order_id, {line_cols})
  SELECT placed.id, {line_values} FROM placed, (VALUES {rows}) AS line ({line_cols})
), used AS ({used}), recorded AS ({recorded})
SELECT placed.*, (SELECT count(*) FROM used) AS used_codes, (SELECT count(*) FROM recorded) AS recorded_uses FROM placed"#,
        order_cols = order_names.join(", "),
        placeholders = placeholders.join(", "),
        line_cols = line_names.join(", "),
        line_values = line_names
            .iter()
            .map(|name| format!("line.{name}"))
            .collect::<Vec<_>>()
            .join(", "),
        rows = rows.join(", "),
    );
    let row = PlacedRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .one(db)
    .await?
    .ok_or(DbErr::RecordNotInserted)?;
    Ok(Placed {
        codes_held: row.used_codes == uses.counted.len() as i64
            && row.recorded_uses == uses.once.len() as i64,
        order: row.order,
    })
}

/// The PostgreSQL type of an order line column, for its `VALUES` cells
/// (untyped parameters in `VALUES` would all be text).
fn line_cast(column: order_line::Column) -> &'static str {
    use order_line::Column::*;
    match column {
        ProductName | Sku | VariantTitle | SelectedOptions => "text",
        Quantity => "integer",
        _ => "bigint",
    }
}
