//! Reading orders: `order(id:)`, and the page behind `Customer.orders`
//! (and so `viewer { orders }`).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::order;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};
use tokio::sync::OnceCell;

use super::filter::{self, OrderFilter};
use super::loaders::OrderLoaders;
use super::types::token_opens;
use super::{Order, loaders, may_see};
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::store::pagination::{
    self, BoxFuture, OrderDirection, Page, SortColumn, TotalCount, connection,
};

connection!(
    OrderConnection,
    OrderEdge,
    Order,
    "order",
    "orders",
    OrderStats,
    {
        /// Figures over every order of the list, across all pages (cancelled
        /// ones included unless the filter says `status: PLACED`).
        async fn aggregate(&self, ctx: &Context<'_>) -> ApiResult<OrderAggregate> {
            let row = self.total.row(ctx).await?;
            let currency = ctx.shared::<Currency>()?;
            Ok(OrderAggregate {
                count: row.count,
                revenue: RevenueAggregate {
                    sum: Money::from_minor(row.sum.unwrap_or(0), currency),
                    // Rounded half away from zero to the currency's minor unit.
                    avg: row
                        .avg
                        .map(|avg| Money::from_minor(avg.round() as i64, currency)),
                },
            })
        }
    }
);

/// Figures over a list of orders.
#[derive(SimpleObject)]
pub struct OrderAggregate {
    /// How many orders the list holds.
    count: i64,
    /// Their subtotals, in the shop's currency.
    revenue: RevenueAggregate,
}

/// The sum and mean of a list of orders' subtotals.
#[derive(SimpleObject)]
pub struct RevenueAggregate {
    /// The sum of the subtotals; zero for no orders.
    sum: Money,
    /// The mean subtotal, rounded to the currency's minor unit; null for no
    /// orders.
    avg: Option<Money>,
}

/// The figures of an order list: `totalCount` and `aggregate` share one
/// statement, computed the first time either asks — except a customer's
/// `totalCount` alone, which comes batched from the count loader.
pub struct OrderStats {
    filtered: Select<order::Entity>,
    customer: Option<i64>,
    row: OnceCell<StatsRow>,
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    count: i64,
    sum: Option<i64>,
    avg: Option<f64>,
}

impl OrderStats {
    fn of(filtered: Select<order::Entity>, customer: Option<i64>) -> OrderStats {
        OrderStats {
            filtered,
            customer,
            row: OnceCell::new(),
        }
    }

    async fn row(&self, ctx: &Context<'_>) -> ApiResult<&StatsRow> {
        self.row
            .get_or_try_init(|| async {
                let db = ctx.shared::<DatabaseConnection>()?;
                let row = self
                    .filtered
                    .clone()
                    .select_only()
                    .expr_as(Expr::cust("COUNT(*)"), "count")
                    // SUM of BIGINT is NUMERIC on PostgreSQL; AVG is NUMERIC
                    // there, REAL on SQLite.
                    .expr_as(
                        Expr::cust(r#"CAST(SUM("order"."subtotal") AS BIGINT)"#),
                        "sum",
                    )
                    .expr_as(
                        Expr::cust(r#"CAST(AVG("order"."subtotal") AS DOUBLE PRECISION)"#),
                        "avg",
                    )
                    .into_model::<StatsRow>()
                    .one(db)
                    .await?;
                Ok(row.unwrap_or(StatsRow {
                    count: 0,
                    sum: None,
                    avg: None,
                }))
            })
            .await
    }
}

impl TotalCount for OrderStats {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            if let (Some(customer), None) = (self.customer, self.row.get()) {
                let count = ctx
                    .shared::<Arc<OrderLoaders>>()?
                    .count_of_customer
                    .load_one(customer)
                    .await?;
                return Ok(count.unwrap_or(0));
            }
            Ok(u64::try_from(self.row(ctx).await?.count).unwrap_or(0))
        })
    }
}

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
        #[graphql(
            desc = "A guest's order token (`CheckoutPayload.orderToken`): it reads that order, without an account."
        )]
        token: Option<String>,
    ) -> ApiResult<Option<Order>> {
        let key = ids::decode_as(&id, NodeKind::Order, "id")?;
        let viewer = auth::viewer(ctx);
        let row = ctx
            .shared::<Arc<OrderLoaders>>()?
            .by_id
            .load_one(key)
            .await?;
        // Another customer's order reads as missing: IDs leak nothing.
        Ok(row
            .filter(|row| may_see(viewer, row) || token_opens(token.as_deref(), row))
            .map(Order))
    }

    /// Every order in the shop, for staff, a page at a time (20 by default,
    /// at most 100), newest first unless `orderBy` says otherwise, with
    /// figures over the whole list (`aggregate`). Customers read theirs as
    /// `viewer { orders }`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the orders that match this filter.")] filter: Option<OrderFilter>,
        #[graphql(desc = "How to order the orders; newest first if not given.")] order_by: Option<
            OrderSort,
        >,
        #[graphql(desc = "Return the first n orders after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return orders after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n orders before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return orders before this cursor.")] before: Option<String>,
    ) -> ApiResult<OrderConnection> {
        if auth::viewer(ctx).owner()?.is_some() {
            return Err(auth::forbidden());
        }
        let page = Page::parse(order(order_by), first, after, last, before)?;
        let filtered = order::Entity::find().filter(filter::condition(filter.as_ref())?);
        let db = ctx.shared::<DatabaseConnection>()?;
        let slice = page.fetch(db, filtered.clone()).await?;
        Ok(OrderConnection::new(
            slice,
            Order,
            OrderStats::of(filtered, None),
        ))
    }
}

/// The orders of one customer: pages and counts come from batch loaders,
/// so a list of customers with their orders stays a fixed number of
/// statements (an `aggregate` is one more statement per customer).
pub struct OrdersOfCustomer;

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
            .shared::<Arc<OrderLoaders>>()?
            .of_customer
            .load_one(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no page loaded for customer {customer_id}"))?;
        Ok(OrderConnection::new(
            Arc::unwrap_or_clone(slice),
            Order,
            OrderStats::of(
                order::Entity::find().filter(order::Column::CustomerId.eq(customer_id)),
                Some(customer_id),
            ),
        ))
    }
}
