//! Carts: the `Cart` and `CartLine` GraphQL types, cart queries (`cart`,
//! `carts`, and `Customer.carts`), the mutations that fill and empty them,
//! and guest carts: who may reach which cart ([`access`]) and how a guest
//! cart joins an account at log-in or is purged when abandoned ([`guest`]);
//! where a cart ships ([`shipping`]: email, address, rate).
//!
//! A cart holds variants ([`variants`]). Its lines, their variants and products and its totals resolve through the batch
//! loaders, so a page of carts with everything in them costs a fixed number
//! of statements.

pub mod access;
mod checkout;
pub mod cost;
mod discounts;
mod fields;
mod filter;
pub mod guest;
mod input;
pub mod loaders;
mod mutation;
mod operations;
pub mod pricing;
mod query;
mod quote;
mod sale;
mod shipping;
mod subscription;
mod types;
mod variants;

pub use checkout::CheckoutMutation;
pub use discounts::CartDiscountMutation;
pub use filter::{CartFilter, CartOrder, CartPredicate};
pub use input::{CartLineInput, OpenCartCap};
pub use mutation::CartMutation;
pub use query::{CartConnection, CartQuery, CartsOfCustomer};
pub use shipping::CartShippingMutation;
pub use subscription::CartSubscription;
pub use types::{Cart, CartLine};
