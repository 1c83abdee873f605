//! One use of a discount code limited to one use per customer: the code,
//! the buyer (`customer:<id>` or `email:<lowercased address>`) and the
//! order. The primary key (code, buyer) keeps the limit under racing
//! checkouts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discount_code_use")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub discount_code_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub buyer: String,
    pub order_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
