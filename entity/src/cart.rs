//! A shopping cart, a customer's or a guest's. Its contents are the
//! `cart_line`s.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The customer who owns the cart; `None` for a guest cart.
    pub customer_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the cart was checked out; `None` while it is open.
    pub checked_out_at: Option<DateTimeUtc>,
    /// A guest cart's secret token, as the hex SHA-256 of it (the token
    /// itself is shown to the guest once and kept nowhere); `None` once the
    /// cart belongs to a customer.
    pub guest_token_hash: Option<String>,
    /// A guest's email, for the order; a customer's cart uses the account's.
    pub email: Option<String>,
    /// Where the cart ships: the address's fields as JSON.
    pub shipping_address: Option<String>,
    /// The shipping rate chosen; it applies only while the address and the
    /// subtotal are within its zone and bounds.
    pub shipping_rate_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Customer,
    #[sea_orm(has_many = "super::cart_line::Entity")]
    CartLine,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::cart_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CartLine.def()
    }
}

/// Cart ↔ ProductVariant is many-to-many through the `cart_line`s.
impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        super::cart_line::Relation::ProductVariant.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::cart_line::Relation::Cart.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
