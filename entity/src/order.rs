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
    /// Where it ships: the address's fields as JSON, as the cart had them.
    pub shipping_address: Option<String>,
    /// The shipping rate's title and price as chosen, and the tax on the
    /// shipping (0 unless the shop taxes shipping).
    pub shipping_title: Option<String>,
    pub shipping_price: i64,
    pub shipping_tax: i64,
    /// What discounts took off the subtotal.
    pub discount: i64,
    /// The sum of the tax lines.
    pub tax: i64,
    /// `subtotal − discount + shipping_price + tax`, what the buyer pays.
    pub total: i64,
    /// Whether the amounts were tax-inclusive (`--prices-include-tax`).
    pub taxes_included: bool,
    /// The codes on the cart, as a JSON list of `{"code", "applied"}`.
    pub discount_codes: String,
    /// The taxes charged, as a JSON list of `{"title", "ppm", "amount"}`.
    pub tax_lines: String,
    /// A guest's order: the SHA-256 (hex) of the secret that reads it.
    pub token_hash: Option<String>,
    /// The idempotency key of a guest's checkout (customers' keys are in
    /// `checkout`).
    pub idempotency_key: Option<String>,
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
