//! The collection domain's output type, declared apart from its fields
//! ([`super::fields`]) so that products can name it.

use entity::collection;

/// A collection as the API shows it; wraps the table row so that a new
/// column never becomes public API by accident.
#[derive(Debug, Clone)]
pub struct Collection(pub collection::Model);

impl crate::store::pagination::Keyed for collection::Model {
    fn key(&self) -> i64 {
        self.id
    }
}
