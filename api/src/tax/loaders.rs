//! What the tax module batch-loads: the rates of countries, keyed by
//! country code (the country's own and its provinces').

use std::collections::HashMap;
use std::sync::Arc;

use entity::tax_rate;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::money::Percentage;
use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches};

/// The tax loaders of one request (in its data as `Arc<TaxLoaders>`).
pub struct TaxLoaders {
    pub rates_of_country: Batcher<RatesOfCountry>,
}

impl TaxLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        TaxLoaders {
            rates_of_country: Batcher::new(RatesOfCountry(db.clone())),
        }
    }
}

impl StartBatches for TaxLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.rates_of_country, fetches);
    }
}

/// Loads the tax rates of countries: every country asked for has an entry.
pub struct RatesOfCountry(pub DatabaseConnection);

impl BatchLoad for RatesOfCountry {
    type Key = String;
    type Value = Arc<Vec<tax_rate::Model>>;

    async fn load(&self, keys: Vec<String>) -> Result<HashMap<String, Self::Value>, DbErr> {
        let rows = tax_rate::Entity::find()
            .filter(tax_rate::Column::CountryCode.is_in(keys.iter().cloned()))
            .all(&self.0)
            .await?;
        let mut per_country: HashMap<String, Vec<tax_rate::Model>> =
            keys.into_iter().map(|key| (key, Vec::new())).collect();
        for row in rows {
            per_country
                .entry(row.country_code.clone())
                .or_default()
                .push(row);
        }
        Ok(per_country
            .into_iter()
            .map(|(country, rates)| (country, Arc::new(rates)))
            .collect())
    }
}

/// The rate that applies at an address: its province's, where one is set,
/// else its country's; none when neither is.
pub fn applicable<'a>(
    rates: &'a [tax_rate::Model],
    province: Option<&str>,
) -> Option<(&'a str, Percentage)> {
    let of_province = province.and_then(|province| {
        rates
            .iter()
            .find(|rate| !rate.province_code.is_empty() && rate.province_code == province)
    });
    of_province
        .or_else(|| rates.iter().find(|rate| rate.province_code.is_empty()))
        .map(|rate| (rate.title.as_str(), Percentage::from_ppm(rate.rate_ppm)))
}
