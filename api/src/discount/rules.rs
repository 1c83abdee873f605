//! Whether a discount code applies to a cart, and what it takes off: the
//! rules, as pure functions of the code, the cart's lines and the time.
//!
//! - A code applies within its window (`startsAt` ≤ now < `endsAt`),
//!   while it has uses left, and when the cart's subtotal reaches its
//!   minimum.
//! - It takes off from its eligible lines: all of them, or those of
//!   products in its collections. A percentage is taken per line and
//!   rounded half up to a whole minor unit (so a line's share is exact and
//!   the order's discount is the sum of its lines'); a fixed amount is at
//!   most the eligible lines' total and is split across them in
//!   proportion to their totals, in whole minor units that sum exactly to
//!   it ([`crate::money::allocate`]); free shipping takes the shipping.
//! - A cart holds several codes, but one kind applies once: the first
//!   code entered of the lines' kind (percentage or fixed amount) and the
//!   first free-shipping code; the others show why they do not apply.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::discount_code;

use super::fields::DiscountKind;
use crate::money::{Currency, Money, Percentage};

/// A cart line as the rules see it: its product and its total.
#[derive(Debug, Clone, Copy)]
pub struct PricedLine {
    pub product_id: i64,
    pub total: i128,
}

/// What an applicable code does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Takes this much off each line (in the lines' order; 0 for a line
    /// the code does not reach).
    LinesOff(Vec<i128>),
    /// Takes the shipping charge.
    FreeShipping,
}

/// Why a code does not apply now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    NotStarted,
    Ended,
    UsedUp,
    BelowMinimum(i64),
    NoEligibleLines,
    AnotherApplies,
    /// A code for once per customer that this buyer has used.
    AlreadyUsed,
}

impl Reason {
    /// The reason, fit to show to the shopper.
    pub fn message(&self, currency: &Currency) -> String {
        match self {
            Reason::NotStarted => "This code is not valid yet".to_owned(),
            Reason::Ended => "This code has expired".to_owned(),
            Reason::UsedUp => "This code has been used as often as it may be".to_owned(),
            Reason::BelowMinimum(minimum) => format!(
                "This code needs a subtotal of at least {}",
                Money::from_minor(*minimum, currency).amount.0
            ),
            Reason::NoEligibleLines => "No line of the cart is eligible for this code".to_owned(),
            Reason::AnotherApplies => {
                "Another code of the same kind already applies to this cart".to_owned()
            }
            Reason::AlreadyUsed => "You have already used this code".to_owned(),
        }
    }
}

/// The names a buyer's once-per-customer uses are recorded under: their
/// account and their email (lower-cased), so a guest checkout with a
/// customer's email counts as the customer's, and the other way round.
pub fn buyer_keys(customer: Option<i64>, email: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = email
        .map(|email| format!("email:{}", email.trim().to_lowercase()))
        .into_iter()
        .collect();
    if let Some(customer) = customer {
        keys.push(format!("customer:{customer}"));
    }
    keys
}

/// Whether `code` has been used as often as its limit allows.
pub fn used_up(code: &discount_code::Model) -> bool {
    code.usage_limit
        .is_some_and(|limit| code.used_count >= limit)
}

