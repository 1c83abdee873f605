//! A catalogue item, found by id or by its unique `handle`. `price` is in the currency's minor units (cents), never a
//! float; `stock` is the number of units available.

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
    pub stock: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::cart_product::Entity")]
    CartProduct,
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

impl Related<super::cart_product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CartProduct.def()
    }
}

/// Product ↔ Cart is many-to-many through the `cart_product` lines.
impl Related<super::cart::Entity> for Entity {
    fn to() -> RelationDef {
        super::cart_product::Relation::Cart.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::cart_product::Relation::Product.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
