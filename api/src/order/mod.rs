//! Orders: what checkouts sold, kept as they were sold. `checkout` writes
//! one in its transaction ([`place`]); nothing changes it afterwards but a
//! cancellation. Its lines keep the product's name and unit price as they
//! were, so price changes and product deletes leave it whole (a deleted
//! product's line keeps its snapshot and its `product` reads null); a
//! deleted customer's orders stay in the books with the personal data
//! erased (no customer, no email). `cancelOrder` ([`cancel`]) puts the
//! units back, once.
//!
//! The `Order` and `OrderLine` types, `order(id:)` and `Customer.orders`
//! live here; lines and pages come from batch loaders ([`loaders`]), so an
//! order history with its lines and products costs a fixed number of
//! statements.

mod cancel;
mod charges;
mod fields;
mod filter;
pub mod loaders;
mod place;
mod query;
mod subscription;
mod types;

pub use cancel::{CancelOrderPayload, OrderMutation};
pub use filter::OrderFilter;
pub use place::{Buyer, Charges, CodeUses, Placed, Sale, SoldLine, place};
pub use query::{OrderConnection, OrderQuery, OrderSort, OrderSortField, OrdersOfCustomer};
pub use subscription::OrderSubscription;
pub use types::{Order, OrderLine, OrderStatus, may_see};
