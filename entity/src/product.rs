//! A catalogue item. `price` is in the currency's minor units (cents), never a
//! float; `stock` is the number of units available.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
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
