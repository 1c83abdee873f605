//! The shop's tables as Seaography reads them: the same columns as the
//! `entity` crate, plus the `RelatedEntity` lists Seaography turns into
//! nested fields. Kept apart from `entity` so shopgraph never depends on
//! Seaography's pinned versions.

pub mod cart;
pub mod cart_line;
pub mod customer;
pub mod product;
pub mod product_variant;
