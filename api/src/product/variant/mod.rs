//! Variants: what is sold of a product. A product has options ("Size":
//! S, M, L; "Color": Blue, Red) and one variant per combination it sells
//! ("M / Blue"), each with its own price, compare-at price, stock, SKU and
//! picture; a product without options has one variant, "Default Title".
//! Stock lives on the variant: carts hold variants and checkout takes
//! units from them ([`crate::cart`]).

pub mod fields;
pub mod input;
pub mod loaders;
mod mutation;
pub mod options;
pub mod stock;
pub mod write;

pub use fields::{ProductPriceRange, ProductVariantConnection};
pub use input::{CreateProductVariantInput, UpdateProductVariantInput};
pub use mutation::VariantMutation;
pub use options::{ProductOption, ProductOptionInput, SelectedOption, SelectedOptionInput};
