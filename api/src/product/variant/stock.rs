//! Moving units in and out of stock in a constant number of statements,
//! however many lines: checkout takes them ([`Direction::Take`]: one
//! conditional update of all the variants, `stock = stock − n … WHERE
//! stock >= n` joined with the lines' quantities, whose returned rows say
//! which lines had their units — the database decides, so racing
//! checkouts on any number of instances never oversell — then one update
//! of the products' totals); cancelling an order gives them back
//! ([`Direction::GiveBack`], to the variants that still exist).
//!
//! A statement that updates several rows locks them in whatever order it
//! meets them, so two checkouts sharing variants could deadlock; on
//! PostgreSQL, when there are several, they are first locked in id order
//! (`SELECT … ORDER BY id FOR UPDATE`), the order every writer of variants
//! and products takes. SQLite's writers take turns: no row locks.

use chrono::{DateTime, Utc};
use entity::{product, product_variant};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};

/// Which way units move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Out of stock, only where the stock holds them (a sale).
    Take,
    /// Back into stock (a cancelled sale).
    GiveBack,
}

impl Direction {
    fn sign(self) -> &'static str {
        match self {
            Direction::Take => "-",
            Direction::GiveBack => "+",
        }
    }
}

/// Moves `units` of each `(variant, units)` (distinct variants); taking
/// only from variants whose stock holds them. Returns the variants moved,
/// as updated: a variant missing from the answer lacked stock or is gone.
pub async fn move_variant_stock(
    db: &impl ConnectionTrait,
    lines: &[(i64, i64)],
    direction: Direction,
    now: DateTime<Utc>,
) -> Result<Vec<product_variant::Model>, DbErr> {
    if lines.len() > 1 && db.get_database_backend() == DbBackend::Postgres {
        let _locked: Vec<i64> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::Id)
            .filter(product_variant::Column::Id.is_in(lines.iter().map(|(id, _)| *id)))
            .order_by_asc(product_variant::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .all(db)
            .await?;
    }
    let pairs = lines
        .iter()
        .map(|(id, units)| (Value::from(*id), Value::from(*units)));
    let set = format!(
        "stock = product_variant.stock {} taken.units, updated_at = {{now}}",
        direction.sign()
    );
    let join = match direction {
        Direction::Take => {
            "product_variant.id = taken.key AND product_variant.stock >= taken.units"
        }
        Direction::GiveBack => "product_variant.id = taken.key",
    };
    let statement = update_joined(
        db.get_database_backend(),
        "product_variant",
        &set,
        join,
        now,
        pairs,
    );
    product_variant::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}

/// Moves each product's total by the units its variants moved, `(product,
/// units)` distinct products; returns the products as updated (their names
/// as sold).
pub async fn move_product_stock(
    db: &impl ConnectionTrait,
    units: &[(i64, i64)],
    direction: Direction,
    now: DateTime<Utc>,
) -> Result<Vec<product::Model>, DbErr> {
    if units.len() > 1 && db.get_database_backend() == DbBackend::Postgres {
        let _locked: Vec<i64> = product::Entity::find()
            .select_only()
            .column(product::Column::Id)
            .filter(product::Column::Id.is_in(units.iter().map(|(id, _)| *id)))
            .order_by_asc(product::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .all(db)
            .await?;
    }
    let pairs = units
        .iter()
        .map(|(id, units)| (Value::from(*id), Value::from(*units)));
    let set = format!(
        "stock = product.stock {} taken.units, updated_at = {{now}}",
        direction.sign()
    );
    let statement = update_joined(
        db.get_database_backend(),
        "product",
        &set,
        "product.id = taken.key",
        now,
        pairs,
    );
    product::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}

/// `UPDATE table SET set FROM (key, units pairs) AS taken WHERE join
/// RETURNING table's columns`, in the backend's placeholders; `{now}` in
/// `set` is the time. The pairs are a `VALUES` list read through
/// `column1`/`column2`, which both engines name so.
fn update_joined(
    backend: DbBackend,
    table: &str,
    set: &str,
    join: &str,
    now: DateTime<Utc>,
    pairs: impl Iterator<Item = (Value, Value)>,
) -> Statement {
    let mut values = vec![Value::from(now)];
    let mut rows = Vec::new();
    let mut placeholder = |value: Value| {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let now_at = match backend {
        DbBackend::Postgres => "$1".to_owned(),
        _ => "?".to_owned(),
    };
    for (key, units) in pairs {
        let key = placeholder(key);
        let units = placeholder(units);
        rows.push(format!("(CAST({key} AS BIGINT), CAST({units} AS BIGINT))"));
    }
    let set = set.replace("{now}", &now_at);
    // PostgreSQL returns the joined columns too unless told the table's;
    // SQLite returns only the table's, and refuses `table.*` there.
    let returning = match backend {
        DbBackend::Postgres => format!("{table}.*"),
        _ => "*".to_owned(),
    };
    let sql = format!(
        "UPDATE {table} SET {set} \
         FROM (SELECT column1 AS key, column2 AS units FROM (VALUES {}) AS pairs) AS taken \
         WHERE {join} RETURNING {returning}",
        rows.join(", ")
    );
    Statement::from_sql_and_values(backend, sql, values)
}
