//! Orders: what checkouts sold, kept as they were sold. `checkout` writes
//! one in its transaction ([`place`]); nothing changes it afterwards but a
//! cancellation. Its lines keep the product's name and unit price as they
//! were, so price changes and product deletes leave it whole (a deleted
//! product's line keeps its snapshot and its `product` reads null); a
//! deleted customer's orders stay in the books with the personal data
//! erased (no customer, no email). `cancelOrder` ([`cancel`]) puts the
//! units back, once.
//!
//! The `Order` and `OrderLine` types, `order(id:)` and `Customer.orders`
//! live here; lines and pages come from batch loaders ([`loaders`]), so an
//! order history with its lines and products costs a fixed number of
//! statements.

mod cancel;
mod filter;
pub mod loaders;
mod place;
mod query;
mod subscription;

pub use cancel::{CancelOrderPayload, OrderMutation};
pub use filter::OrderFilter;
pub use place::{Buyer, place};
pub use query::{OrderConnection, OrderQuery, OrderSort, OrderSortField, OrdersOfCustomer};
pub use subscription::OrderSubscription;

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use entity::{order, order_line};

use crate::auth::Viewer;
use crate::context::Shared;
use crate::customer::Customer;
use crate::customer::loaders::CustomerLoaders;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::product::Product;
use crate::product::loaders::ProductLoaders;
use crate::timestamp::Timestamp;
use loaders::OrderLoaders;

/// An order as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Order(pub order::Model);

impl crate::store::pagination::Keyed for order::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Whether `viewer` may see `order`: its customer and staff. An order whose
/// customer was deleted is staff's only.
pub fn may_see(viewer: Viewer, order: &order::Model) -> bool {
    match order.customer_id {
        Some(customer) => viewer.may_see_customer(customer),
        None => matches!(viewer, Viewer::Admin),
    }
}

/// Where an order stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed by a checkout: its units were taken from stock.
    Placed,
    /// Cancelled: its units went back into stock.
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "PLACED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    fn of(row: &order::Model) -> OrderStatus {
        if row.status == OrderStatus::Cancelled.as_str() {
            OrderStatus::Cancelled
        } else {
            OrderStatus::Placed
        }
    }
}

/// A sale: what one checkout sold, at the prices and names of that moment.
/// It never changes afterwards, whatever happens to the products, the cart
/// or the customer, except that it may be cancelled.
#[Object(cache_control(private))]
impl Order {
    /// The order's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Order, self.0.id)
    }

    /// The order's number: sequential in the shop, starting at 1, for
    /// people to quote (a number may be skipped when a checkout fails).
    async fn number(&self) -> i64 {
        self.0.id
    }

    /// Where the order stands.
    async fn status(&self) -> OrderStatus {
        OrderStatus::of(&self.0)
    }

    /// When the order was placed (its cart checked out).
    async fn placed_at(&self) -> Timestamp {
        Timestamp(self.0.placed_at)
    }

    /// When the order was cancelled; null unless it is.
    async fn cancelled_at(&self) -> Option<Timestamp> {
        self.0.cancelled_at.map(Timestamp)
    }

    /// The customer who placed it; null once that customer's account is
    /// deleted (the order stays in the shop's books without personal data).
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let Some(customer) = self.0.customer_id else {
            return Ok(None);
        };
        let row = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .by_id
            .load_one(customer)
            .await?;
        Ok(row.map(Customer))
    }

    /// What was sold, one line per product, as it was sold. (The complexity
    /// budget counts an order as 10 lines before the request runs, and
    /// charges the lines beyond 10 when they load.)
    #[graphql(complexity = "crate::execute::limits::LINES_PER_CART * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrderLine>> {
        let rows = ctx
            .shared::<Arc<OrderLoaders>>()?
            .lines
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        crate::execute::limits::charge_beyond_estimate(
            ctx,
            rows.len(),
            crate::execute::limits::LINES_PER_CART,
        )?;
        let currency = Currency {
            code: self.0.currency.clone(),
        };
        Ok(rows
            .iter()
            .cloned()
            .map(|row| OrderLine(row, currency.clone()))
            .collect())
    }

    /// The sum of the lines' totals, in the order's currency.
    async fn subtotal(&self) -> Money {
        Money::from_minor(self.0.subtotal, &self.currency())
    }

    /// The number of units sold, over all lines.
    async fn total_quantity(&self) -> i64 {
        self.0.total_quantity
    }
}

impl Order {
    fn currency(&self) -> Currency {
        Currency {
            code: self.0.currency.clone(),
        }
    }
}

/// An order line as the API shows it, with its order's currency.
#[derive(Debug, Clone)]
pub struct OrderLine(pub order_line::Model, Currency);

/// A product sold in an order: its name and unit price as they were when
/// the order was placed, and how many units.
#[Object(cache_control(private))]
impl OrderLine {
    /// The line's ID, unique and stable, for client caches (not a `Node`: a
    /// line is reached through its order).
    async fn id(&self) -> ID {
        ids::encode_order_line(self.0.id)
    }

    /// The product's name when the order was placed.
    async fn product_name(&self) -> &str {
        &self.0.product_name
    }

    /// The price of one unit when the order was placed.
    async fn unit_price(&self) -> Money {
        Money::from_minor(self.0.unit_price, &self.1)
    }

    /// How many units were sold.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// `unitPrice × quantity`.
    async fn total(&self) -> Money {
        Money::from_minor(self.0.line_total, &self.1)
    }

    /// The product as it is now; null once it is deleted (the line keeps
    /// its name and price).
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Option<Product>> {
        let Some(product) = self.0.product_id else {
            return Ok(None);
        };
        let row = ctx
            .shared::<Arc<ProductLoaders>>()?
            .by_id
            .load_one(product)
            .await?;
        Ok(row.map(Product))
    }
}
