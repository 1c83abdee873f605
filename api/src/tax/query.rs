use async_graphql::{Context, Object};
use entity::tax_rate;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::fields::TaxRate;
use crate::auth;
use crate::context::Shared;
use crate::error::ApiResult;

#[derive(Default)]
pub struct TaxQuery;

#[Object]
impl TaxQuery {
    /// Every tax rate, by country and then province. Staff only.
    #[graphql(cache_control(private))]
    async fn tax_rates(&self, ctx: &Context<'_>) -> ApiResult<Vec<TaxRate>> {
        auth::viewer(ctx).require_admin()?;
        let rows = tax_rate::Entity::find()
            .order_by_asc(tax_rate::Column::CountryCode)
            .order_by_asc(tax_rate::Column::ProvinceCode)
            .all(ctx.shared::<DatabaseConnection>()?)
            .await?;
        Ok(rows.into_iter().map(TaxRate).collect())
    }
}
