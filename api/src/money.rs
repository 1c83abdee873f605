//! Money: stored as integer minor units, shown as a decimal string with its
//! currency (Shopify's `MoneyV2`), never as a float.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};
use rust_decimal::Decimal as Exact;

use crate::error::UserError;

/// The shop's currency settings, taken from the configuration.
#[derive(Debug, Clone)]
pub struct Currency {
    pub code: String,
}

/// Minor units per major unit; the configured currencies have hundredths.
const SCALE: u32 = 2;

/// An exact decimal number, e.g. an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub Exact);

/// An exact decimal number, written as a string such as `"12.50"` so that no
/// digit is lost to floating point. Inputs also accept an integer; floats are
/// refused.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => {
                text.trim().parse::<Exact>().map(Decimal).map_err(|_| {
                    InputValueError::custom(format!("`{text}` is not a decimal number"))
                })
            }
            Value::Number(number) if number.is_i64() => {
                Ok(Decimal(Exact::from(number.as_i64().unwrap_or_default())))
            }
            _ => Err(InputValueError::custom(
                "a decimal must be a string such as \"12.50\" (or an integer)",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An amount of money in a currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct Money {
    /// The decimal amount, as a string to keep every digit exact (e.g. `"12.50"`).
    pub amount: Decimal,
    /// The ISO 4217 code of the currency (e.g. `USD`).
    pub currency_code: String,
}

impl Money {
    /// An amount of `minor_units`. Sums are computed in `i128`: with the
    /// maxima of a price (10^11 minor units), a line (10^6 units) and a cart
    /// (250 lines), a cart's subtotal reaches 2.5 × 10^19, past `i64` (a
    /// subtotal once wrapped to a negative amount) but far inside both
    /// `i128` and `Decimal` (7.9 × 10^28), so no amount here saturates.
    pub fn from_minor(minor_units: impl Into<i128>, currency: &Currency) -> Self {
        let amount =
            Exact::try_from_i128_with_scale(minor_units.into(), SCALE).unwrap_or(Exact::MAX);
        Money {
            amount: Decimal(amount),
            currency_code: currency.code.clone(),
        }
    }
}

/// What `quantity` units at `price` (minor units) cost. In `i128`: a line
/// reaches 10^17 and a cart's sum of lines 2.5 × 10^19, past `i64` (see
/// [`Money::from_minor`]).
pub fn line_total(price: i64, quantity: i32) -> i128 {
    i128::from(price) * i128::from(quantity)
}

/// Why a decimal amount cannot be a price.
#[derive(Debug, PartialEq, Eq)]
pub enum AmountError {
    Negative,
    TooPrecise,
    TooLarge,
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AmountError::Negative => "must not be negative",
            AmountError::TooPrecise => "must have at most 2 decimal places",
            AmountError::TooLarge => "is too large",
        })
    }
}

/// Largest accepted amount in minor units: 1 billion in major units.
pub const MAX_MINOR_UNITS: i64 = 100_000_000_000;

/// Converts a non-negative decimal amount with at most two decimal places
/// into minor units.
pub fn to_minor_units(Decimal(amount): Decimal) -> Result<i64, AmountError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(AmountError::Negative);
    }
    let scaled = amount
        .checked_mul(Exact::from(10_i64.pow(SCALE)))
        .ok_or(AmountError::TooLarge)?;
    if !scaled.fract().is_zero() {
        return Err(AmountError::TooPrecise);
    }
    let minor = i64::try_from(scaled.trunc()).map_err(|_| AmountError::TooLarge)?;
    if minor > MAX_MINOR_UNITS {
        return Err(AmountError::TooLarge);
    }
    Ok(minor)
}

/// Parts per million in one percent.
const PPM_PER_PERCENT: i64 = 10_000;
/// Parts per million in the whole.
const PPM_PER_WHOLE: i128 = 1_000_000;

/// A percentage from 0 to 100 with at most four decimals (a tax rate, a
/// discount), stored exactly in parts per million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentage {
    ppm: i32,
}

impl Percentage {
    /// A percentage such as `"8.25"`; `INVALID` at `field` when negative,
    /// over 100 or finer than four decimals.
    pub fn from_percent(
        Decimal(percent): Decimal,
        field: &[&str],
    ) -> Result<Percentage, UserError> {
        let refused = || {
            UserError::invalid(
                field,
                "Must be a percentage from 0 to 100 with at most 4 decimals, e.g. \"8.25\"",
            )
        };
        let ppm = percent
            .checked_mul(Exact::from(PPM_PER_PERCENT))
            .filter(|ppm| ppm.fract().is_zero())
            .and_then(|ppm| i32::try_from(ppm.trunc()).ok())
            .ok_or_else(refused)?;
        if !(0..=100 * PPM_PER_PERCENT as i32).contains(&ppm) {
            return Err(refused());
        }
        Ok(Percentage { ppm })
    }

