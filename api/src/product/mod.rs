//! Products: the catalogue. The `Product` GraphQL type, its queries
//! (`product`, `products`) and mutations (`createProduct`, `updateProduct`,
//! `deleteProduct`), the rules a product's fields obey, its handle
//! ([`handle`]) and its images ([`image`]).

mod fields;
pub mod filter;
pub mod handle;
pub mod image;
pub mod input;
pub mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;
pub mod variant;

pub use filter::{ProductFilter, ProductOrder};
pub use image::{Image, ImageInput};
pub use input::{CreateProductInput, UpdateProductInput};
pub use mutation::ProductMutation;
pub use query::{ProductConnection, ProductQuery, ProductStats};
pub use subscription::ProductSubscription;
pub use types::{Product, ProductVariant};
pub use variant::VariantMutation;
