//! The customer domain's output types, declared apart from their fields
//! ([`super::fields`]): other domains name them without importing what
//! their fields return, so the types may point at each other while the
//! files do not.

use entity::customer;

/// A customer as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Customer(pub customer::Model);

impl crate::store::pagination::Keyed for customer::Model {
    fn key(&self) -> i64 {
        self.id
    }
}
