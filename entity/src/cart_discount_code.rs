//! A discount code entered on a cart; the primary key (cart_id,
//! discount_code_id) keeps each code on a cart once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_discount_code")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cart_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub discount_code_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cart::Entity",
        from = "Column::CartId",
        to = "super::cart::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Cart,
    #[sea_orm(
        belongs_to = "super::discount_code::Entity",
        from = "Column::DiscountCodeId",
        to = "super::discount_code::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    DiscountCode,
}

impl Related<super::discount_code::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DiscountCode.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
