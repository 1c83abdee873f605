//! A catalogue item, found by id or by its unique `handle`. What is sold are its variants
//! ([`super::product_variant`]); `price` (the lowest variant price, in minor units) and `stock` (the units of all
//! variants) sum them up for sorting and filtering lists, kept so by every write of a variant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Unique and URL-safe (`espresso-beans`): made from the name when not
    /// given, kept when the product is renamed.
    #[sea_orm(unique)]
    pub handle: String,
    pub description: Option<String>,
    pub price: i64,
    pub stock: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product_variant::Entity")]
    ProductVariant,
    #[sea_orm(has_many = "super::image::Entity")]
    Image,
    #[sea_orm(has_many = "super::collection_product::Entity")]
    CollectionProduct,
}

impl Related<super::image::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Image.def()
    }
}

impl Related<super::collection_product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CollectionProduct.def()
    }
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
