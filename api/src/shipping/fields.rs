//! The fields of shipping zones and rates (their GraphQL face).

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::loaders::ShippingLoaders;
use super::types::{ShippingRate, ShippingZone};
use crate::context::Shared;
use crate::customer::country::CountryCode;
use crate::error::ApiResult;
use crate::ids;
use crate::money::{Currency, Money};

/// Countries the shop ships to, and what it charges there.
#[Object(cache_control(private))]
impl ShippingZone {
    /// The zone's ID.
    async fn id(&self) -> ID {
        ids::encode_other("ShippingZone", self.0.id)
    }

    /// The zone's name, for staff ("Domestic", "Europe").
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The countries the zone covers; a country is in one zone at most.
    async fn country_codes(&self, ctx: &Context<'_>) -> ApiResult<Vec<CountryCode>> {
        let codes = ctx
            .shared::<Arc<ShippingLoaders>>()?
            .countries
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(codes
            .iter()
            .filter_map(|code| CountryCode::from_code(code))
            .collect())
    }

    /// The zone's rates, in order.
    async fn rates(&self, ctx: &Context<'_>) -> ApiResult<Vec<ShippingRate>> {
        let rates = ctx
            .shared::<Arc<ShippingLoaders>>()?
            .rates
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rates.iter().cloned().map(ShippingRate).collect())
    }
}

/// A way to ship and its price.
#[Object(cache_control(private))]
impl ShippingRate {
    /// The rate's ID.
    async fn id(&self) -> ID {
        ids::encode_other("ShippingRate", self.0.id)
    }

    /// What the shopper sees ("Standard", "Express, 1–2 days").
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What shipping costs at this rate.
    async fn price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        Ok(Money::from_minor(self.0.price, ctx.shared::<Currency>()?))
    }

    /// The rate applies from this (discounted) subtotal up; none: from zero.
    async fn min_subtotal(&self, ctx: &Context<'_>) -> ApiResult<Option<Money>> {
        let currency = ctx.shared::<Currency>()?;
        Ok(self
            .0
            .min_subtotal
            .map(|minor| Money::from_minor(minor, currency)))
    }

    /// The rate applies up to this (discounted) subtotal; none: no bound.
    async fn max_subtotal(&self, ctx: &Context<'_>) -> ApiResult<Option<Money>> {
        let currency = ctx.shared::<Currency>()?;
        Ok(self
            .0
            .max_subtotal
            .map(|minor| Money::from_minor(minor, currency)))
    }
}
