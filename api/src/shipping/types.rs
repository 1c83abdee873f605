//! The shipping domain's output types, declared apart from their fields.

use entity::{shipping_rate, shipping_zone};

/// A shipping zone as the API shows it.
#[derive(Debug, Clone)]
pub struct ShippingZone(pub shipping_zone::Model);

/// A shipping rate as the API shows it.
#[derive(Debug, Clone)]
pub struct ShippingRate(pub shipping_rate::Model);
