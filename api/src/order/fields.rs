//! The fields of the order domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::charges::{self, OrderCost, OrderDiscountCode, ShippingLine};
use super::loaders::OrderLoaders;
use super::types::{Order, OrderLine, OrderStatus};
use crate::cart::cost::TaxLine;
use crate::context::Shared;
use crate::customer::Customer;
use crate::customer::address::MailingAddress;
use crate::customer::loaders::CustomerLoaders;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::product::loaders::ProductLoaders;
use crate::product::variant::SelectedOption;
use crate::product::{Product, ProductVariant};
use crate::timestamp::Timestamp;

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

    /// The sum of the lines' totals, in the order's currency (with
    /// tax-inclusive prices, without the tax in them: see `cost`).
    async fn subtotal(&self) -> Money {
        Money::from_minor(self.0.subtotal, &self.currency())
    }

    /// The email the order went to: the customer's at the time, or the
    /// guest's; null once the customer is deleted.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Where it ships, as the cart had it at checkout.
    async fn shipping_address(&self) -> ApiResult<Option<MailingAddress>> {
        charges::shipping_address(&self.0)
    }

    /// The shipping rate chosen at checkout and what it charged; null when
    /// nothing shipped.
    async fn shipping_line(&self) -> Option<ShippingLine> {
        charges::shipping_line(&self.0, &self.currency())
    }

    /// The discount codes on the cart at checkout, each saying whether it
    /// applied.
    async fn discount_codes(&self) -> ApiResult<Vec<OrderDiscountCode>> {
        charges::discount_codes(&self.0)
    }

    /// The taxes charged.
    async fn tax_lines(&self) -> ApiResult<Vec<TaxLine>> {
        charges::tax_lines(&self.0, &self.currency())
    }

    /// What the order cost: `total = subtotal − discount + shipping + tax`,
    /// as charged at checkout.
    async fn cost(&self) -> OrderCost {
        charges::cost(&self.0, &self.currency())
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

/// A variant sold in an order: its product's name, its title, SKU,
/// options and unit price as they were when the order was placed, and how
/// many units.
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

    /// The variant's SKU when the order was placed, if it had one.
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }

    /// The variant's title when the order was placed ("M / Blue"; "Default
    /// Title" for a product without options).
    async fn variant_title(&self) -> &str {
        &self.0.variant_title
    }

    /// The variant's options when the order was placed.
    async fn selected_options(&self) -> ApiResult<Vec<SelectedOption>> {
        let options: Vec<SnapshotOption> =
            serde_json::from_str(&self.0.selected_options).map_err(|err| {
                anyhow::anyhow!("order line {}'s options are not readable: {err}", self.0.id)
            })?;
        Ok(options
            .into_iter()
            .map(|option| SelectedOption {
                name: option.name,
                value: option.value,
            })
            .collect())
    }

    /// The variant as it is now; null once it is deleted (the line keeps
    /// its title, SKU, options and price).
    async fn variant(&self, ctx: &Context<'_>) -> ApiResult<Option<ProductVariant>> {
        let Some(variant) = self.0.variant_id else {
            return Ok(None);
        };
        let row = ctx
            .shared::<Arc<ProductLoaders>>()?
            .variant_by_id
            .load_one(variant)
            .await?;
        Ok(row.map(ProductVariant))
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

    /// The line's share of the order's discount: a percentage code's is
    /// its own rounded amount; a fixed amount is split across the lines it
    /// reaches in proportion to their totals. The lines' shares sum to the
    /// order's discount exactly.
    async fn discount_allocation(&self) -> Money {
        Money::from_minor(self.0.discount_allocation, &self.1)
    }

    /// The line's share of the tax on goods, in proportion to its
    /// discounted total; the lines' taxes and the shipping's sum to the
    /// order's tax exactly.
    async fn tax(&self) -> Money {
        Money::from_minor(self.0.tax, &self.1)
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

/// An option as an order line keeps it.
#[derive(serde::Deserialize)]
struct SnapshotOption {
    name: String,
    value: String,
}
