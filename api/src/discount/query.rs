use async_graphql::{Context, Object};
use entity::discount_code;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::fields::DiscountCode;
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::store::pagination::{CountRows, Order, Page, connection};

connection!(
    DiscountCodeConnection,
    DiscountCodeEdge,
    DiscountCode,
    "discount code",
    "discount codes"
);

#[derive(Default)]
pub struct DiscountQuery;

#[Object]
impl DiscountQuery {
    /// Every discount code, a page at a time (20 by default, at most 100),
    /// oldest first. Staff only.
    #[graphql(
        complexity = "crate::execute::limits::page_cost(first, last, child_complexity)",
        cache_control(private)
    )]
    async fn discount_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n codes after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return codes after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n codes before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return codes before this cursor.")] before: Option<String>,
    ) -> ApiResult<DiscountCodeConnection> {
        auth::viewer(ctx).require_admin()?;
        let page = Page::parse(
            Order::by_id(discount_code::Column::Id),
            first,
            after,
            last,
            before,
        )?;
        let slice = page
            .fetch(
                ctx.shared::<DatabaseConnection>()?,
                discount_code::Entity::find(),
            )
            .await?;
        Ok(DiscountCodeConnection::new(
            slice,
            DiscountCode,
            Box::new(CountRows(discount_code::Entity::find())),
        ))
    }
}
