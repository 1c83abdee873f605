//! The fields of the product domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{collection_product, image, product_variant};

use super::image::Image;
use super::loaders::ProductLoaders;
use super::types::{Product, ProductVariant};
use super::variant::fields::VariantCount;
use super::variant::options::{ProductOption, SelectedOptionInput, Selection, parse_selection};
use super::variant::{ProductPriceRange, ProductVariantConnection};
use crate::collection::loaders::CollectionLoaders;
use crate::collection::{Collection, CollectionConnection};
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::store::children::ChildPage;
use crate::store::pagination::{
    BoxFuture, Order, OrderDirection, Page, Slice, SortColumn, TotalCount, connection,
};
use crate::timestamp::Timestamp;

connection!(ImageConnection, ImageEdge, Image, "image", "images");

/// A product's images in their order (position, then id).
fn image_order() -> Order<image::Column> {
    Order::new(
        image::Column::Id,
        SortColumn::integer(image::Column::Position),
        OrderDirection::Asc,
    )
}

/// An item of the catalogue that customers can put in their carts.
#[Object(cache_control(max_age = 60))]
impl Product {
    /// The product's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Product, self.0.id)
    }

    /// The product's name, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Unique and URL-safe (`espresso-beans`), for links such as
    /// `/products/espresso-beans`: made from the name when the product was
    /// created without one, and kept when it is renamed.
    async fn handle(&self) -> &str {
        &self.0.handle
    }

    /// The product's first image, if it has any.
    async fn featured_image(&self, ctx: &Context<'_>) -> ApiResult<Option<Image>> {
        let page = Page::parse(image_order(), Some(1), None, None, None)?;
        let slice = ctx
            .shared::<Arc<ProductLoaders>>()?
            .images
            .load_one(ChildPage {
                parent: self.0.id,
                page,
            })
            .await?;
        Ok(slice
            .and_then(|slice| slice.rows.first().cloned())
            .map(Image))
    }

    /// The product's images in order, a page at a time (20 by default, at
    /// most 100).
    #[graphql(complexity = "crate::execute::limits::page_cost(first, None, child_complexity)")]
    async fn images(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n images after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return images after this cursor.")] after: Option<String>,
    ) -> ApiResult<ImageConnection> {
        let page = Page::parse(image_order(), first, after, None, None)?;
        let slice = ctx
            .shared::<Arc<ProductLoaders>>()?
            .images
            .load_one(ChildPage {
                parent: self.0.id,
                page,
            })
            .await?
            .ok_or_else(|| anyhow::anyhow!("no images loaded for product {}", self.0.id))?;
        Ok(ImageConnection::new(
            Arc::unwrap_or_clone(slice),
            Image,
            Box::new(ImageCount(self.0.id)),
        ))
    }

    /// The collections the product is in, a page at a time (20 by default,
    /// at most 100), oldest collection first.
    #[graphql(complexity = "crate::execute::limits::page_cost(first, None, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n collections after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return collections after this cursor.")] after: Option<String>,
    ) -> ApiResult<CollectionConnection> {
        let order = Order::by_id(collection_product::Column::CollectionId);
        let page = Page::parse(order, first, after, None, None)?;
        let links = ctx
            .shared::<Arc<ProductLoaders>>()?
            .collection_links
            .load_one(ChildPage {
                parent: self.0.id,
                page,
            })
            .await?
            .ok_or_else(|| anyhow::anyhow!("no collections loaded for product {}", self.0.id))?;
        let collections = ctx
            .shared::<Arc<CollectionLoaders>>()?
            .by_id
            .load_many(links.rows.iter().map(|link| link.collection_id))
            .await?;
        // A link whose collection was deleted between the two reads is
        // left out.
        let mut links = Arc::unwrap_or_clone(links);
        links
            .rows
            .retain(|link| collections.contains_key(&link.collection_id));
        Ok(CollectionConnection::new(
            links,
            |link| Collection(collections[&link.collection_id].clone()),
            Box::new(CollectionCount(self.0.id)),
        ))
    }

    /// A longer description, if the product has one.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The price of one unit of the first variant.
    #[graphql(
        deprecation = "A product is sold as variants with prices of their own: use `priceRange` or `variants { price }`."
    )]
    async fn price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        let first = self.first_variant(ctx).await?;
        Ok(Money::from_minor(first.price, ctx.shared::<Currency>()?))
    }

    /// How many units of the first variant are available.
    #[graphql(
        deprecation = "Stock lives on variants: use `variants { quantityAvailable }` or `availableForSale`."
    )]
    async fn stock(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(self.first_variant(ctx).await?.stock)
    }

    /// The product's options ("Size", "Color") in order, each with its
    /// values; none for a product without options.
    async fn options(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProductOption>> {
        let options = ctx
            .shared::<Arc<ProductLoaders>>()?
            .options
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(options.shown())
    }

    /// What is sold of the product, a page at a time (20 by default, at
    /// most 100), oldest first: one variant per combination of its options,
    /// or one "Default Title" variant without options.
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn variants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n variants after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return variants after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n variants before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return variants before this cursor.")] before: Option<String>,
    ) -> ApiResult<ProductVariantConnection> {
        let order = Order::by_id(product_variant::Column::Id);
        let page = Page::parse(order, first, after, last, before)?;
        let slice = self.variant_page(ctx, page).await?;
        Ok(ProductVariantConnection::new(
            Arc::unwrap_or_clone(slice),
            ProductVariant,
            Box::new(VariantCount(self.0.id)),
        ))
    }

    /// The variant with exactly these options (each of the product's
    /// options once), or null when there is none.
    async fn variant_by_selected_options(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One value of each of the product's options.")] selected_options: Vec<
            SelectedOptionInput,
        >,
    ) -> ApiResult<Option<ProductVariant>> {
        let field = ["selectedOptions".to_owned()];
        let Ok(selected) = parse_selection(&selected_options, &field) else {
            return Ok(None);
        };
        let loaders = ctx.shared::<Arc<ProductLoaders>>()?;
        let options = loaders
            .options
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let Ok(Selection::Known(values)) = options.select(&selected, &field) else {
            return Ok(None);
        };
        let (key, _) = options.combination(&values);
        let variant = loaders
            .variant_by_option_key
            .load_one((self.0.id, key))
            .await?;
        Ok(variant.map(ProductVariant))
    }

    /// The lowest and highest price of the product's variants.
    async fn price_range(&self) -> ProductPriceRange {
        ProductPriceRange {
            product_id: self.0.id,
            min_minor: self.0.price,
        }
    }

    /// Whether some variant has stock.
    async fn available_for_sale(&self) -> bool {
        self.0.stock > 0
    }

    /// When the product was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When the product was last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}

