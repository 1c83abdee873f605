//! An order: what one checkout sold, kept as it was sold (see migration 9).
//! Its id is its number. Money in integer minor units.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The customer who placed it; `None` once they are deleted.
    pub customer_id: Option<i64>,
    /// The customer's email when the order was placed; erased (`None`) with
    /// the customer.
    pub email: Option<String>,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// `PLACED` or `CANCELLED`.
    pub status: String,
    pub placed_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The sum of the lines' totals.
    pub subtotal: i64,
    /// The units over all lines.
    pub total_quantity: i64,
    /// The cart it was checked out from; `None` once that cart is deleted.
    #[sea_orm(unique)]
    pub cart_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    Customer,
    #[sea_orm(has_many = "super::order_line::Entity")]
    OrderLine,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::order_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderLine.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
