//! Customers: the `Customer` GraphQL type with its carts, its queries
//! (`customer`, `customers`) and mutations (`createCustomer`,
//! `updateCustomer`, `deleteCustomer`). Emails and names are parsed by
//! [`crate::input`]. The address book: [`address`] (the type and its rules,
//! countries in [`country`]) and its mutations.

mod account;
pub mod address;
mod addresses;
pub mod country;
mod fields;
mod filter;
mod input;
pub mod loaders;
mod mutation;
pub mod passwords;
mod query;
mod types;

pub use account::{AccountMutation, AccountQuery};
pub use addresses::AddressMutation;
pub use filter::{CustomerFilter, CustomerOrder};
pub use input::{CreateCustomerInput, UpdateCustomerInput};
pub use mutation::CustomerMutation;
pub use query::CustomerQuery;
pub use types::Customer;
