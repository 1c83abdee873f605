//! The staff mutations of tax rates.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::tax_rate;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::fields::TaxRate;
use crate::auth;
use crate::customer::country::{CountryCode, provinces};
use crate::error::{ApiResult, MutationError, UserError, into_payload};
use crate::ids;
use crate::input::{FieldErrors, Name};
use crate::money::Decimal;
use crate::money::Percentage;
use crate::store::write::{unwatched, write};

/// A tax rate to set.
#[derive(Debug, InputObject)]
pub struct TaxRateInput {
    /// The country taxed.
    pub country_code: CountryCode,
    /// A province of that country (`IL`, `ON`, `NSW`; only for countries
    /// whose provinces are known: the United States, Canada, Australia);
    /// none for the whole country.
    pub province_code: Option<String>,
    /// The rate as a percentage from 0 to 100 with at most 4 decimals, e.g.
    /// `"8.25"`.
    pub rate: Decimal,
    /// The name on tax lines, 1 to 200 characters; `Tax` when not given.
    pub title: Option<String>,
}

/// The result of `setTaxRate`.
#[derive(SimpleObject)]
pub struct SetTaxRatePayload {
    /// The rate as it is now, or null if nothing changed.
    pub tax_rate: Option<TaxRate>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteTaxRate`.
#[derive(SimpleObject)]
pub struct DeleteTaxRatePayload {
    /// The ID of the deleted rate, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct TaxMutation;

#[Object]
impl TaxMutation {
    /// Sets the tax rate of a country, or of one of its provinces,
    /// replacing the rate set before for the same place. Staff only.
    async fn set_tax_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place and its rate.")] input: TaxRateInput,
    ) -> ApiResult<SetTaxRatePayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = async {
            let row = parse(&input).map_err(MutationError::User)?;
            let set = async |txn: &sea_orm::DatabaseTransaction| {
                let (country, province) = (row.country_code.clone(), row.province_code.clone());
                tax_rate::Entity::insert(row)
                    .on_conflict(
                        OnConflict::columns([
                            tax_rate::Column::CountryCode,
                            tax_rate::Column::ProvinceCode,
                        ])
                        .update_columns([
                            tax_rate::Column::RatePpm,
                            tax_rate::Column::Title,
                            tax_rate::Column::UpdatedAt,
                        ])
                        .to_owned(),
                    )
                    .exec_without_returning(txn)
                    .await?;
                let saved = tax_rate::Entity::find()
                    .filter(tax_rate::Column::CountryCode.eq(country.unwrap()))
                    .filter(tax_rate::Column::ProvinceCode.eq(province.unwrap()))
                    .one(txn)
                    .await?
                    .ok_or_else(|| {
                        MutationError::Api(
                            anyhow::anyhow!("the tax rate just written is missing").into(),
                        )
                    })?;
                Ok(saved)
            };
            write(ctx, set, unwatched).await
        }
        .await;
        let (rate, user_errors) = into_payload(outcome)?;
        Ok(SetTaxRatePayload {
            tax_rate: rate.map(TaxRate),
            user_errors,
        })
    }

    /// Deletes a tax rate: the place is no longer taxed (a province falls
    /// back to its country's rate). Staff only.
    async fn delete_tax_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rate to delete.")] id: ID,
    ) -> ApiResult<DeleteTaxRatePayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_other(&id, "TaxRate", "id")?;
        let delete = async |txn: &sea_orm::DatabaseTransaction| {
            let deleted = tax_rate::Entity::delete_by_id(key).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(UserError::not_found(&["id"], "Tax rate").into());
            }
            Ok(())
        };
        let outcome = write(ctx, delete, unwatched).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteTaxRatePayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }
}

/// The row `input` describes; every bad field at once.
fn parse(input: &TaxRateInput) -> Result<tax_rate::ActiveModel, Vec<UserError>> {
    let mut errors = FieldErrors::default();
    let country = input.country_code;
    let province = input
        .province_code
        .as_deref()
        .map(|code| code.trim().to_uppercase())
        .filter(|code| !code.is_empty());
    let province = match (province, provinces(country)) {
        (None, _) => Some(String::new()),
        (Some(code), Some(known)) if known.iter().any(|(known, _)| *known == code) => Some(code),
        (Some(code), Some(_)) => {
            errors.push(UserError::invalid(
                &["input", "provinceCode"],
                format!("`{code}` is not a province or state of {}", country.name()),
            ));
            None
        }
        (Some(_), None) => {
            errors.push(UserError::invalid(
                &["input", "provinceCode"],
                format!("Rates by province are kept for the United States, Canada and Australia, not {}", country.name()),
            ));
            None
        }
    };
    let rate = errors.check(Percentage::from_percent(input.rate, &["input", "rate"]));
    let title = match input.title.as_deref() {
        None => Some("Tax".to_owned()),
        Some(title) => errors
            .check(Name::parse(title, &["input", "title"]))
            .map(String::from),
    };
    let errors = errors.into_errors();
    match (province, rate, title) {
        (Some(province), Some(rate), Some(title)) if errors.is_empty() => {
            Ok(tax_rate::ActiveModel {
                country_code: Set(country.as_str().to_owned()),
                province_code: Set(province),
                rate_ppm: Set(rate.ppm()),
                title: Set(title),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
        }
        _ => Err(errors),
    }
}
