//! What a cart or an order costs, as the API shows it: `CartCost`,
//! `OrderCost` and `TaxLine`. The rules are in [`super::pricing`].

use async_graphql::{Object, SimpleObject};

pub use super::pricing::Breakdown;
use crate::money::{Currency, Decimal, Money};

/// What a cart costs now: lines at current prices, less discounts, plus
/// shipping and tax. `total = subtotal − discount + shipping + tax`.
pub struct CartCost {
    pub breakdown: Breakdown,
    pub currency: Currency,
}

/// What a cart costs now: lines at current prices, less discounts, plus
/// shipping and tax; `total = subtotal − discount + shipping + tax`.
#[Object(cache_control(private))]
impl CartCost {
    /// The lines at current prices.
    async fn subtotal(&self) -> Money {
        Money::from_minor(self.breakdown.subtotal, &self.currency)
    }

    /// What discounts take off the subtotal (never more than it).
    async fn discount(&self) -> Money {
        Money::from_minor(self.breakdown.discount, &self.currency)
    }

    /// The chosen shipping rate's price; 0 until one is chosen.
    async fn shipping(&self) -> Money {
        Money::from_minor(self.breakdown.shipping, &self.currency)
    }

    /// The tax, the sum of the cart's `taxLines`; 0 without an address or
    /// without a rate for it.
    async fn tax(&self) -> Money {
        Money::from_minor(self.breakdown.tax, &self.currency)
    }

    /// What the buyer pays: `subtotal − discount + shipping + tax`.
    async fn total(&self) -> Money {
        Money::from_minor(self.breakdown.total(), &self.currency)
    }
}

/// A tax charged on a cart or an order.
#[derive(SimpleObject)]
pub struct TaxLine {
    /// The tax's name ("VAT", "Sales tax").
    pub title: String,
    /// The rate, a percentage ("8.25" for 8.25%).
    pub rate: Decimal,
    /// The amount charged.
    pub amount: Money,
}

impl TaxLine {
    pub fn all(breakdown: &Breakdown, currency: &Currency) -> Vec<TaxLine> {
        breakdown
            .tax_lines
            .iter()
            .map(|(title, rate, amount)| TaxLine {
                title: title.clone(),
                rate: rate.percent(),
                amount: Money::from_minor(*amount, currency),
            })
            .collect()
    }
}
