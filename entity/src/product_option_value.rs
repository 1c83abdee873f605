//! A value of a product option ("M"), in `position` order. `product_id`
//! repeats the option's product, so a product's values load in one query.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_option_value")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub option_id: i64,
    pub product_id: i64,
    pub position: i32,
    /// Unique per option.
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product_option::Entity",
        from = "Column::OptionId",
        to = "super::product_option::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    ProductOption,
}

impl Related<super::product_option::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductOption.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
