//! A line of an order: a snapshot of the product's name and unit price, and
//! the quantity sold. `product_id` is `None` once the product is deleted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub product_id: Option<i64>,
    pub product_name: String,
    /// The variant sold; a deleted variant leaves its id, which then reads
    /// as no variant (ids are never reused).
    pub variant_id: Option<i64>,
    /// The variant's SKU, title ("M / Blue") and options (a JSON list of
    /// `{"name", "value"}`) as sold.
    pub sku: Option<String>,
    pub variant_title: String,
    pub selected_options: String,
    /// In minor units, as the product cost when the order was placed.
    pub unit_price: i64,
    pub quantity: i32,
    /// `unit_price × quantity`.
    pub line_total: i64,
    /// The line's share of the order's discount.
    pub discount_allocation: i64,
    /// The line's share of the tax on goods.
    pub tax: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Order,
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    Product,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
