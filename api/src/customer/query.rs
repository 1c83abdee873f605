use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::customer;
use sea_orm::DatabaseConnection;
use sea_orm::{EntityTrait, QueryFilter};

use super::Customer;
use super::filter::{self, CustomerFilter, CustomerOrder};
use super::loaders::CustomerLoaders;
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::store::pagination::{CountRows, Page, connection};

connection!(
    CustomerConnection,
    CustomerEdge,
    Customer,
    "customer",
    "customers"
);

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// The customer with this ID, or null if there is none or it is not
    /// yours (staff see every customer).
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's global ID.")] id: ID,
    ) -> ApiResult<Option<Customer>> {
        let key = ids::decode_as(&id, NodeKind::Customer, "id")?;
        // Other customers' records read as missing: IDs leak nothing.
        if !auth::viewer(ctx).may_see_customer(key) {
            return Ok(None);
        }
        let row = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .by_id
            .load_one(key)
            .await?;
        Ok(row.map(Customer))
    }

    /// Customers, a page at a time (staff only) (20 by default, at most 100), oldest
    /// first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the customers that match this filter.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(desc = "How to order the customers; by ID (creation order) if not given.")]
        order_by: Option<CustomerOrder>,
        #[graphql(desc = "Return the first n customers after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return customers after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n customers before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return customers before this cursor.")] before: Option<String>,
    ) -> ApiResult<CustomerConnection> {
        auth::viewer(ctx).require_admin()?;
        let page = Page::parse(filter::order(order_by), first, after, last, before)?;
        let filtered = customer::Entity::find().filter(filter::condition(filter.as_ref())?);
        let db = ctx.shared::<DatabaseConnection>()?;
        let slice = page.fetch(db, filtered.clone()).await?;
        Ok(CustomerConnection::new(
            slice,
            Customer,
            Box::new(CountRows(filtered)),
        ))
    }
}
