//! The fields of the cart domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{cart_product, product};

use super::loaders::CartLoaders;
use super::types::{Cart, CartLine};
use crate::context::Shared;
use crate::customer::Customer;
use crate::customer::loaders::CustomerLoaders;
use crate::error::{ApiError, ApiResult};
use crate::execute::limits;
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::money::Money;
use crate::product::Product;
use crate::product::loaders::ProductLoaders;
use crate::timestamp::Timestamp;

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

    /// The number of units in the cart, over all lines. (It reads every
    /// line: counted as 10 lines before the request runs, charged for
    /// those beyond as they load.)
    #[graphql(complexity = "limits::LINES_PER_CART * limits::LINE_READ")]
    async fn total_quantity(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let lines = self.line_rows(ctx).await?;
        limits::charge_rows_beyond_estimate(
            ctx,
            lines.len(),
            limits::LINES_PER_CART,
            limits::LINE_READ,
        )?;
        Ok(lines.iter().map(|line| i64::from(line.quantity)).sum())
    }

    /// The cost of the cart's lines at current prices, before taxes and
    /// shipping. (It reads every line and its product: counted as 10 lines
    /// before the request runs, charged for those beyond as they load.)
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn subtotal(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let lines = self.line_rows(ctx).await?;
        limits::charge_rows_beyond_estimate(
            ctx,
            lines.len(),
            limits::LINES_PER_CART,
            limits::LINE_AND_PRODUCT_READ,
        )?;
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
