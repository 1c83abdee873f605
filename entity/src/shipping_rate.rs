//! A rate of a shipping zone: a title and a price (minor units), offered
//! when the cart's subtotal is within its optional bounds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipping_rate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub zone_id: i64,
    pub position: i32,
    pub title: String,
    pub price: i64,
    pub min_subtotal: Option<i64>,
    pub max_subtotal: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
