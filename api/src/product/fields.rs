//! The fields of the product domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{collection_product, image};

use super::image::Image;
use super::loaders::ProductLoaders;
use super::types::Product;
use crate::collection::loaders::CollectionLoaders;
use crate::collection::{Collection, CollectionConnection};
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::store::children::ChildPage;
use crate::store::pagination::{
    BoxFuture, Order, OrderDirection, Page, SortColumn, TotalCount, connection,
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

    /// The price of one unit.
    async fn price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        Ok(Money::from_minor(self.0.price, ctx.shared::<Currency>()?))
    }

    /// How many units are available.
    async fn stock(&self) -> i32 {
        self.0.stock
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
