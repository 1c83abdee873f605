//! The fields of the customer domain's types (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::customer_address;

use super::address::MailingAddress;
use super::loaders::CustomerLoaders;
use super::types::Customer;
use crate::auth;
use crate::cart::{CartConnection, CartFilter, CartOrder, CartsOfCustomer};
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::order::{OrderConnection, OrderSort, OrdersOfCustomer};
use crate::store::children::ChildPage;
use crate::store::pagination::{BoxFuture, Order, Page, TotalCount, connection};
use crate::timestamp::Timestamp;

/// A shopper. Each customer has a unique email address and any number of carts.
#[Object(cache_control(private))]
impl Customer {
    /// The customer's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Customer, self.0.id)
    }

    /// The customer's email address, stored in lower case; unique. Only the
    /// customer and staff may read it.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        // Only the customer and staff ever read it, whatever the path.
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        Ok(&self.0.email)
    }

    /// The customer's name, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The customer's carts, a page at a time (20 by default, at most 100),
    /// oldest first unless `orderBy` says otherwise.
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
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        let page = (first, after, last, before);
        CartsOfCustomer::page(ctx, self.0.id, filter.as_ref(), order_by, page).await
    }

    /// The customer's orders, a page at a time (20 by default, at most 100),
    /// newest first unless `orderBy` says otherwise. Only the customer and
    /// staff may read them.
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How to order the orders; newest first if not given.")] order_by: Option<
            OrderSort,
        >,
        #[graphql(desc = "Return the first n orders after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return orders after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n orders before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return orders before this cursor.")] before: Option<String>,
    ) -> ApiResult<OrderConnection> {
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        OrdersOfCustomer::page(ctx, self.0.id, order_by, (first, after, last, before)).await
    }

    /// The customer's address book, a page at a time (20 by default, at
    /// most 100), oldest first. Only the customer and staff may read it.
    #[graphql(complexity = "crate::execute::limits::page_cost(first, None, child_complexity)")]
    async fn addresses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n addresses after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return addresses after this cursor.")] after: Option<String>,
    ) -> ApiResult<MailingAddressConnection> {
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        let page = Page::parse(
            Order::by_id(customer_address::Column::Id),
            first,
            after,
            None,
            None,
        )?;
        let slice = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .addresses
            .load_one(ChildPage {
                parent: self.0.id,
                page,
            })
            .await?
            .ok_or_else(|| anyhow::anyhow!("no addresses loaded for customer {}", self.0.id))?;
        Ok(MailingAddressConnection::new(
            Arc::unwrap_or_clone(slice),
            MailingAddress::from,
            Box::new(AddressCount(self.0.id)),
        ))
    }

    /// The address checkout offers first: the first one added, until the
    /// customer chooses another. Only the customer and staff may read it.
    async fn default_address(&self, ctx: &Context<'_>) -> ApiResult<Option<MailingAddress>> {
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        let address = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .default_address
            .load_one(self.0.id)
            .await?;
        Ok(address.map(MailingAddress::from))
    }

    /// When the customer was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When the customer was last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}

connection!(
    MailingAddressConnection,
    MailingAddressEdge,
    MailingAddress,
    "address",
    "addresses"
);

/// The number of addresses in a customer's address book.
struct AddressCount(i64);

impl TotalCount for AddressCount {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let loaders = ctx.shared::<Arc<CustomerLoaders>>()?;
            Ok(loaders.address_count.load_one(self.0).await?.unwrap_or(0))
        })
    }
}
