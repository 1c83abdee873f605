//! The `TaxRate` type.

use async_graphql::{ID, Object};
use entity::tax_rate;

use crate::customer::country::CountryCode;
use crate::ids;
use crate::money::Decimal;
use crate::money::Percentage;

/// The tax of a country, or of one of its provinces.
#[derive(Debug, Clone)]
pub struct TaxRate(pub tax_rate::Model);

/// The tax of a country, or of one of its provinces (which replaces the
/// country's rate there).
#[Object(cache_control(private))]
impl TaxRate {
    /// The rate's ID.
    async fn id(&self) -> ID {
        ids::encode_other("TaxRate", self.0.id)
    }

    /// The country taxed.
    async fn country_code(&self) -> CountryCode {
        CountryCode::from_code(&self.0.country_code).unwrap_or(CountryCode::US)
    }

    /// The province taxed; null for the whole country.
    async fn province_code(&self) -> Option<&str> {
        (!self.0.province_code.is_empty()).then_some(self.0.province_code.as_str())
    }

    /// The rate as a percentage, e.g. `"8.25"`.
    async fn rate(&self) -> Decimal {
        Percentage::from_ppm(self.0.rate_ppm).percent()
    }

    /// The name shown on tax lines ("IL State Tax", "VAT").
    async fn title(&self) -> &str {
        &self.0.title
    }
}
