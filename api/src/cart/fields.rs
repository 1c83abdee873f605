//! The fields of the cart domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::cart_line;

use super::cost::{CartCost, TaxLine};
use super::discounts::CartDiscountCode;
use super::loaders::{CartLoaders, LineWithVariant};
use super::types::{Cart, CartLine};
use crate::context::Shared;
use crate::customer::Customer;
use crate::customer::address::{Address, MailingAddress};
use crate::customer::loaders::CustomerLoaders;
use crate::discount::rules::PricedLine;
use crate::error::{ApiError, ApiResult};
use crate::execute::limits;
use crate::ids::{self, NodeKind};
use crate::money::{self, Currency, Money};
use crate::product::loaders::ProductLoaders;
use crate::product::{Product, ProductVariant};
use crate::shipping::ShippingRate;
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

    /// The cart's lines, one per variant, in the order variants were created;
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
        Ok(rows
            .iter()
            .cloned()
            .map(|(line, variant)| CartLine(line, variant))
            .collect())
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
        Ok(lines.iter().map(|(line, _)| i64::from(line.quantity)).sum())
    }

    /// The cost of the cart's lines at current prices, before taxes and
    /// shipping. (It reads every line and its product: counted as 10 lines
    /// before the request runs, charged for those beyond as they load.)
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn subtotal(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let minor_units = self.subtotal_minor(ctx).await?;
        Ok(Money::from_minor(minor_units, ctx.shared::<Currency>()?))
    }

    /// The email the order will go to: a guest's, as `setCartEmail` set it,
    /// or the customer's account email.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        self.email_for_order(ctx).await
    }

    /// Where the cart ships, once `setCartShippingAddress` set it.
    async fn shipping_address(&self) -> ApiResult<Option<MailingAddress>> {
        Ok(self
            .address()?
            .map(|address| MailingAddress::of("CartShippingAddress", self.0.id, address)))
    }

    /// The shipping rates that apply now: those of the zone of the
    /// address's country whose bounds hold the discounted subtotal. None without an
    /// address. (Reads every line and its product, as `subtotal` does.)
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn shipping_rates(&self, ctx: &Context<'_>) -> ApiResult<Vec<ShippingRate>> {
        let priced = self.priced(ctx).await?;
        Ok(priced.rates.into_iter().map(ShippingRate).collect())
    }

    /// The rate chosen with `selectCartShippingRate`, while it still applies
    /// (a changed address or subtotal can drop it: then null).
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn shipping_rate(&self, ctx: &Context<'_>) -> ApiResult<Option<ShippingRate>> {
        if self.0.shipping_rate_id.is_none() {
            return Ok(None);
        }
        Ok(self.priced(ctx).await?.rate.map(ShippingRate))
    }

    /// What the cart costs now: subtotal, discount, shipping, tax and
    /// their total. (Reads every line and its variant, as `subtotal` does.)
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn cost(&self, ctx: &Context<'_>) -> ApiResult<CartCost> {
        Ok(CartCost {
            breakdown: self.priced(ctx).await?.breakdown,
            currency: ctx.shared::<Currency>()?.clone(),
        })
    }

    /// The taxes in `cost.tax`, one line per tax that applies at the
    /// shipping address; none without an address.
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn tax_lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<TaxLine>> {
        let breakdown = self.priced(ctx).await?.breakdown;
        Ok(TaxLine::all(&breakdown, ctx.shared::<Currency>()?))
    }

    /// The discount codes entered on the cart, in the order they were
    /// entered, each saying whether it applies now and, if not, why.
    #[graphql(
        complexity = "limits::LINES_PER_CART * limits::LINE_AND_PRODUCT_READ + child_complexity"
    )]
    async fn discount_codes(&self, ctx: &Context<'_>) -> ApiResult<Vec<CartDiscountCode>> {
        let currency = ctx.shared::<Currency>()?;
        Ok(self
            .priced(ctx)
            .await?
            .codes
            .into_iter()
            .map(|(code, outcome)| CartDiscountCode::of(code, outcome, currency))
            .collect())
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
    /// A guest's email as set, or the customer's account email.
    pub(super) async fn email_for_order(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(customer_id) = self.0.customer_id else {
            return Ok(self.0.email.clone());
        };
        let customer = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .by_id
            .load_one(customer_id)
            .await?;
        Ok(customer.map(|customer| customer.email))
    }

    /// The cart's shipping address, parsed from its stored form.
    pub fn address(&self) -> ApiResult<Option<Address>> {
        self.0
            .shipping_address
            .as_deref()
            .map(|json| {
                serde_json::from_str(json).map_err(|err| {
                    ApiError::from(anyhow::anyhow!(
                        "cart {}'s address is not readable: {err}",
                        self.0.id
                    ))
                })
            })
            .transpose()
    }

    /// The subtotal in minor units (in `i128`: see `Money::from_minor`),
    /// charging the lines beyond the estimate.
    async fn subtotal_minor(&self, ctx: &Context<'_>) -> ApiResult<i128> {
        let lines = self.priced_lines(ctx).await?;
        Ok(lines.iter().map(|line| line.total).sum())
    }

    /// Each line's product and total at current prices, charging the lines
    /// beyond the estimate.
    pub(super) async fn priced_lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<PricedLine>> {
        let lines = self.line_rows(ctx).await?;
        limits::charge_rows_beyond_estimate(
            ctx,
            lines.len(),
            limits::LINES_PER_CART,
            limits::LINE_AND_PRODUCT_READ,
        )?;
        Ok(lines
            .iter()
            .map(|(line, variant)| PricedLine {
                product_id: variant.product_id,
                total: money::line_total(variant.price, line.quantity),
            })
            .collect())
    }

    pub(super) async fn line_rows(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Arc<Vec<LineWithVariant>>> {
        let lines = ctx
            .shared::<Arc<CartLoaders>>()?
            .lines
            .load_one(self.0.id)
            .await?;
        Ok(lines.unwrap_or_default())
    }
}

fn missing_product(line: &cart_line::Model, product_id: i64) -> ApiError {
    ApiError::from(anyhow::anyhow!(
        "line of cart {} holds variant {} of missing product {product_id}",
        line.cart_id,
        line.variant_id
    ))
}

/// A variant of a product in a cart, with how many units of it.
#[Object(cache_control(private))]
impl CartLine {
    /// A stable ID for the line: its cart and variant, the same for as long
    /// as the line exists, whatever its quantity. Client caches use it to
    /// tell lines apart. (Not a `Node`: a line is reached through its cart.)
    async fn id(&self) -> ID {
        ids::encode_line(self.0.cart_id, self.0.variant_id)
    }

    /// The product the line's variant belongs to.
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Product> {
        let variant = &self.1;
        let product = ctx
            .shared::<Arc<ProductLoaders>>()?
            .by_id
            .load_one(variant.product_id)
            .await?;
        product
            .map(Product)
            .ok_or_else(|| missing_product(&self.0, variant.product_id))
    }

    /// The variant in the cart.
    async fn variant(&self) -> ProductVariant {
        ProductVariant(self.1.clone())
    }

    /// How many units of the variant, at least 1.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The line's cost at the variant's current price: price × quantity.
    async fn cost(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let variant = &self.1;
        Ok(Money::from_minor(
            money::line_total(variant.price, self.0.quantity),
            ctx.shared::<Currency>()?,
        ))
    }
}
