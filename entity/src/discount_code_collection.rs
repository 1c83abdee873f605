//! A collection a discount code is limited to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discount_code_collection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub discount_code_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub collection_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
