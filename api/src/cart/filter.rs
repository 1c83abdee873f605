//! How cart lists (`carts`, `Customer.carts`) are filtered and ordered.

use async_graphql::{Enum, ID, InputObject};
use entity::{cart, cart_line};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};

use crate::error::ApiResult;
use crate::ids::NodeKind;
use crate::store::filter::{self, FilterInput, Predicate};
use crate::store::pagination::{Order, OrderDirection, SortColumn};

/// Which carts to list. Every field given must hold; `and`, `or` and `not`
/// combine further filters (at most 5 deep, 50 conditions in all).
#[derive(InputObject, Debug, Default)]
pub struct CartFilter {
    /// Only the carts with these IDs (at most 1,000 IDs over the whole filter).
    pub ids: Option<Vec<ID>>,
    /// Only the carts of these customers (at most 1,000 IDs over the whole filter).
    pub customer_ids: Option<Vec<ID>>,
    /// `true`: only carts without lines; `false`: only carts with lines.
    pub is_empty: Option<bool>,
    /// Only carts that match every one of these filters.
    pub and: Option<Vec<CartFilter>>,
    /// Only carts that match at least one of these filters (an empty list
    /// matches nothing).
    pub or: Option<Vec<CartFilter>>,
    /// Only carts that do not match this filter.
    pub not: Option<Box<CartFilter>>,
}

/// One checked condition of a [`CartFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CartCondition {
    Ids(Vec<i64>),
    CustomerIds(Vec<i64>),
    IsEmpty(bool),
}

/// A checked cart filter; comparable, so that batch loaders can group the
/// pages asked for with the same filter.
pub type CartPredicate = Predicate<CartCondition>;

impl FilterInput for CartFilter {
    type Condition = CartCondition;

    fn ids_listed(&self) -> usize {
        self.ids.as_ref().map_or(0, Vec::len) + self.customer_ids.as_ref().map_or(0, Vec::len)
    }

    fn conditions(&self, conditions: &mut Vec<CartCondition>) -> ApiResult<()> {
        if let Some(ids) = &self.ids {
            let keys = filter::keys(ids, NodeKind::Cart, "ids")?;
            conditions.push(CartCondition::Ids(keys));
        }
        if let Some(ids) = &self.customer_ids {
            let keys = filter::keys(ids, NodeKind::Customer, "customerIds")?;
            conditions.push(CartCondition::CustomerIds(keys));
        }
        if let Some(is_empty) = self.is_empty {
            conditions.push(CartCondition::IsEmpty(is_empty));
        }
        Ok(())
    }

    filter::combinators!();
}

impl CartCondition {
    fn to_expr(&self) -> Expr {
        match self {
            CartCondition::Ids(ids) => cart::Column::Id.is_in(ids.iter().copied()),
            CartCondition::CustomerIds(ids) => cart::Column::CustomerId.is_in(ids.iter().copied()),
            CartCondition::IsEmpty(is_empty) => {
                let lines = Query::select()
                    .expr(Expr::val(1))
                    .from(cart_line::Entity)
                    .and_where(
                        Expr::col((cart_line::Entity, cart_line::Column::CartId))
                            .equals((cart::Entity, cart::Column::Id)),
                    )
                    .to_owned();
                let has_lines = Expr::exists(lines);
                if *is_empty {
                    has_lines.not()
                } else {
                    has_lines
                }
            }
        }
    }
}

/// Checks an optional filter.
pub fn parse(filter: Option<&CartFilter>) -> ApiResult<Option<CartPredicate>> {
    filter.map(filter::parse).transpose()
}

/// The SQL condition of an optional checked filter (none: every cart).
pub fn condition(predicate: Option<&CartPredicate>) -> Condition {
    match predicate {
        Some(predicate) => predicate.to_condition(&CartCondition::to_expr),
        None => Condition::all(),
    }
}

/// How to order carts.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct CartOrder {
    /// What to sort by; carts that tie are ordered by ID.
    pub field: CartOrderField,
    /// Which way to sort; ascending by default.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What carts can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartOrderField {
    /// By creation time.
    CreatedAt,
}

/// The ordering of a cart list: by ID (creation order) unless asked.
pub fn order(order: Option<CartOrder>) -> Order<cart::Column> {
    let Some(order) = order else {
        return Order::by_id(cart::Column::Id);
    };
    let column = match order.field {
        CartOrderField::CreatedAt => SortColumn::time(cart::Column::CreatedAt),
    };
    Order::new(cart::Column::Id, column, order.direction)
}
