//! What is sold: one variant of a product ("M / Blue"), with its own price,
//! stock and SKU. A product without options has one, "Default Title".

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    /// Its option values in the product's option order: "M / Blue".
    pub title: String,
    /// Unique when given.
    pub sku: Option<String>,
    /// In minor units.
    pub price: i64,
    /// The price before a reduction, in minor units, when shown.
    pub compare_at_price: Option<i64>,
    pub stock: i32,
    pub image_id: Option<i64>,
    /// Its option value ids in option order (`"12,40"`; empty without
    /// options), unique per product: no two variants share a combination.
    pub option_key: String,
    /// Whether it is shipped (goods) or not (a gift card, a download):
    /// checkout needs an address and a rate for a cart with any shipped line.
    pub requires_shipping: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Product,
    #[sea_orm(has_many = "super::cart_line::Entity")]
    CartLine,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl Related<super::cart_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CartLine.def()
    }
}

/// ProductVariant ↔ Cart is many-to-many through the `cart_line`s.
impl Related<super::cart::Entity> for Entity {
    fn to() -> RelationDef {
        super::cart_line::Relation::Cart.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::cart_line::Relation::ProductVariant.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
