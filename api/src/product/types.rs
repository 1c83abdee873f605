//! The product domain's output types, declared apart from their fields
//! ([`super::fields`]): other domains name them without importing what
//! their fields return, so the types may point at each other while the
//! files do not.

use entity::{collection_product, image, product, product_variant};

/// A product as the API shows it; wraps the table row so that a new column
/// never becomes public API by accident.
#[derive(Debug, Clone)]
pub struct Product(pub product::Model);

/// A variant as the API shows it: what a cart holds and an order sells.
#[derive(Debug, Clone)]
pub struct ProductVariant(pub product_variant::Model);

impl crate::store::pagination::Keyed for product::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl crate::store::pagination::Keyed for image::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// A product's link to a collection is listed by the collection's id.
impl crate::store::pagination::Keyed for collection_product::Model {
    fn key(&self) -> i64 {
        self.collection_id
    }
}
