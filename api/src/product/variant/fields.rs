//! The GraphQL face of variants: `ProductVariant` and the price range a
//! product's variants span.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::product_variant;

use super::options::SelectedOption;
use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::product::Image;
use crate::product::loaders::ProductLoaders;
use crate::product::types::{Product, ProductVariant};
use crate::store::pagination::{BoxFuture, TotalCount, connection};

connection!(
    ProductVariantConnection,
    ProductVariantEdge,
    ProductVariant,
    "variant",
    "variants"
);

/// The lowest and highest price of a product's variants. (The lowest is
/// kept on the product; the highest is read only when asked for.)
pub struct ProductPriceRange {
    pub product_id: i64,
    pub min_minor: i64,
}

/// The lowest and highest price of a product's variants.
#[Object(cache_control(max_age = 60))]
impl ProductPriceRange {
    /// The price of the cheapest variant.
    async fn min_variant_price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        Ok(Money::from_minor(self.min_minor, ctx.shared::<Currency>()?))
    }

    /// The price of the dearest variant.
    async fn max_variant_price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let max = ctx
            .shared::<Arc<ProductLoaders>>()?
            .max_price
            .load_one(self.product_id)
            .await?
            .unwrap_or(self.min_minor);
        Ok(Money::from_minor(max, ctx.shared::<Currency>()?))
    }
}

/// What is sold: a product in one combination of its options ("M / Blue"),
/// with its own price, stock and SKU. A product without options has one
/// variant, "Default Title".
#[Object(cache_control(max_age = 60))]
impl ProductVariant {
    /// The variant's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ProductVariant, self.0.id)
    }

    /// The product this is a variant of.
    async fn product(&self, ctx: &Context<'_>) -> ApiResult<Product> {
        let product = ctx
            .shared::<Arc<ProductLoaders>>()?
            .by_id
            .load_one(self.0.product_id)
            .await?;
        product.map(Product).ok_or_else(|| {
            ApiError::from(anyhow::anyhow!(
                "variant {} refers to missing product {}",
                self.0.id,
                self.0.product_id
            ))
        })
    }

    /// Its option values in the product's option order ("M / Blue");
    /// "Default Title" for the one variant of a product without options.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The stock-keeping unit, unique across the shop, if it has one.
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }

    /// The price of one unit.
    async fn price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        Ok(Money::from_minor(self.0.price, ctx.shared::<Currency>()?))
    }

    /// The price before a reduction, to show struck through, if any.
    async fn compare_at_price(&self, ctx: &Context<'_>) -> ApiResult<Option<Money>> {
        let currency = ctx.shared::<Currency>()?;
        Ok(self
            .0
            .compare_at_price
            .map(|price| Money::from_minor(price, currency)))
    }

    /// How many units are in stock.
    async fn quantity_available(&self) -> i32 {
        self.0.stock
    }

    /// Whether it is shipped: checkout of a cart with a shipped line needs
    /// an address and a shipping rate.
    async fn requires_shipping(&self) -> bool {
        self.0.requires_shipping
    }

    /// Whether any unit is in stock.
    async fn available_for_sale(&self) -> bool {
        self.0.stock > 0
    }

    /// The value it takes of each of the product's options, in their order;
    /// empty for a product without options.
    async fn selected_options(&self, ctx: &Context<'_>) -> ApiResult<Vec<SelectedOption>> {
        let selected = ctx
            .shared::<Arc<ProductLoaders>>()?
            .selected_options
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(selected
            .0
            .iter()
            .map(|(name, value)| SelectedOption {
                name: name.clone(),
                value: value.clone(),
            })
            .collect())
    }

    /// The variant's picture, one of its product's images, if it has one.
    async fn image(&self, ctx: &Context<'_>) -> ApiResult<Option<Image>> {
        let Some(image_id) = self.0.image_id else {
            return Ok(None);
        };
        let image = ctx
            .shared::<Arc<ProductLoaders>>()?
            .image_by_id
            .load_one(image_id)
            .await?;
        Ok(image.map(Image))
    }
}

/// The number of a product's variants.
pub struct VariantCount(pub i64);

impl TotalCount for VariantCount {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let loaders = ctx.shared::<Arc<ProductLoaders>>()?;
            Ok(loaders.variant_count.load_one(self.0).await?.unwrap_or(0))
        })
    }
}

impl crate::store::pagination::Keyed for product_variant::Model {
    fn key(&self) -> i64 {
        self.id
    }
}
