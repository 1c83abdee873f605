//! A tax rate as an exact number: parts per million of the taxed amount.

use rust_decimal::Decimal as Exact;

use crate::error::UserError;
use crate::money::Decimal;

/// Parts per million in one percent.
const PPM_PER_PERCENT: i64 = 10_000;

/// A tax rate, 0 % to 100 %, with at most four decimals of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    ppm: i32,
}

impl Rate {
    /// A percentage such as `"8.25"`; `INVALID` at `field` when negative,
    /// over 100 or finer than four decimals.
    pub fn from_percent(Decimal(percent): Decimal, field: &[&str]) -> Result<Rate, UserError> {
        let refused = || {
            UserError::invalid(
                field,
                "A tax rate is a percentage from 0 to 100 with at most 4 decimals, e.g. \"8.25\"",
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
        Ok(Rate { ppm })
    }

    /// The stored form.
    pub fn from_ppm(ppm: i32) -> Rate {
        Rate { ppm }
    }

    pub fn ppm(self) -> i32 {
        self.ppm
    }

    /// The percentage, without trailing zeros (`8.25`, `20`).
    pub fn percent(self) -> Decimal {
        Decimal(Exact::new(i64::from(self.ppm), 4).normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Result<Rate, UserError> {
        Rate::from_percent(Decimal(text.parse().unwrap()), &["rate"])
    }

    #[test]
    fn rates_are_exact_percentages() {
        assert_eq!(rate("8.25").unwrap().ppm(), 82_500);
        assert_eq!(rate("8.875").unwrap().ppm(), 88_750);
        assert_eq!(rate("20").unwrap().percent().0.to_string(), "20");
        assert_eq!(rate("8.2500").unwrap().percent().0.to_string(), "8.25");
        assert_eq!(rate("0").unwrap().ppm(), 0);
        assert_eq!(rate("100").unwrap().ppm(), 1_000_000);
        for bad in ["-1", "100.01", "8.12345", "1000000000"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }
}
