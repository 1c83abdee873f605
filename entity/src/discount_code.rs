//! A discount code: its kind and value, its window, minimum subtotal and
//! usage limit, and how often it was used. `code_key` is the code in lower
//! case (unique: codes are case-insensitive).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discount_code")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    #[sea_orm(unique)]
    pub code_key: String,
    /// `PERCENTAGE`, `FIXED_AMOUNT` or `FREE_SHIPPING`.
    pub kind: String,
    pub percent_ppm: Option<i32>,
    pub amount: Option<i64>,
    pub minimum_subtotal: Option<i64>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub usage_limit: Option<i32>,
    pub used_count: i32,
    pub once_per_customer: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
