//! What the shipping module batch-loads: the countries and the rates of
//! zones, keyed by zone.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{shipping_rate, shipping_zone_country};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches};

/// The shipping loaders of one request (in its data as `Arc<ShippingLoaders>`).
pub struct ShippingLoaders {
    pub countries: Batcher<CountriesOfZone>,
    pub rates: Batcher<RatesOfZone>,
    pub zone_of_country: Batcher<ZoneOfCountry>,
}

impl ShippingLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        ShippingLoaders {
            countries: Batcher::new(CountriesOfZone(db.clone())),
            rates: Batcher::new(RatesOfZone(db.clone())),
            zone_of_country: Batcher::new(ZoneOfCountry(db.clone())),
        }
    }
}

impl StartBatches for ShippingLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.countries, fetches);
        batch::start(&self.rates, fetches);
        batch::start(&self.zone_of_country, fetches);
    }
}

/// The country codes of zones, in code order.
pub struct CountriesOfZone(pub DatabaseConnection);

impl BatchLoad for CountriesOfZone {
    type Key = i64;
    type Value = Arc<Vec<String>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = shipping_zone_country::Entity::find()
            .filter(shipping_zone_country::Column::ZoneId.is_in(keys.iter().copied()))
            .order_by_asc(shipping_zone_country::Column::CountryCode)
            .all(&self.0)
            .await?;
        let mut per_zone: HashMap<i64, Vec<String>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            per_zone
                .entry(row.zone_id)
                .or_default()
                .push(row.country_code);
        }
        Ok(per_zone
            .into_iter()
            .map(|(zone, codes)| (zone, Arc::new(codes)))
            .collect())
    }
}

/// The rates of zones, in their order.
pub struct RatesOfZone(pub DatabaseConnection);

impl BatchLoad for RatesOfZone {
    type Key = i64;
    type Value = Arc<Vec<shipping_rate::Model>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = shipping_rate::Entity::find()
            .filter(shipping_rate::Column::ZoneId.is_in(keys.iter().copied()))
            .order_by_asc(shipping_rate::Column::Position)
            .all(&self.0)
            .await?;
        let mut per_zone: HashMap<i64, Vec<shipping_rate::Model>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            per_zone.entry(row.zone_id).or_default().push(row);
        }
        Ok(per_zone
            .into_iter()
            .map(|(zone, rates)| (zone, Arc::new(rates)))
            .collect())
    }
}

/// The zone of countries (by ISO code), if they are in one.
pub struct ZoneOfCountry(pub DatabaseConnection);

impl BatchLoad for ZoneOfCountry {
    type Key = String;
    type Value = i64;

    async fn load(&self, keys: Vec<String>) -> Result<HashMap<String, i64>, DbErr> {
        let rows = shipping_zone_country::Entity::find()
            .filter(shipping_zone_country::Column::CountryCode.is_in(keys.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.country_code, row.zone_id))
            .collect())
    }
}

/// The rates of `zone_rates` that apply to a cart of `subtotal` (minor
/// units): within their bounds, inclusive.
pub fn applicable(
    zone_rates: &[shipping_rate::Model],
    subtotal: i128,
) -> Vec<shipping_rate::Model> {
    zone_rates
        .iter()
        .filter(|rate| {
            rate.min_subtotal
                .is_none_or(|min| subtotal >= i128::from(min))
        })
        .filter(|rate| {
            rate.max_subtotal
                .is_none_or(|max| subtotal <= i128::from(max))
        })
        .cloned()
        .collect()
}
