//! The cart domain's output types, declared apart from their fields
//! ([`super::fields`]): other domains name them without importing what
//! their fields return, so the types may point at each other while the
//! files do not.

use entity::{cart, cart_line, product_variant};

/// A cart as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Cart(pub cart::Model);

/// A cart line as the API shows it: the `cart_line` row and the variant
/// it holds (read with it).
#[derive(Debug, Clone)]
pub struct CartLine(pub cart_line::Model, pub product_variant::Model);

impl crate::store::pagination::Keyed for cart::Model {
    fn key(&self) -> i64 {
        self.id
    }
}
