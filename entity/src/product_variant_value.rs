//! Which option values a variant has: one row per option of its product.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variant_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_value_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    ProductVariant,
    #[sea_orm(
        belongs_to = "super::product_option_value::Entity",
        from = "Column::OptionValueId",
        to = "super::product_option_value::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    ProductOptionValue,
}

impl ActiveModelBehavior for ActiveModel {}
