use async_graphql::{Context, ID, Object};
use entity::product;
use sea_orm::EntityTrait;

use super::Product;
use crate::db;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::loaders;
use crate::pagination::{CountRows, Page, connection};

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    "product",
    "products"
);

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// The product with this ID, or null if there is none.
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global ID.")] id: ID,
    ) -> ApiResult<Option<Product>> {
        let key = ids::decode_as(&id, NodeKind::Product, "id")?;
        let row = loaders::from_context(ctx)?.product.load_one(key).await?;
        Ok(row.map(Product))
    }

    /// The catalogue, oldest product first, a page at a time
    /// (20 by default, at most 100).
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n products after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return products after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n products before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return products before this cursor.")] before: Option<String>,
    ) -> ApiResult<ProductConnection> {
        let page = Page::parse(first, after, last, before)?;
        let db = db::from_context(ctx)?;
        let all = product::Entity::find();
        let slice = page.fetch(db, all.clone(), product::Column::Id).await?;
        Ok(ProductConnection::new(
            slice,
            |row| row.id,
            Product,
            CountRows(all),
        ))
    }
}
