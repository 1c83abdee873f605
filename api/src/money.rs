//! Money: stored as integer minor units, shown as a decimal string with its
//! currency (Shopify's `MoneyV2`), never as a float.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};
use rust_decimal::Decimal as Exact;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
