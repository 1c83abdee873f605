//! A named group of products ("Summer", "Coffee"), with a unique `handle`
//! for storefront links; its products are listed in [`super::collection_product`].

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub handle: String,
    pub title: String,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::collection_product::Entity")]
    CollectionProduct,
    #[sea_orm(has_many = "super::image::Entity")]
    Image,
}

impl Related<super::collection_product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CollectionProduct.def()
    }
}

impl Related<super::image::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Image.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
