use async_graphql::{Context, Object};
use entity::shipping_zone;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::types::ShippingZone;
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;

#[derive(Default)]
pub struct ShippingQuery;

#[Object]
impl ShippingQuery {
    /// Every shipping zone (at most 100), oldest first. Staff only.
    #[graphql(cache_control(private))]
    async fn shipping_zones(&self, ctx: &Context<'_>) -> ApiResult<Vec<ShippingZone>> {
        auth::viewer(ctx).require_admin()?;
        let rows = shipping_zone::Entity::find()
            .order_by_asc(shipping_zone::Column::Id)
            .all(ctx.shared::<DatabaseConnection>()?)
            .await?;
        Ok(rows.into_iter().map(ShippingZone).collect())
    }
}
