//! What a cart costs, as pure arithmetic in integer minor units: the one
//! place the rules live, used alike by `Cart.cost` (through the batch
//! loaders) and by checkout (inside its transaction), so a cart costs at
//! checkout exactly what it showed.
//!
//! 1. **Discounts** ([`crate::discount::rules`]): the applicable codes, one
//!    per kind; each line's share of the lines discount.
//! 2. **Shipping**: the rates of the address's zone whose bounds hold the
//!    *discounted* subtotal (`subtotal − discount`); the chosen rate while
//!    it is one of them (else none); 0 with a free-shipping code.
//! 3. **Tax**: the address's rate (its province's where set, else its
//!    country's) of the taxable amount `subtotal − discount` (plus shipping
//!    with `--tax-shipping`), rounded half up to a whole minor unit once
//!    for the goods and once for the shipping; the goods' tax is split
//!    across the lines in proportion to their discounted totals
//!    ([`crate::money::allocate`]), so the lines' taxes sum to it exactly.
//!    With `--prices-include-tax` the tax is the part of those amounts that
//!    is tax (`amount × rate / (100% + rate)`, half up), and `subtotal`,
//!    `discount` and `shipping` are reported without the tax in them, so
//!    that what follows still holds and `total` is what the prices say.
//! 4. `total = subtotal − discount + shipping + tax`, always.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{discount_code, shipping_rate, tax_rate};

use crate::discount::rules::{self, Effect, PricedLine, Reason};
use crate::money::{Percentage, allocate};
use crate::tax::TaxSettings;

/// Everything a cart's cost depends on.
pub struct Inputs<'a> {
    /// The lines at current prices, in the cart's order.
    pub lines: &'a [PricedLine],
    /// The codes on the cart in the order entered, each with its
    /// collections (empty: every line).
    pub codes: Vec<(discount_code::Model, Vec<i64>)>,
    /// Each product's collections (needed only when a code has some).
    pub in_collections: &'a HashMap<i64, Vec<i64>>,
    /// The once-per-customer codes this buyer has used.
    pub used_by_buyer: &'a HashSet<i64>,
    /// The rates of the address's zone (empty without an address or zone).
    pub zone_rates: &'a [shipping_rate::Model],
    /// The rate the shopper chose, if any.
    pub chosen_rate: Option<i64>,
    /// The tax rates of the address's country (empty without an address).
    pub tax_rates: &'a [tax_rate::Model],
    /// The address's province.
    pub province: Option<&'a str>,
    pub taxes: TaxSettings,
    pub now: DateTime<Utc>,
}

/// A cart's cost and what made it.
pub struct Priced {
    /// The codes, each with what it does or why it does not apply.
    pub codes: Vec<(discount_code::Model, Result<Effect, Reason>)>,
    /// The rates that apply now.
    pub rates: Vec<shipping_rate::Model>,
    /// The chosen rate, while it applies.
    pub rate: Option<shipping_rate::Model>,
    pub breakdown: Breakdown,
}

/// A cost in minor units (`i128`, like every sum of lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub subtotal: i128,
    pub discount: i128,
    pub shipping: i128,
    pub tax: i128,
    /// (title, rate, amount) of each tax applied; their amounts sum to `tax`.
    pub tax_lines: Vec<(String, Percentage, i128)>,
    /// Each line's share of the discount and of the goods' tax, in the
    /// lines' order (as charged: tax-inclusive with inclusive prices).
    pub lines: Vec<LineShare>,
    /// The tax on the shipping (part of `tax`).
    pub shipping_tax: i128,
}

/// One line's share of a cart's discount and tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineShare {
    pub discount: i128,
    pub tax: i128,
}

impl Breakdown {
    /// `subtotal − discount + shipping + tax`.
    pub fn total(&self) -> i128 {
        self.subtotal - self.discount + self.shipping + self.tax
    }
}

