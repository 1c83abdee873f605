//! How the staff's order list (`orders`) is filtered.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition};

use super::types::OrderStatus;
use crate::error::ApiResult;
use crate::ids::NodeKind;
use crate::store::filter::{self, FilterInput};
use crate::timestamp::Timestamp;

/// Which orders to list. Every field given must hold; `and`, `or` and
/// `not` combine further filters (at most 5 deep, 50 conditions in all).
#[derive(InputObject, Debug, Default)]
pub struct OrderFilter {
    /// Only the orders of these customers (at most 1,000 IDs over the whole
    /// filter).
    pub customer_ids: Option<Vec<ID>>,
    /// Only the orders in this status.
    pub status: Option<OrderStatus>,
    /// Only the orders placed at or after this moment.
    pub placed_after: Option<Timestamp>,
    /// Only the orders placed before this moment.
    pub placed_before: Option<Timestamp>,
    /// Only orders that match every one of these filters.
    pub and: Option<Vec<OrderFilter>>,
    /// Only orders that match at least one of these filters (an empty list
    /// matches nothing).
    pub or: Option<Vec<OrderFilter>>,
    /// Only orders that do not match this filter.
    pub not: Option<Box<OrderFilter>>,
}

/// One checked condition of an [`OrderFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderCondition {
    CustomerIds(Vec<i64>),
    Status(OrderStatus),
    PlacedAfter(DateTime<Utc>),
    PlacedBefore(DateTime<Utc>),
}

impl FilterInput for OrderFilter {
    type Condition = OrderCondition;

    fn ids_listed(&self) -> usize {
        self.customer_ids.as_ref().map_or(0, Vec::len)
    }

    fn conditions(&self, conditions: &mut Vec<OrderCondition>) -> ApiResult<()> {
        if let Some(ids) = &self.customer_ids {
            let keys = filter::keys(ids, NodeKind::Customer, "customerIds")?;
            conditions.push(OrderCondition::CustomerIds(keys));
        }
        if let Some(status) = self.status {
            conditions.push(OrderCondition::Status(status));
        }
        if let Some(Timestamp(after)) = self.placed_after {
            conditions.push(OrderCondition::PlacedAfter(after));
        }
        if let Some(Timestamp(before)) = self.placed_before {
            conditions.push(OrderCondition::PlacedBefore(before));
        }
        Ok(())
    }

    filter::combinators!();
}

impl OrderCondition {
    fn to_expr(&self) -> Expr {
        match self {
            OrderCondition::CustomerIds(ids) => {
                order::Column::CustomerId.is_in(ids.iter().copied())
            }
            OrderCondition::Status(status) => order::Column::Status.eq(status.as_str()),
            OrderCondition::PlacedAfter(after) => Expr::col(order::Column::PlacedAt).gte(*after),
            OrderCondition::PlacedBefore(before) => Expr::col(order::Column::PlacedAt).lt(*before),
        }
    }
}

/// The SQL condition of an optional filter (none: every order).
pub fn condition(filter: Option<&OrderFilter>) -> ApiResult<Condition> {
    Ok(match filter.map(filter::parse).transpose()? {
        Some(predicate) => predicate.to_condition(&OrderCondition::to_expr),
        None => Condition::all(),
    })
}
