//! The fields of the `Collection` type (its GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::{collection_product, product};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::loaders::{CollectionLoaders, ProductPageKey};
use super::types::Collection;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::product::filter::{self as product_filter, ProductFilter, ProductOrder};
use crate::product::{Image, Product, ProductConnection, ProductStats};
use crate::store::pagination::Page;
use crate::timestamp::Timestamp;

/// A named group of products ("Summer", "Coffee"), with a handle for
/// storefront links.
#[Object(cache_control(max_age = 60))]
impl Collection {
    /// The collection's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Collection, self.0.id)
    }

    /// Unique and URL-safe (`summer-sale`): for links such as
    /// `/collections/summer-sale`.
    async fn handle(&self) -> &str {
        &self.0.handle
    }

    /// The collection's title, 1 to 200 characters.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A longer description, if it has one.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The collection's image, if it has one.
    async fn image(&self, ctx: &Context<'_>) -> ApiResult<Option<Image>> {
        let image = ctx
            .shared::<Arc<CollectionLoaders>>()?
            .image
            .load_one(self.0.id)
            .await?;
        Ok(image.map(Image))
    }

    /// The collection's products, a page at a time (20 by default, at most
    /// 100), oldest product first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n products after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return products after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n products before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return products before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only the products that match this filter.")] filter: Option<
            ProductFilter,
        >,
        #[graphql(desc = "How to order the products; by ID (creation order) if not given.")]
        order_by: Option<ProductOrder>,
    ) -> ApiResult<ProductConnection> {
        let page = Page::parse(product_filter::order(order_by), first, after, last, before)?;
        let filter = product_filter::parse(filter.as_ref())?.map(Arc::new);
        let key = ProductPageKey {
            collection_id: self.0.id,
            page,
            filter: filter.clone(),
        };
        let slice = ctx
            .shared::<Arc<CollectionLoaders>>()?
            .products
            .load_one(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no page loaded for collection {}", self.0.id))?;
        // The figures (totalCount, aggregate) of the same products, computed
        // only when asked.
        let members = Query::select()
            .column(collection_product::Column::ProductId)
            .from(collection_product::Entity)
            .and_where(collection_product::Column::CollectionId.eq(self.0.id))
            .to_owned();
        let filtered = product::Entity::find()
            .filter(product::Column::Id.in_subquery(members))
            .filter(product_filter::predicate_condition(filter.as_deref()));
        Ok(ProductConnection::new(
            Arc::unwrap_or_clone(slice),
            Product,
            ProductStats::new(filtered),
        ))
    }

    /// When the collection was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When the collection was last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}
