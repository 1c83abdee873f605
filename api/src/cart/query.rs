use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::cart;
use sea_orm::DatabaseConnection;
use sea_orm::{EntityTrait, QueryFilter};

use super::access::CartAccess;
use super::filter::{self, CartFilter, CartOrder, CartPredicate};
use super::loaders::{self, CartLoaders};
use super::types::Cart;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::store::pagination::{BoxFuture, CountRows, Page, TotalCount, connection};

connection!(CartConnection, CartEdge, Cart, "cart", "carts");

#[derive(Default)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// The cart with this ID, or null if there is none or it is not yours
    /// (staff see every cart; a guest, the cart whose `X-Cart-Token` they
    /// send).
    #[graphql(cache_control(private))]
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
    #[graphql(
        complexity = "crate::execute::limits::page_cost(first, last, child_complexity)",
        cache_control(private)
    )]
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

/// The carts of one customer that match a filter: pages and counts come
/// from batch loaders, so a list of customers with their carts stays a fixed
/// number of statements.
pub struct CartsOfCustomer {
    customer_id: i64,
    filter: Option<Arc<CartPredicate>>,
}

impl CartsOfCustomer {
    /// Checks `Customer.carts`'s arguments and loads the page.
    pub async fn page(
        ctx: &Context<'_>,
        customer_id: i64,
        filter: Option<&CartFilter>,
        order_by: Option<CartOrder>,
        page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
    ) -> ApiResult<CartConnection> {
        let (first, after, last, before) = page;
        let page = Page::parse(filter::order(order_by), first, after, last, before)?;
        let filter = filter::parse(filter)?.map(Arc::new);
        let key = loaders::CartPageKey {
            customer_id,
            page,
            filter: filter.clone(),
        };
        let slice = ctx
            .shared::<Arc<CartLoaders>>()?
            .of_customer
            .load_one(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no page loaded for customer {customer_id}"))?;
        Ok(CartConnection::new(
            Arc::unwrap_or_clone(slice),
            Cart,
            Box::new(CartsOfCustomer {
                customer_id,
                filter,
            }),
        ))
    }
}

impl TotalCount for CartsOfCustomer {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let key = loaders::CartCountKey {
                customer_id: self.customer_id,
                filter: self.filter.clone(),
            };
            let count = ctx
                .shared::<Arc<CartLoaders>>()?
                .count_of_customer
                .load_one(key)
                .await?;
            Ok(count.unwrap_or(0))
        })
    }
}
