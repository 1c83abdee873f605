//! What a cart costs: its subtotal, discount, shipping and tax, and the
//! total they make. The arithmetic is [`Breakdown::of`], in integer minor
//! units; its rules:
//!
//! - the subtotal is the sum of the lines, each `price × quantity`;
//! - the discount is never more than the subtotal (no code applies yet:
//!   it is 0 until discount codes reach carts);
//! - shipping is the chosen rate's price while the rate applies, else 0;
//! - tax is the address's rate (its province's where set, else its
//!   country's) of the taxable amount, `subtotal − discount` (prices
//!   exclude tax and shipping is not taxed, the shop's defaults), rounded
//!   half up to a whole minor unit, once for the cart;
//! - `total = subtotal − discount + shipping + tax`, always.

use async_graphql::{Object, SimpleObject};

use crate::money::{Currency, Decimal, Money, Percentage};

/// A cart's costs, in minor units (`i128`, like every sum of lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub subtotal: i128,
    pub discount: i128,
    pub shipping: i128,
    pub tax: i128,
    /// (title, rate, amount) of each tax applied; their amounts sum to `tax`.
    pub tax_lines: Vec<(String, Percentage, i128)>,
}

impl Breakdown {
    /// The costs of a cart whose lines come to `subtotal`, less
    /// `discount` (capped at the subtotal), with `shipping` and the tax
    /// `rate` (title and percentage) where one applies.
    pub fn of(
        subtotal: i128,
        discount: i128,
        shipping: i128,
        rate: Option<(&str, Percentage)>,
    ) -> Breakdown {
        let discount = discount.clamp(0, subtotal);
        let taxable = subtotal - discount;
        let tax_lines: Vec<(String, Percentage, i128)> = rate
            .map(|(title, rate)| (title.to_owned(), rate, rate.of(taxable)))
            .into_iter()
            .collect();
        let tax = tax_lines.iter().map(|(_, _, amount)| amount).sum();
        Breakdown {
            subtotal,
            discount,
            shipping,
            tax,
            tax_lines,
        }
    }

    /// `subtotal − discount + shipping + tax`.
    pub fn total(&self) -> i128 {
        self.subtotal - self.discount + self.shipping + self.tax
    }
}

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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tax_is_the_rate_of_the_discounted_subtotal_rounded_half_up() {
        let rate = Percentage::from_ppm(82_500); // 8.25%
        let costs = Breakdown::of(1_050, 0, 500, Some(("Sales tax", rate)));
        assert_eq!(costs.tax, 87, "86.625 rounds up");
        assert_eq!(costs.total(), 1_050 + 500 + 87);
        let costs = Breakdown::of(1_000, 2_000, 0, Some(("Sales tax", rate)));
        assert_eq!(
            (costs.discount, costs.tax, costs.total()),
            (1_000, 0, 0),
            "a discount never passes the subtotal"
        );
        assert_eq!(Breakdown::of(999, 0, 0, None).tax_lines, vec![]);
    }

    proptest! {
        /// Whatever the cart, the parts add up to the total, the tax lines
        /// to the tax, and nothing is negative.
        #[test]
        fn the_parts_always_add_up(
            subtotal in 0_i128..=1_000_000_000_000,
            discount in 0_i128..=1_000_000_000_000,
            shipping in 0_i128..=10_000_000,
            ppm in proptest::option::of(0_i32..=1_000_000),
        ) {
            let rate = ppm.map(|ppm| ("Tax", Percentage::from_ppm(ppm)));
            let costs = Breakdown::of(subtotal, discount, shipping, rate);
            prop_assert_eq!(costs.total(), costs.subtotal - costs.discount + costs.shipping + costs.tax);
            prop_assert_eq!(costs.tax, costs.tax_lines.iter().map(|(_, _, amount)| amount).sum::<i128>());
            prop_assert!(costs.discount <= costs.subtotal && costs.tax >= 0 && costs.total() >= 0);
            if let Some(ppm) = ppm {
                // Within half a minor unit of the exact tax.
                let exact = (subtotal - costs.discount) * i128::from(ppm);
                prop_assert!((costs.tax * 1_000_000 - exact).abs() <= 500_000);
            }
        }
    }
}
