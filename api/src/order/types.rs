//! The order domain's output types, declared apart from their fields
//! ([`super::fields`]): other domains name them without importing what
//! their fields return, so the types may point at each other while the
//! files do not.

use async_graphql::Enum;
use entity::{order, order_line};

use crate::auth::Viewer;

use crate::money::Currency;

/// An order as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Order(pub order::Model);

/// An order line as the API shows it, with its order's currency.
#[derive(Debug, Clone)]
pub struct OrderLine(pub order_line::Model, pub(super) Currency);

impl crate::store::pagination::Keyed for order::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Whether `viewer` may see `order`: its customer and staff. An order whose
/// customer was deleted, or a guest's, is staff's only (the guest reads
/// theirs with its token: [`token_opens`]).
pub fn may_see(viewer: Viewer, order: &order::Model) -> bool {
    match order.customer_id {
        Some(customer) => viewer.may_see_customer(customer),
        None => matches!(viewer, Viewer::Admin),
    }
}

/// Whether `token` is the secret of guest order `order` (compared by
/// hash, so the comparison leaks nothing about the secret).
pub fn token_opens(token: Option<&str>, order: &order::Model) -> bool {
    match (token, &order.token_hash) {
        (Some(token), Some(hash)) => crate::auth::order_token_hash(token) == *hash,
        _ => false,
    }
}

/// Where an order stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed by a checkout: its units were taken from stock.
    Placed,
    /// Cancelled: its units went back into stock.
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "PLACED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    pub(super) fn of(row: &order::Model) -> OrderStatus {
        if row.status == OrderStatus::Cancelled.as_str() {
            OrderStatus::Cancelled
        } else {
            OrderStatus::Placed
        }
    }
}