/// What a code does to a cart with `lines` (subtotal `subtotal`) at
/// `now`, on its own; `collections` are the code's (none: every line),
/// `in_collections` each product's collections.
pub fn evaluate(
    code: &discount_code::Model,
    collections: &[i64],
    in_collections: &HashMap<i64, Vec<i64>>,
    lines: &[PricedLine],
    subtotal: i128,
    now: DateTime<Utc>,
) -> Result<Effect, Reason> {
    if code.starts_at.is_some_and(|start| now < start) {
        return Err(Reason::NotStarted);
    }
    if code.ends_at.is_some_and(|end| now >= end) {
        return Err(Reason::Ended);
    }
    if used_up(code) {
        return Err(Reason::UsedUp);
    }
    if let Some(minimum) = code.minimum_subtotal
        && subtotal < i128::from(minimum)
    {
        return Err(Reason::BelowMinimum(minimum));
    }
    let kind = DiscountKind::from_stored(&code.kind);
    if kind == DiscountKind::FreeShipping {
        return Ok(Effect::FreeShipping);
    }
    let eligible: Vec<bool> = lines
        .iter()
        .map(|line| {
            collections.is_empty()
                || in_collections
                    .get(&line.product_id)
                    .is_some_and(|of_product| {
                        of_product
                            .iter()
                            .any(|collection| collections.contains(collection))
                    })
        })
        .collect();
    if !eligible.contains(&true) {
        return Err(Reason::NoEligibleLines);
    }
    let weights: Vec<i128> = lines
        .iter()
        .zip(&eligible)
        .map(|(line, eligible)| if *eligible { line.total } else { 0 })
        .collect();
    let off = match kind {
        DiscountKind::Percentage => {
            let rate = Percentage::from_ppm(code.percent_ppm.unwrap_or(0));
            weights.iter().map(|total| rate.of(*total)).collect()
        }
        _ => {
            let amount = i128::from(code.amount.unwrap_or(0)).min(weights.iter().sum());
            crate::money::allocate(amount, &weights)
        }
    };
    Ok(Effect::LinesOff(off))
}

/// The codes of a cart, in the order they were entered, each with what it
/// does or why it does not apply, once the one-per-kind rule is kept.
pub fn combine(
    evaluated: Vec<(discount_code::Model, Result<Effect, Reason>)>,
) -> Vec<(discount_code::Model, Result<Effect, Reason>)> {
    let (mut lines_taken, mut shipping_taken) = (false, false);
    evaluated
        .into_iter()
        .map(|(code, outcome)| {
            let outcome = match outcome {
                Ok(Effect::LinesOff(_)) if lines_taken => Err(Reason::AnotherApplies),
                Ok(Effect::FreeShipping) if shipping_taken => Err(Reason::AnotherApplies),
                Ok(Effect::LinesOff(off)) => {
                    lines_taken = true;
                    Ok(Effect::LinesOff(off))
                }
                Ok(Effect::FreeShipping) => {
                    shipping_taken = true;
                    Ok(Effect::FreeShipping)
                }
                Err(reason) => Err(reason),
            };
            (code, outcome)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(kind: &str, ppm: Option<i32>, amount: Option<i64>) -> discount_code::Model {
        let now = Utc::now();
        discount_code::Model {
            id: 1,
            code: "X".into(),
            code_key: "x".into(),
            kind: kind.into(),
            percent_ppm: ppm,
            amount,
            minimum_subtotal: None,
            starts_at: None,
            ends_at: None,
            usage_limit: None,
            used_count: 0,
            once_per_customer: false,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn percentages_are_taken_per_line_and_rounded_half_up() {
        let lines = [
            PricedLine {
                product_id: 1,
                total: 105,
            },
            PricedLine {
                product_id: 2,
                total: 105,
            },
        ];
        let ten = code("PERCENTAGE", Some(150_000), None); // 15%: 15.75 a line
        let off = evaluate(&ten, &[], &HashMap::new(), &lines, 210, Utc::now());
        assert_eq!(
            off,
            Ok(Effect::LinesOff(vec![16, 16])),
            "16 + 16, not round(31.5)"
        );
        let only_second = evaluate(
            &ten,
            &[7],
            &HashMap::from([(2, vec![7])]),
            &lines,
            210,
            Utc::now(),
        );
        assert_eq!(only_second, Ok(Effect::LinesOff(vec![0, 16])));
        let fixed = code("FIXED_AMOUNT", None, Some(500));
        assert_eq!(
            evaluate(&fixed, &[], &HashMap::new(), &lines, 210, Utc::now()),
            Ok(Effect::LinesOff(vec![105, 105])),
            "never more than the lines"
        );
        let mut used = code("FREE_SHIPPING", None, None);
        used.usage_limit = Some(2);
        used.used_count = 2;
        assert_eq!(
            evaluate(&used, &[], &HashMap::new(), &lines, 210, Utc::now()),
            Err(Reason::UsedUp)
        );
    }
}
