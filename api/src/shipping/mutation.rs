//! The staff mutations of shipping zones. A zone is written whole: its
//! countries and rates are replaced by the input's.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{shipping_rate, shipping_zone, shipping_zone_country};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::input::{ShippingZoneInput, Zone};
use super::types::ShippingZone;
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, UserErrorCode, into_payload, taken_on_unique_violation,
};
use crate::ids;
use crate::store::write::{unwatched, write};

/// Most shipping zones a shop keeps.
pub const MAX_ZONES: u64 = 100;

/// The result of a mutation that makes or changes a shipping zone.
#[derive(SimpleObject)]
pub struct ShippingZonePayload {
    /// The zone after the change, or null if nothing changed.
    pub shipping_zone: Option<ShippingZone>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteShippingZone`.
#[derive(SimpleObject)]
pub struct DeleteShippingZonePayload {
    /// The ID of the deleted zone, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ShippingMutation;

#[Object]
impl ShippingMutation {
    /// Makes a shipping zone with its countries and rates (at most 100
    /// zones). Staff only.
    async fn create_shipping_zone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The zone.")] input: ShippingZoneInput,
    ) -> ApiResult<ShippingZonePayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = async {
            let zone = Zone::parse(input)?;
            write(ctx, async |txn| save(txn, None, zone).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Replaces a shipping zone's name, countries and rates. Staff only.
    async fn update_shipping_zone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The zone to change.")] id: ID,
        #[graphql(desc = "The zone as it is now.")] input: ShippingZoneInput,
    ) -> ApiResult<ShippingZonePayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_other(&id, "ShippingZone", "id")?;
        let outcome = async {
            let zone = Zone::parse(input)?;
            write(ctx, async |txn| save(txn, Some(key), zone).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Deletes a shipping zone and its rates. Staff only.
    async fn delete_shipping_zone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The zone to delete.")] id: ID,
    ) -> ApiResult<DeleteShippingZonePayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_other(&id, "ShippingZone", "id")?;
        let delete = async |txn: &sea_orm::DatabaseTransaction| {
            let deleted = shipping_zone::Entity::delete_by_id(key).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(UserError::not_found(&["id"], "Shipping zone").into());
            }
            Ok(())
        };
        let outcome = write(ctx, delete, unwatched).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteShippingZonePayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }
}

fn payload(outcome: Result<shipping_zone::Model, MutationError>) -> ApiResult<ShippingZonePayload> {
    let (zone, user_errors) = into_payload(outcome)?;
    Ok(ShippingZonePayload {
        shipping_zone: zone.map(ShippingZone),
        user_errors,
    })
}

/// Writes `zone` as a new zone (`key` None) or over zone `key`.
async fn save(
    db: &impl ConnectionTrait,
    key: Option<i64>,
    zone: Zone,
) -> Result<shipping_zone::Model, MutationError> {
    let now = Utc::now();
    let row = match key {
        None => {
            if shipping_zone::Entity::find().count(db).await? >= MAX_ZONES {
                return Err(UserError::new(
                    &["input"],
                    UserErrorCode::TooMany,
                    format!("A shop keeps at most {MAX_ZONES} shipping zones"),
                )
                .into());
            }
            shipping_zone::ActiveModel {
                name: Set(zone.name.into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
        Some(key) => {
            let Some(current) = shipping_zone::Entity::find_by_id(key).one(db).await? else {
                return Err(UserError::not_found(&["id"], "Shipping zone").into());
            };
            let mut row: shipping_zone::ActiveModel = current.into();
            row.name = Set(zone.name.into());
            row.updated_at = Set(now);
            let row = row.update(db).await?;
            shipping_zone_country::Entity::delete_many()
                .filter(shipping_zone_country::Column::ZoneId.eq(key))
                .exec(db)
                .await?;
            shipping_rate::Entity::delete_many()
                .filter(shipping_rate::Column::ZoneId.eq(key))
                .exec(db)
                .await?;
            row
        }
    };
    // A country in another zone is `TAKEN`, at its index.
    let codes: Vec<&str> = zone.countries.iter().map(|code| code.as_str()).collect();
    let elsewhere: Vec<String> = shipping_zone_country::Entity::find()
        .filter(shipping_zone_country::Column::CountryCode.is_in(codes.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.country_code)
        .collect();
    let taken: Vec<UserError> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| elsewhere.iter().any(|taken| taken == *code))
        .map(|(index, code)| {
            UserError::new(
                &["input", "countryCodes", &index.to_string()],
                UserErrorCode::Taken,
                format!("{code} is in another shipping zone"),
            )
        })
        .collect();
    if !taken.is_empty() {
        return Err(taken.into());
    }
    if !codes.is_empty() {
        let countries = codes.iter().map(|code| shipping_zone_country::ActiveModel {
            country_code: Set((*code).to_owned()),
            zone_id: Set(row.id),
        });
        shipping_zone_country::Entity::insert_many(countries)
            .exec_without_returning(db)
            .await
            .map_err(|err| {
                taken_on_unique_violation(
                    err,
                    &["input", "countryCodes"],
                    "A country is in another shipping zone",
                )
            })?;
    }
    if !zone.rates.is_empty() {
        let rates =
            zone.rates
                .into_iter()
                .enumerate()
                .map(|(position, rate)| shipping_rate::ActiveModel {
                    zone_id: Set(row.id),
                    position: Set(position as i32),
                    title: Set(rate.title.into()),
                    price: Set(rate.price),
                    min_subtotal: Set(rate.min_subtotal),
                    max_subtotal: Set(rate.max_subtotal),
                    ..Default::default()
                });
        shipping_rate::Entity::insert_many(rates)
            .exec_without_returning(db)
            .await?;
    }
    Ok(row)
}
