//! `cancelOrder(orderId)`: puts an order's units back into stock, exactly
//! once.
//!
//! The order's status moves with one conditional statement,
//! `UPDATE "order" SET status = 'CANCELLED' … WHERE id = ? AND status =
//! 'PLACED'`, whose row count says whether this request is the one that
//! cancels: a concurrent cancel waits for the row (PostgreSQL) or the write
//! lock (SQLite), then matches nothing and answers `ALREADY_CANCELLED`, so
//! units go back once however many cancels race. Stock is restored to the
//! variants, then to their products' totals, each in one statement, locked
//! in id order as checkouts lock them ([`crate::product::variant::stock`]),
//! so cancels and checkouts never deadlock. Lines of deleted variants
//! restore nothing.
//!
//! Who may cancel: staff, any order; a customer, their own order while it
//! is `PLACED` (nothing has shipped: this shop has no fulfilment yet, so a
//! placed order is the customer's to take back, as a store's "cancel
//! order" button before shipping).

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{order, order_line};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::types::{Order, OrderStatus, may_see};
use crate::auth::{self, Viewer};
use crate::error::{ApiResult, MutationError, UserError, UserErrorCode, into_payload};
use crate::ids::{self, NodeKind};
use crate::product::variant::stock::{self, Direction};
use crate::store::events::Event;
use crate::store::write::write;

/// The result of `cancelOrder`.
#[derive(SimpleObject)]
pub struct CancelOrderPayload {
    /// The cancelled order, or null if nothing was cancelled.
    pub order: Option<Order>,
    /// Why nothing was cancelled (`NOT_FOUND`, `ALREADY_CANCELLED`); empty
    /// on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Cancels an order and puts its units back into stock, once. Staff may
    /// cancel any order; a customer their own. Cancelling an order twice is
    /// the user error `ALREADY_CANCELLED` and changes nothing.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to cancel.")] order_id: ID,
    ) -> ApiResult<CancelOrderPayload> {
        let key = ids::decode_as(&order_id, NodeKind::Order, "orderId")?;
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let changed = |cancelled: &Cancelled| {
            let products = cancelled
                .products
                .iter()
                .map(|product| Event::Product(*product));
            std::iter::once(Event::Order(cancelled.order.id))
                .chain(products)
                .collect()
        };
        let outcome = write(ctx, async |txn| cancel(txn, key, viewer).await, changed).await;
        let (cancelled, user_errors) = into_payload(outcome)?;
        Ok(CancelOrderPayload {
            order: cancelled.map(|cancelled| Order(cancelled.order)),
            user_errors,
        })
    }
}

/// A cancelled order, and the products whose stock it restored.
struct Cancelled {
    order: order::Model,
    products: Vec<i64>,
}

async fn cancel(
    db: &impl ConnectionTrait,
    key: i64,
    viewer: Viewer,
) -> Result<Cancelled, MutationError> {
    let not_found = || UserError::not_found(&["orderId"], "Order");
    let visible = order::Entity::find_by_id(key)
        .one(db)
        .await?
        .filter(|row| may_see(viewer, row))
        .ok_or_else(not_found)?;
    let now = Utc::now();
    let moved = order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            Expr::value(OrderStatus::Cancelled.as_str()),
        )
        .col_expr(order::Column::CancelledAt, Expr::value(now))
        .filter(order::Column::Id.eq(visible.id))
        .filter(order::Column::Status.eq(OrderStatus::Placed.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(UserError::new(
            &["orderId"],
            UserErrorCode::AlreadyCancelled,
            format!("Order {} is already cancelled", visible.id),
        )
        .into());
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(visible.id))
        .filter(order_line::Column::VariantId.is_not_null())
        .order_by_asc(order_line::Column::VariantId)
        .all(db)
        .await?;
    // The same variant may be on several lines of an old order: summed.
    let mut per_variant: BTreeMap<i64, i64> = BTreeMap::new();
    for line in &lines {
        if let Some(variant_id) = line.variant_id {
            *per_variant.entry(variant_id).or_default() += i64::from(line.quantity);
        }
    }
    let units: Vec<(i64, i64)> = per_variant
        .iter()
        .map(|(id, units)| (*id, *units))
        .collect();
    let restored = stock::move_variant_stock(db, &units, Direction::GiveBack, now).await?;
    let mut units_per_product: BTreeMap<i64, i64> = BTreeMap::new();
    for variant in &restored {
        *units_per_product.entry(variant.product_id).or_default() += per_variant[&variant.id];
    }
    let totals: Vec<(i64, i64)> = units_per_product
        .iter()
        .map(|(id, units)| (*id, *units))
        .collect();
    stock::move_product_stock(db, &totals, Direction::GiveBack, now).await?;
    let products = units_per_product.into_keys().collect();
    let order = order::Entity::find_by_id(visible.id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok(Cancelled { order, products })
}
