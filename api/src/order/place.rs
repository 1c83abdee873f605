//! Placing an order: the snapshot a checkout writes in its transaction.

use chrono::{DateTime, Utc};
use entity::{cart_product, customer, order, order_line, product};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::OrderStatus;
use crate::error::{ApiError, MutationError, UserError};
use crate::money::Currency;

/// Writes the order of `customer_id`'s cart `cart_id`, whose `lines` were
/// just taken from stock: each line's product name and price as they are
/// now (inside the checkout's transaction, so as they were sold), the
/// customer's email, the currency. Refuses (`INVALID`) a subtotal beyond
/// what an order can hold (about 92 quadrillion minor units).
pub async fn place(
    db: &impl ConnectionTrait,
    cart_id: i64,
    customer_id: i64,
    lines: &[cart_product::Model],
    currency: &Currency,
    now: DateTime<Utc>,
) -> Result<order::Model, MutationError> {
    let customer = customer::Entity::find_by_id(customer_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::from(anyhow::anyhow!(
                "customer {customer_id} vanished during a checkout"
            ))
        })?;
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(lines.iter().map(|line| line.product_id)))
        .all(db)
        .await?;
    let mut sold = Vec::with_capacity(lines.len());
    let mut subtotal = 0_i128;
    let mut total_quantity = 0_i64;
    for line in lines {
        let product = products
            .iter()
            .find(|product| product.id == line.product_id)
            .ok_or_else(|| {
                ApiError::from(anyhow::anyhow!(
                    "product {} vanished during a checkout",
                    line.product_id
                ))
            })?;
        let line_total = i128::from(product.price) * i128::from(line.quantity);
        subtotal += line_total;
        total_quantity += i64::from(line.quantity);
        sold.push((product, line.quantity, line_total));
    }
    let too_large = || {
        MutationError::from(UserError::invalid(
            &["cartId"],
            "The cart's total is more than one order can hold",
        ))
    };
    let subtotal = i64::try_from(subtotal).map_err(|_| too_large())?;
    let order = order::Entity::insert(order::ActiveModel {
        id: NotSet,
        customer_id: Set(Some(customer_id)),
        email: Set(Some(customer.email)),
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
    let rows = sold
        .into_iter()
        .map(|(product, quantity, line_total)| {
            Ok(order_line::ActiveModel {
                id: NotSet,
                order_id: Set(order.id),
                product_id: Set(Some(product.id)),
                product_name: Set(product.name.clone()),
                unit_price: Set(product.price),
                quantity: Set(quantity),
                line_total: Set(i64::try_from(line_total).map_err(|_| too_large())?),
            })
        })
        .collect::<Result<Vec<_>, MutationError>>()?;
    if !rows.is_empty() {
        order_line::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(order)
}
