//! Collections: named groups of products ("Summer", "Coffee") with a
//! handle for storefront links and an optional image. The `Collection`
//! type, its queries (`collection`, `collections`) and the staff
//! mutations that make, change and fill them.

mod fields;
mod input;
pub mod loaders;
mod mutation;
mod query;
mod types;

pub use mutation::CollectionMutation;
pub use query::{CollectionConnection, CollectionQuery};
pub use types::Collection;
