//! What shipping mutations accept, parsed before the write turn.

use async_graphql::InputObject;

use crate::customer::country::CountryCode;
use crate::error::{UserError, UserErrorCode};
use crate::input::{FieldErrors, Name};
use crate::money::{self, Decimal};

/// Most countries one zone covers.
pub const MAX_COUNTRIES: usize = 250;
/// Most rates one zone offers.
pub const MAX_RATES: usize = 20;

/// A shipping zone's fields.
#[derive(Debug, InputObject)]
pub struct ShippingZoneInput {
    /// The zone's name, 1 to 200 characters.
    pub name: String,
    /// The countries it covers (at most 250), none of them in another zone.
    pub country_codes: Vec<CountryCode>,
    /// Its rates, in the order shoppers see them (at most 20).
    pub rates: Vec<ShippingRateInput>,
}

/// A shipping rate's fields.
#[derive(Debug, InputObject)]
pub struct ShippingRateInput {
    /// What the shopper sees, 1 to 200 characters.
    pub title: String,
    /// What shipping costs at this rate, e.g. `"4.90"`; `"0"` for free.
    pub price: Decimal,
    /// The rate applies from this subtotal (after discounts) up.
    pub min_subtotal: Option<Decimal>,
    /// The rate applies up to this subtotal (after discounts).
    pub max_subtotal: Option<Decimal>,
}

/// A zone, parsed.
#[derive(Debug)]
pub struct Zone {
    pub name: Name,
    pub countries: Vec<CountryCode>,
    pub rates: Vec<Rate>,
}

/// A rate, parsed (amounts in minor units).
#[derive(Debug)]
pub struct Rate {
    pub title: Name,
    pub price: i64,
    pub min_subtotal: Option<i64>,
    pub max_subtotal: Option<i64>,
}

impl Zone {
    /// Every bad field at once.
    pub fn parse(input: ShippingZoneInput) -> Result<Zone, Vec<UserError>> {
        let mut errors = FieldErrors::default();
        let name = errors.check(Name::parse(&input.name, &["input", "name"]));
        // In the order given (errors name their index), each once.
        let mut countries: Vec<CountryCode> = Vec::new();
        for code in input.country_codes {
            if !countries.contains(&code) {
                countries.push(code);
            }
        }
        if countries.len() > MAX_COUNTRIES {
            errors.push(too_many(
                &["input", "countryCodes"],
                MAX_COUNTRIES,
                "countries",
            ));
        }
        if input.rates.len() > MAX_RATES {
            errors.push(too_many(&["input", "rates"], MAX_RATES, "rates"));
        }
        let mut rates = Vec::new();
        for (index, rate) in input.rates.iter().enumerate() {
            let index = index.to_string();
            let at = |field: &str| ["input", "rates", index.as_str(), field].map(str::to_owned);
            let amount = |errors: &mut FieldErrors, amount: Decimal, field: &str| {
                errors.check(
                    money::to_minor_units(amount)
                        .map_err(|err| UserError::invalid(&at(field), format!("The amount {err}"))),
                )
            };
            let title_at = at("title");
            let title_at: Vec<&str> = title_at.iter().map(String::as_str).collect();
            let title = errors.check(Name::parse(&rate.title, &title_at));
            let price = amount(&mut errors, rate.price, "price");
            // `Some(None)`: given but bad; `None`: not given.
            let min = rate
                .min_subtotal
                .map(|min| amount(&mut errors, min, "minSubtotal"));
            let max = rate
                .max_subtotal
                .map(|max| amount(&mut errors, max, "maxSubtotal"));
            if let (Some(Some(min)), Some(Some(max))) = (min, max)
                && max < min
            {
                errors.push(UserError::invalid(
                    &at("maxSubtotal"),
                    "The maximum subtotal must not be below the minimum",
                ));
            }
            let bounds_parsed = min != Some(None) && max != Some(None);
            if let (Some(title), Some(price), true) = (title, price, bounds_parsed) {
                rates.push(Rate {
                    title,
                    price,
                    min_subtotal: min.flatten(),
                    max_subtotal: max.flatten(),
                });
            }
        }
        let errors = errors.into_errors();
        match name {
            Some(name) if errors.is_empty() => Ok(Zone {
                name,
                countries,
                rates,
            }),
            _ => Err(errors),
        }
    }
}

fn too_many(field: &[&str], max: usize, what: &str) -> UserError {
    UserError::new(
        field,
        UserErrorCode::TooMany,
        format!("At most {max} {what} a zone"),
    )
}