/// The cost of a cart, by the rules above.
pub fn price(inputs: Inputs<'_>) -> Priced {
    let subtotal: i128 = inputs.lines.iter().map(|line| line.total).sum();
    let evaluated = inputs
        .codes
        .iter()
        .map(|(code, collections)| {
            let outcome = if code.once_per_customer && inputs.used_by_buyer.contains(&code.id) {
                Err(Reason::AlreadyUsed)
            } else {
                rules::evaluate(
                    code,
                    collections,
                    inputs.in_collections,
                    inputs.lines,
                    subtotal,
                    inputs.now,
                )
            };
            (code.clone(), outcome)
        })
        .collect();
    let codes = rules::combine(evaluated);
    let mut line_discounts = vec![0_i128; inputs.lines.len()];
    let mut free_shipping = false;
    for (_, outcome) in &codes {
        match outcome {
            Ok(Effect::LinesOff(off)) => {
                for (sum, off) in line_discounts.iter_mut().zip(off) {
                    *sum += off;
                }
            }
            Ok(Effect::FreeShipping) => free_shipping = true,
            Err(_) => {}
        }
    }
    let discount: i128 = line_discounts.iter().sum();
    let rates = crate::shipping::loaders::applicable(inputs.zone_rates, subtotal - discount);
    let rate = inputs
        .chosen_rate
        .and_then(|chosen| rates.iter().find(|rate| rate.id == chosen).cloned());
    let shipping = match &rate {
        Some(rate) if !free_shipping => i128::from(rate.price),
        _ => 0,
    };
    let tax_rate = crate::tax::loaders::applicable(inputs.tax_rates, inputs.province);
    let breakdown = Breakdown::of(
        inputs.lines,
        &line_discounts,
        shipping,
        tax_rate,
        inputs.taxes,
    );
    Priced {
        codes,
        rates,
        rate,
        breakdown,
    }
}

