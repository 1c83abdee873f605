use async_graphql::{Context, ID, Object};
use entity::cart;
use sea_orm::EntityTrait;

use super::Cart;
use crate::db;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::loaders;
use crate::pagination::{CountRows, Page, connection};

connection!(CartConnection, CartEdge, Cart, "cart", "carts");

#[derive(Default)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// The cart with this ID, or null if there is none.
    async fn cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart's global ID.")] id: ID,
    ) -> ApiResult<Option<Cart>> {
        let key = ids::decode_as(&id, NodeKind::Cart, "id")?;
        let row = loaders::from_context(ctx)?.cart.load_one(key).await?;
        Ok(row.map(Cart))
    }

    /// All carts, oldest first, a page at a time (20 by default, at most 100).
    async fn carts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n carts after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return carts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n carts before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return carts before this cursor.")] before: Option<String>,
    ) -> ApiResult<CartConnection> {
        let page = Page::parse(first, after, last, before)?;
        let db = db::from_context(ctx)?;
        let all = cart::Entity::find();
        let slice = page.fetch(db, all.clone(), cart::Column::Id).await?;
        Ok(CartConnection::new(
            slice,
            |row| row.id,
            Cart,
            CountRows(all),
        ))
    }
}
