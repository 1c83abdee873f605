//! Carts: the `Cart` and `CartLine` GraphQL types, cart queries (`cart`,
//! `carts`, and `Customer.carts`), the mutations that fill and empty them,
//! and guest carts: who may reach which cart ([`access`]) and how a guest
//! cart joins an account at log-in or is purged when abandoned ([`guest`]).
//!
//! A cart's lines, their products and its totals resolve through the batch
//! loaders, so a page of carts with everything in them costs a fixed number
//! of statements.

pub mod access;
mod checkout;
mod filter;
pub mod guest;
pub mod loaders;
mod mutation;
mod operations;
mod query;
mod subscription;

pub use checkout::CheckoutMutation;
pub use filter::{CartFilter, CartOrder, CartPredicate};
pub use mutation::CartMutation;
pub use query::{CartConnection, CartQuery};
pub use subscription::CartSubscription;

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{cart, cart_product, product};

use crate::context::Shared;
use crate::customer::Customer;
use crate::customer::loaders::CustomerLoaders;
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::money::Money;
use crate::product::Product;
use crate::product::loaders::ProductLoaders;
use crate::store::pagination::{BoxFuture, Page, TotalCount};
use crate::timestamp::Timestamp;
use loaders::CartLoaders;

/// A cart as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Cart(pub cart::Model);

impl crate::store::pagination::Keyed for cart::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// A shopping cart: a list of products with quantities. A customer's, or a
/// guest's (no customer; opened by the token `createCart` returned).
#[Object(cache_control(private))]
impl Cart {
    /// The cart's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Cart, self.0.id)
    }

    /// The customer the cart belongs to; null for a guest cart.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let Some(customer_id) = self.0.customer_id else {
            return Ok(None);
        };
        let row = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .by_id
            .load_one(customer_id)
            .await?;
        row.map(|row| Some(Customer(row))).ok_or_else(|| {
            ApiError::from(anyhow::anyhow!(
                "cart {} refers to missing customer {customer_id}",
                self.0.id,
            ))
        })
    }

    /// The cart's lines, one per product, in the order products were created;
    /// at most 250. (The complexity budget counts a cart as 10 lines before
    /// the request runs, and charges the lines beyond 10 when they load.)
    #[graphql(complexity = "crate::execute::limits::LINES_PER_CART * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<CartLine>> {
        let rows = self.line_rows(ctx).await?;
        crate::execute::limits::charge_beyond_estimate(
            ctx,
            rows.len(),
            crate::execute::limits::LINES_PER_CART,
        )?;
        Ok(rows.iter().cloned().map(CartLine).collect())
    }

    /// The number of units in the cart, over all lines.
    async fn total_quantity(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let lines = self.line_rows(ctx).await?;
        Ok(lines.iter().map(|line| i64::from(line.quantity)).sum())
    }

    /// The cost of the cart's lines at current prices, before taxes and shipping.
    async fn subtotal(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let lines = self.line_rows(ctx).await?;
        let products = ctx
            .shared::<Arc<ProductLoaders>>()?
            .by_id
            .load_many(lines.iter().map(|line| line.product_id))
            .await?;
        let mut minor_units = 0_i128;
        for line in lines.iter() {
            let product = products
                .get(&line.product_id)
                .ok_or_else(|| missing_product(line))?;
            minor_units += i128::from(product.price) * i128::from(line.quantity);
        }
        Ok(Money::from_minor(minor_units, ctx.shared::<Currency>()?))
    }

    /// When the cart was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When the cart or its lines last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }

    /// When the cart was checked out; null while it is open. A checked-out
    /// cart can no longer change.
    async fn checked_out_at(&self) -> Option<Timestamp> {
        self.0.checked_out_at.map(Timestamp)
    }
}

impl Cart {
    async fn line_rows(&self, ctx: &Context<'_>) -> ApiResult<Arc<Vec<cart_product::Model>>> {
        let lines = ctx
            .shared::<Arc<CartLoaders>>()?
            .lines
            .load_one(self.0.id)
            .await?;
        Ok(lines.unwrap_or_default())
    }
}

fn missing_product(line: &cart_product::Model) -> ApiError {
    ApiError::from(anyhow::anyhow!(
        "line of cart {} refers to missing product {}",
        line.cart_id,
        line.product_id
    ))
}

/// A cart line as the API shows it; wraps the `cart_product` row.
#[derive(Debug, Clone)]
pub struct CartLine(pub cart_product::Model);

/// A product in a cart, with how many units of it.
#[Object(cache_control(private))]
impl CartLine {
    /// A stable ID for the line: its cart and product, the same for as long
    /// as the line exists, whatever its quantity. Client caches use it to
    /// tell lines apart. (Not a `Node`: a line is reached through its cart.)
    async fn id(&self) -> ID {
        ids::encode_line(self.0.cart_id, self.0.product_id)
    }

    /// The product.
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Product> {
        self.product_row(ctx).await.map(Product)
    }

    /// How many units of the product, at least 1.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The line's cost at the product's current price: price × quantity.
    async fn cost(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let product = self.product_row(ctx).await?;
        Ok(Money::from_minor(
            i128::from(product.price) * i128::from(self.0.quantity),
            ctx.shared::<Currency>()?,
        ))
    }
}

impl CartLine {
    async fn product_row(&self, ctx: &Context<'_>) -> ApiResult<product::Model> {
        let row = ctx
            .shared::<Arc<ProductLoaders>>()?
            .by_id
            .load_one(self.0.product_id)
            .await?;
        row.ok_or_else(|| missing_product(&self.0))
    }
}

/// The carts of one customer that match a filter: pages and counts come
/// from batch loaders, so a list of customers with their carts stays a fixed
/// number of statements.
pub struct CartsOfCustomer {
    customer_id: i64,
    filter: Option<Arc<CartPredicate>>,
}

impl CartsOfCustomer {
    /// Checks `Customer.carts`'s arguments and loads the page.
    pub async fn page(
        ctx: &Context<'_>,
        customer_id: i64,
        filter: Option<&CartFilter>,
        order_by: Option<CartOrder>,
        page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
    ) -> ApiResult<CartConnection> {
        let (first, after, last, before) = page;
        let page = Page::parse(filter::order(order_by), first, after, last, before)?;
        let filter = filter::parse(filter)?.map(Arc::new);
        let key = loaders::CartPageKey {
            customer_id,
            page,
            filter: filter.clone(),
        };
        let slice = ctx
            .shared::<Arc<CartLoaders>>()?
            .of_customer
            .load_one(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no page loaded for customer {customer_id}"))?;
        Ok(CartConnection::new(
            Arc::unwrap_or_clone(slice),
            Cart,
            Box::new(CartsOfCustomer {
                customer_id,
                filter,
            }),
        ))
    }
}

impl TotalCount for CartsOfCustomer {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let key = loaders::CartCountKey {
                customer_id: self.customer_id,
                filter: self.filter.clone(),
            };
            let count = ctx
                .shared::<Arc<CartLoaders>>()?
                .count_of_customer
                .load_one(key)
                .await?;
            Ok(count.unwrap_or(0))
        })
    }
}