impl Breakdown {
    /// The cost of `lines` less `line_discounts` (each at most its line),
    /// with `shipping` and the tax `rate` where one applies.
    pub fn of(
        lines: &[PricedLine],
        line_discounts: &[i128],
        shipping: i128,
        rate: Option<(&str, Percentage)>,
        taxes: TaxSettings,
    ) -> Breakdown {
        let discounted: Vec<i128> = lines
            .iter()
            .zip(line_discounts.iter().chain(std::iter::repeat(&0)))
            .map(|(line, off)| line.total - off.clamp(&0, &line.total))
            .collect();
        let gross_subtotal: i128 = lines.iter().map(|line| line.total).sum();
        let taxable: i128 = discounted.iter().sum();
        let gross_discount = gross_subtotal - taxable;
        let tax_of = |amount: i128| match (rate, taxes.prices_include_tax) {
            (None, _) => 0,
            (Some((_, rate)), false) => rate.of(amount),
            (Some((_, rate)), true) => rate.included_in(amount),
        };
        let goods_tax = tax_of(taxable);
        let shipping_tax = if taxes.tax_shipping {
            tax_of(shipping)
        } else {
            0
        };
        let tax = goods_tax + shipping_tax;
        let line_taxes = allocate(goods_tax, &discounted);
        let lines = line_discounts
            .iter()
            .chain(std::iter::repeat(&0))
            .zip(&line_taxes)
            .zip(lines)
            .map(|((off, tax), line)| LineShare {
                discount: (*off).clamp(0, line.total),
                tax: *tax,
            })
            .collect();
        let tax_lines = rate
            .map(|(title, rate)| (title.to_owned(), rate, tax))
            .into_iter()
            .collect();
        let (subtotal, discount, shipping) = if taxes.prices_include_tax {
            // Net of the tax in them: the subtotal loses its own tax; the
            // discount is what makes the net subtotal come down to the net
            // taxable amount.
            let subtotal = gross_subtotal - tax_of(gross_subtotal);
            (
                subtotal,
                subtotal - (taxable - goods_tax),
                shipping - shipping_tax,
            )
        } else {
            (gross_subtotal, gross_discount, shipping)
        };
        Breakdown {
            subtotal,
            discount,
            shipping,
            tax,
            tax_lines,
            lines,
            shipping_tax,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::discount::rules::Effect;

    fn lines(totals: &[i128]) -> Vec<PricedLine> {
        totals
            .iter()
            .enumerate()
            .map(|(i, total)| PricedLine {
                product_id: i as i64,
                total: *total,
            })
            .collect()
    }

    const US: TaxSettings = TaxSettings {
        prices_include_tax: false,
        tax_shipping: false,
    };

    #[test]
    fn tax_is_the_rate_of_the_discounted_subtotal_rounded_half_up() {
        let rate = Percentage::from_ppm(82_500); // 8.25%
        let costs = Breakdown::of(&lines(&[1_050]), &[], 500, Some(("Sales tax", rate)), US);
        assert_eq!(costs.tax, 87, "86.625 rounds up");
        assert_eq!(costs.total(), 1_050 + 500 + 87);
        let costs = Breakdown::of(&lines(&[1_000]), &[2_000], 0, Some(("Sales tax", rate)), US);
        assert_eq!(
            (costs.discount, costs.tax, costs.total()),
            (1_000, 0, 0),
            "a discount never passes the subtotal"
        );
        assert!(
            Breakdown::of(&lines(&[999]), &[], 0, None, US)
                .tax_lines
                .is_empty()
        );
    }

    #[test]
    fn inclusive_prices_report_the_tax_inside_them() {
        let vat = Some(("VAT", Percentage::from_ppm(200_000)));
        let eu = TaxSettings {
            prices_include_tax: true,
            tax_shipping: true,
        };
        // 12.00 of goods, 1.20 off, 6.00 shipping; 20% VAT inside each.
        let costs = Breakdown::of(&lines(&[1_200]), &[120], 600, vat, eu);
        assert_eq!(
            costs.total(),
            1_200 - 120 + 600,
            "the buyer pays the prices"
        );
        assert_eq!(costs.tax, 180 + 100);
        assert_eq!(
            (costs.subtotal, costs.discount, costs.shipping),
            (1_000, 100, 500)
        );
    }

    fn code(kind: u8, value: i64, limit: Option<i32>) -> discount_code::Model {
        let now = Utc::now();
        let kind = ["PERCENTAGE", "FIXED_AMOUNT", "FREE_SHIPPING"][usize::from(kind % 3)];
        discount_code::Model {
            id: 1,
            code: "CODE".into(),
            code_key: "code".into(),
            kind: kind.into(),
            percent_ppm: Some(i32::try_from(value % 1_000_001).unwrap_or(0)),
            amount: Some(value),
            minimum_subtotal: None,
            starts_at: None,
            ends_at: None,
            usage_limit: limit,
            used_count: 0,
            once_per_customer: false,
            created_at: now,
            updated_at: now,
        }
    }

    proptest! {
        /// Random carts, codes, rates and taxes, priced end to end: the
        /// total is the parts', the lines' shares are the discount's, the
        /// chosen rate is charged only while its bounds hold the
        /// discounted subtotal, and free shipping charges none.
        #[test]
        fn priced_carts_always_add_up(
            totals in proptest::collection::vec(0_i128..=1_000_000, 1..8),
            codes in proptest::collection::vec((0_u8..3, 0_i64..=2_000_000, proptest::option::of(0_i32..3)), 0..3),
            rate_price in 0_i64..=5_000,
            bounds in (proptest::option::of(0_i64..=3_000_000), proptest::option::of(0_i64..=3_000_000)),
            ppm in 0_i32..=300_000,
            prices_include_tax: bool,
            tax_shipping: bool,
        ) {
            let lines = lines(&totals);
            let now = Utc::now();
            let rate = shipping_rate::Model { id: 7, zone_id: 1, position: 0, title: "Standard".into(), price: rate_price, min_subtotal: bounds.0, max_subtotal: bounds.1 };
            let tax = tax_rate::Model { id: 1, country_code: "US".into(), province_code: String::new(), rate_ppm: ppm, title: "Tax".into(), updated_at: now };
            let codes: Vec<(discount_code::Model, Vec<i64>)> = codes
                .into_iter()
                .enumerate()
                .map(|(i, (kind, value, limit))| (discount_code::Model { id: i as i64, ..code(kind, value, limit) }, Vec::new()))
                .collect();
            let priced = price(Inputs {
                lines: &lines,
                codes,
                in_collections: &HashMap::new(),
                used_by_buyer: &HashSet::new(),
                zone_rates: std::slice::from_ref(&rate),
                chosen_rate: Some(7),
                tax_rates: std::slice::from_ref(&tax),
                province: None,
                taxes: TaxSettings { prices_include_tax, tax_shipping },
                now,
            });
            let costs = &priced.breakdown;
            prop_assert_eq!(costs.total(), costs.subtotal - costs.discount + costs.shipping + costs.tax);
            let off: i128 = costs.lines.iter().map(|share| share.discount).sum();
            let gross: i128 = totals.iter().sum();
            let discounted = gross - off;
            let holds = bounds.0.is_none_or(|min| discounted >= i128::from(min))
                && bounds.1.is_none_or(|max| discounted <= i128::from(max));
            prop_assert_eq!(priced.rate.is_some(), holds);
            let free = priced.codes.iter().any(|(_, outcome)| outcome == &Ok(Effect::FreeShipping));
            let shipped = if holds && !free { i128::from(rate_price) } else { 0 };
            prop_assert_eq!(costs.shipping + costs.shipping_tax * i128::from(prices_include_tax), shipped);
            if prices_include_tax {
                prop_assert_eq!(costs.total(), discounted + shipped);
            } else {
                prop_assert_eq!(costs.discount, off);
            }
        }

        /// Whatever the cart, the parts add up to the total, the tax lines
        /// to the tax, the lines' shares to the discount and the goods'
        /// tax, and nothing is negative.
        #[test]
        fn the_parts_always_add_up(
            totals in proptest::collection::vec(0_i128..=10_000_000_000, 1..12),
            offs in proptest::collection::vec(0_i128..=10_000_000_000, 0..12),
            shipping in 0_i128..=10_000_000,
            ppm in proptest::option::of(0_i32..=1_000_000),
            prices_include_tax: bool,
            tax_shipping: bool,
        ) {
            let lines = lines(&totals);
            let rate = ppm.map(|ppm| ("Tax", Percentage::from_ppm(ppm)));
            let taxes = TaxSettings { prices_include_tax, tax_shipping };
            let costs = Breakdown::of(&lines, &offs, shipping, rate, taxes);
            prop_assert_eq!(costs.total(), costs.subtotal - costs.discount + costs.shipping + costs.tax);
            prop_assert_eq!(costs.tax, costs.tax_lines.iter().map(|(_, _, amount)| amount).sum::<i128>());
            let line_tax: i128 = costs.lines.iter().map(|share| share.tax).sum();
            prop_assert_eq!(line_tax + costs.shipping_tax, costs.tax);
            prop_assert!(costs.discount >= 0 && costs.discount <= costs.subtotal);
            prop_assert!(costs.tax >= 0 && costs.shipping >= 0 && costs.total() >= 0);
            let gross: i128 = totals.iter().sum();
            let off: i128 = costs.lines.iter().map(|share| share.discount).sum();
            if prices_include_tax {
                prop_assert_eq!(costs.total(), gross - off + shipping);
            } else {
                prop_assert_eq!(costs.discount, off);
                if let Some(ppm) = ppm && !tax_shipping {
                    // Within half a minor unit of the exact tax.
                    let exact = (gross - off) * i128::from(ppm);
                    prop_assert!((costs.tax * 1_000_000 - exact).abs() <= 500_000);
                }
            }
        }
    }
}
