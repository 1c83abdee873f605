//! Shipping zones and their rates: which countries the shop ships to and
//! what it charges. Staff configure them (`createShippingZone`,
//! `updateShippingZone`, `deleteShippingZone`, `shippingZones`); a cart's
//! rates come from the zone of its shipping address.

mod fields;
mod input;
pub mod loaders;
mod mutation;
mod query;
mod types;

pub use mutation::ShippingMutation;
pub use query::ShippingQuery;
pub use types::{ShippingRate, ShippingZone};
