//! Discount codes as staff define them (`createDiscountCode`,
//! `updateDiscountCode`, `deleteDiscountCode`, `discountCodes`): a
//! percentage, a fixed amount or free shipping, within a window, above a
//! minimum subtotal, limited in uses and to collections. Codes are
//! case-insensitive. Carts and checkout apply them.

mod fields;
mod input;
pub mod loaders;
mod mutation;
mod query;
pub mod rules;

pub use fields::{DiscountCode, DiscountKind};
pub use mutation::DiscountMutation;
pub use query::DiscountQuery;
