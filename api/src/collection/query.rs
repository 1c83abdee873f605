use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::collection;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::loaders::CollectionLoaders;
use super::types::Collection;
use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};
use crate::store::pagination::{CountRows, Order, Page, connection};

connection!(
    CollectionConnection,
    CollectionEdge,
    Collection,
    "collection",
    "collections"
);

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// The collection with this ID or this handle (give exactly one), or
    /// null if there is none.
    async fn collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection's global ID.")] id: Option<ID>,
        #[graphql(desc = "The collection's handle, e.g. `summer-sale`.")] handle: Option<String>,
    ) -> ApiResult<Option<Collection>> {
        let row = match (id, handle) {
            (Some(id), None) => {
                let key = ids::decode_as(&id, NodeKind::Collection, "id")?;
                ctx.shared::<Arc<CollectionLoaders>>()?
                    .by_id
                    .load_one(key)
                    .await?
            }
            (None, Some(handle)) => {
                collection::Entity::find()
                    .filter(collection::Column::Handle.eq(handle.trim()))
                    .one(ctx.shared::<DatabaseConnection>()?)
                    .await?
            }
            _ => return Err(ApiError::bad_input("Give exactly one of `id` and `handle`")),
        };
        Ok(row.map(Collection))
    }

    /// Every collection, a page at a time (20 by default, at most 100),
    /// oldest first.
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n collections after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return collections after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n collections before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return collections before this cursor.")] before: Option<String>,
    ) -> ApiResult<CollectionConnection> {
        let page = Page::parse(
            Order::by_id(collection::Column::Id),
            first,
            after,
            last,
            before,
        )?;
        let db = ctx.shared::<DatabaseConnection>()?;
        let slice = page.fetch(db, collection::Entity::find()).await?;
        Ok(CollectionConnection::new(
            slice,
            Collection,
            Box::new(CountRows(collection::Entity::find())),
        ))
    }
}
