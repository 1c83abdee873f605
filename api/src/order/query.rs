//! Reading orders: `order(id:)`, and the page behind `Customer.orders`
//! (and so `viewer { orders }`).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::order;

use super::{Order, loaders, may_see};
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::loaders::Loaders;
use crate::pagination::{
    self, BoxFuture, OrderDirection, Page, SortColumn, TotalCount, connection,
};

connection!(OrderConnection, OrderEdge, Order, "order", "orders");

/// How to order orders.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct OrderSort {
    /// What to sort by; orders that tie are ordered by number.
    pub field: OrderSortField,
    /// Which way to sort; ascending by default.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What orders can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSortField {
    /// By when they were placed.
    PlacedAt,
    /// By their subtotal.
    Total,
}

/// The ordering of an order list: newest first unless asked.
pub fn order(sort: Option<OrderSort>) -> pagination::Order<order::Column> {
    let sort = sort.unwrap_or(OrderSort {
        field: OrderSortField::PlacedAt,
        direction: OrderDirection::Desc,
    });
    let column = match sort.field {
        OrderSortField::PlacedAt => SortColumn::time(order::Column::PlacedAt),
        OrderSortField::Total => SortColumn::integer(order::Column::Subtotal),
    };
    pagination::Order::new(order::Column::Id, column, sort.direction)
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// The order with this ID, or null if there is none or it is not yours
    /// (staff see every order).
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global ID.")] id: ID,
    ) -> ApiResult<Option<Order>> {
        let key = ids::decode_as(&id, NodeKind::Order, "id")?;
        let viewer = auth::viewer(ctx);
        let row = ctx.shared::<Arc<Loaders>>()?.order.load_one(key).await?;
        // Another customer's order reads as missing: IDs leak nothing.
        Ok(row.filter(|row| may_see(viewer, row)).map(Order))
    }
}

/// The orders of one customer: pages and counts come from batch loaders,
/// so a list of customers with their orders stays a fixed number of
/// statements.
pub struct OrdersOfCustomer {
    customer_id: i64,
}

impl OrdersOfCustomer {
    /// Checks `Customer.orders`'s arguments and loads the page.
    pub async fn page(
        ctx: &Context<'_>,
        customer_id: i64,
        sort: Option<OrderSort>,
        page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
    ) -> ApiResult<OrderConnection> {
        let (first, after, last, before) = page;
        let page = Page::parse(order(sort), first, after, last, before)?;
        let key = loaders::OrderPageKey { customer_id, page };
        let slice = ctx
            .shared::<Arc<Loaders>>()?
            .orders_of_customer
            .load_one(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no page loaded for customer {customer_id}"))?;
        Ok(OrderConnection::new(
            Arc::unwrap_or_clone(slice),
            Order,
            Box::new(OrdersOfCustomer { customer_id }),
        ))
    }
}

impl TotalCount for OrdersOfCustomer {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let count = ctx
                .shared::<Arc<Loaders>>()?
                .order_count
                .load_one(self.customer_id)
                .await?;
            Ok(count.unwrap_or(0))
        })
    }
}