impl Product {
    /// The product's first variant (it always has one).
    async fn first_variant(&self, ctx: &Context<'_>) -> ApiResult<product_variant::Model> {
        let order = Order::by_id(product_variant::Column::Id);
        let page = Page::parse(order, Some(1), None, None, None)?;
        let slice = self.variant_page(ctx, page).await?;
        slice
            .rows
            .first()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("product {} has no variant", self.0.id).into())
    }

    /// A page of the product's variants, batched with every other
    /// product's of the request.
    async fn variant_page(
        &self,
        ctx: &Context<'_>,
        page: Page<product_variant::Column>,
    ) -> ApiResult<Arc<Slice<product_variant::Model, product_variant::Column>>> {
        let slice = ctx
            .shared::<Arc<ProductLoaders>>()?
            .variants
            .load_one(ChildPage {
                parent: self.0.id,
                page,
            })
            .await?;
        Ok(slice.ok_or_else(|| anyhow::anyhow!("no variants loaded for product {}", self.0.id))?)
    }
}

/// The number of a product's images.
struct ImageCount(i64);

impl TotalCount for ImageCount {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let loaders = ctx.shared::<Arc<ProductLoaders>>()?;
            Ok(loaders.image_count.load_one(self.0).await?.unwrap_or(0))
        })
    }
}

/// The number of collections a product is in.
struct CollectionCount(i64);

impl TotalCount for CollectionCount {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let loaders = ctx.shared::<Arc<ProductLoaders>>()?;
            Ok(loaders
                .collection_count
                .load_one(self.0)
                .await?
                .unwrap_or(0))
        })
    }
}