    /// The stored form.
    pub fn from_ppm(ppm: i32) -> Percentage {
        Percentage { ppm }
    }

    pub fn ppm(self) -> i32 {
        self.ppm
    }

    /// This percentage of `amount` (minor units, not negative), rounded
    /// half up to a whole minor unit: 8.25% of 1,050 is 86.625, so 87.
    pub fn of(self, amount: i128) -> i128 {
        let exact = amount * i128::from(self.ppm);
        (exact + PPM_PER_WHOLE / 2) / PPM_PER_WHOLE
    }

    /// The tax at this rate contained in a tax-inclusive `amount`:
    /// `amount × rate / (100% + rate)`, rounded half up (20% VAT in 1,200
    /// is 200).
    pub fn included_in(self, amount: i128) -> i128 {
        let ppm = i128::from(self.ppm);
        let whole = PPM_PER_WHOLE + ppm;
        (amount * ppm * 2 + whole) / (whole * 2)
    }

    /// The percentage, without trailing zeros (`8.25`, `20`).
    pub fn percent(self) -> Decimal {
        Decimal(Exact::new(i64::from(self.ppm), 4).normalize())
    }
}

/// Splits `amount` across `weights` in proportion, in whole minor units
/// that sum to exactly `amount` (largest remainder: each share is rounded
/// down, then the units left go one each to the shares that lost the most,
/// the earlier share first on a tie). With `amount ≤ Σ weights`, no share
/// passes its weight. All weights 0: all goes to the first share.
pub fn allocate(amount: i128, weights: &[i128]) -> Vec<i128> {
    let total: i128 = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if total <= 0 {
        let mut shares = vec![0; weights.len()];
        shares[0] = amount;
        return shares;
    }
    let mut shares: Vec<i128> = weights.iter().map(|w| amount * w / total).collect();
    let mut left = amount - shares.iter().sum::<i128>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|&i| (std::cmp::Reverse(amount * weights[i] % total), i));
    for i in by_remainder {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Shares always sum to the amount, and none passes its weight.
        #[test]
        fn allocation_is_exact(
            weights in proptest::collection::vec(0_i128..=1_000_000, 1..20),
            fraction in 0_u32..=100,
        ) {
            let total: i128 = weights.iter().sum();
            let amount = total * i128::from(fraction) / 100;
            let shares = allocate(amount, &weights);
            prop_assert_eq!(shares.iter().sum::<i128>(), amount);
            for (share, weight) in shares.iter().zip(&weights) {
                prop_assert!(*share >= 0 && (total == 0 || share <= weight));
            }
        }
    }

    #[test]
    fn included_tax_is_the_part_of_the_gross() {
        let vat = Percentage::from_ppm(200_000);
        assert_eq!(vat.included_in(1_200), 200);
        assert_eq!(vat.included_in(1), 0, "1/6 of a cent rounds down");
        assert_eq!(vat.included_in(3), 1, "0.5 rounds up");
        assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
    }

    fn dec(text: &str) -> Decimal {
        Decimal(text.parse().unwrap())
    }

    #[test]
    fn converts_exact_amounts() {
        assert_eq!(to_minor_units(dec("12.5")), Ok(1250));
        assert_eq!(to_minor_units(dec("0")), Ok(0));
        assert_eq!(to_minor_units(dec("7.00")), Ok(700));
    }

    #[test]
    fn rejects_bad_amounts() {
        assert_eq!(to_minor_units(dec("-0.01")), Err(AmountError::Negative));
        assert_eq!(to_minor_units(dec("1.005")), Err(AmountError::TooPrecise));
        assert_eq!(
            to_minor_units(dec("1000000001")),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn shows_two_decimal_places() {
        let usd = Currency { code: "USD".into() };
        assert_eq!(Money::from_minor(1250, &usd).amount.0.to_string(), "12.50");
        assert_eq!(Money::from_minor(5, &usd).amount.0.to_string(), "0.05");
    }

    fn percentage(text: &str) -> Result<Percentage, UserError> {
        Percentage::from_percent(Decimal(text.parse().unwrap()), &["rate"])
    }

    #[test]
    fn rates_are_exact_percentages() {
        assert_eq!(percentage("8.25").unwrap().ppm(), 82_500);
        assert_eq!(percentage("8.875").unwrap().ppm(), 88_750);
        assert_eq!(percentage("20").unwrap().percent().0.to_string(), "20");
        assert_eq!(
            percentage("8.2500").unwrap().percent().0.to_string(),
            "8.25"
        );
        assert_eq!(percentage("0").unwrap().ppm(), 0);
        assert_eq!(percentage("100").unwrap().ppm(), 1_000_000);
        for bad in ["-1", "100.01", "8.12345", "1000000000"] {
            assert!(percentage(bad).is_err(), "{bad}");
        }
    }
}
