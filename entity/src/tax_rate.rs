//! A tax rate of a country or of one of its provinces (`province_code` is
//! `''` for the whole country), in parts per million of the taxed amount.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tax_rate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub country_code: String,
    pub province_code: String,
    pub rate_ppm: i32,
    pub title: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
