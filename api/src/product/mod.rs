//! Products: the catalogue. The `Product` GraphQL type, its queries
//! (`product`, `products`) and mutations (`createProduct`, `updateProduct`,
//! `deleteProduct`), and the rules a product's fields obey.

mod fields;
mod filter;
mod input;
pub mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

pub use filter::{ProductFilter, ProductOrder};
pub use input::{CreateProductInput, UpdateProductInput};
pub use mutation::ProductMutation;
pub use query::ProductQuery;
pub use subscription::ProductSubscription;
pub use types::Product;
