use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::cart;
use sea_orm::DatabaseConnection;
use sea_orm::{EntityTrait, QueryFilter};

use super::Cart;
use super::access::CartAccess;
use super::filter::{self, CartFilter, CartOrder};
use super::loaders::CartLoaders;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::store::pagination::{CountRows, Page, connection};

connection!(CartConnection, CartEdge, Cart, "cart", "carts");

#[derive(Default)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// The cart with this ID, or null if there is none or it is not yours
    /// (staff see every cart; a guest, the cart whose `X-Cart-Token` they
    /// send).
    async fn cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart's global ID.")] id: ID,
    ) -> ApiResult<Option<Cart>> {
        let key = ids::decode_as(&id, NodeKind::Cart, "id")?;
        let access = CartAccess::of(ctx);
        let row = ctx
            .shared::<Arc<CartLoaders>>()?
            .by_id
            .load_one(key)
            .await?;
        // Another customer's cart reads as missing: IDs leak nothing.
        Ok(row.filter(|row| access.reaches(row)).map(Cart))
    }

    /// Your carts (staff: everyone's; a guest: the one their `X-Cart-Token` opens), a page at a time (20 by default, at most 100), oldest first
    /// unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn carts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the carts that match this filter.")] filter: Option<CartFilter>,
        #[graphql(desc = "How to order the carts; by ID (creation order) if not given.")]
        order_by: Option<CartOrder>,
        #[graphql(desc = "Return the first n carts after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return carts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n carts before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return carts before this cursor.")] before: Option<String>,
    ) -> ApiResult<CartConnection> {
        // Customers list their own carts; staff list everyone's.
        let access = CartAccess::required(ctx)?;
        let page = Page::parse(filter::order(order_by), first, after, last, before)?;
        let predicate = filter::parse(filter.as_ref())?;
        let filtered = cart::Entity::find()
            .filter(filter::condition(predicate.as_ref()))
            .filter(access.condition());
        let db = ctx.shared::<DatabaseConnection>()?;
        let slice = page.fetch(db, filtered.clone()).await?;
        Ok(CartConnection::new(
            slice,
            Cart,
            Box::new(CountRows(filtered)),
        ))
    }
}
