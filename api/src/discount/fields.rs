//! The `DiscountCode` type.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use entity::discount_code;

use super::loaders::DiscountLoaders;
use crate::collection::Collection;
use crate::collection::loaders::CollectionLoaders;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids;
use crate::money::{Currency, Decimal, Money, Percentage};
use crate::timestamp::Timestamp;

/// What a discount code takes off.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountKind {
    /// A percentage of the eligible lines.
    Percentage,
    /// An amount off the eligible lines, at most their total.
    FixedAmount,
    /// The shipping charge.
    FreeShipping,
}

impl DiscountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscountKind::Percentage => "PERCENTAGE",
            DiscountKind::FixedAmount => "FIXED_AMOUNT",
            DiscountKind::FreeShipping => "FREE_SHIPPING",
        }
    }

    pub fn from_stored(kind: &str) -> DiscountKind {
        match kind {
            "PERCENTAGE" => DiscountKind::Percentage,
            "FIXED_AMOUNT" => DiscountKind::FixedAmount,
            _ => DiscountKind::FreeShipping,
        }
    }
}

/// A discount code as staff defined it.
#[derive(Debug, Clone)]
pub struct DiscountCode(pub discount_code::Model);

impl crate::store::pagination::Keyed for discount_code::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// A code shoppers enter to pay less, and the rules it keeps.
#[Object(cache_control(private))]
impl DiscountCode {
    /// The code's ID.
    async fn id(&self) -> ID {
        ids::encode_other("DiscountCode", self.0.id)
    }

    /// The code as staff wrote it; shoppers may type it in any case.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// What it takes off.
    async fn kind(&self) -> DiscountKind {
        DiscountKind::from_stored(&self.0.kind)
    }

    /// The percentage (`PERCENTAGE`, e.g. `"15"`) or the amount
    /// (`FIXED_AMOUNT`, e.g. `"10.00"`); null for `FREE_SHIPPING`.
    async fn value(&self) -> Option<Decimal> {
        match (self.0.percent_ppm, self.0.amount) {
            (Some(ppm), _) => Some(Percentage::from_ppm(ppm).percent()),
            (_, Some(amount)) => Some(Decimal(rust_decimal::Decimal::new(amount, 2))),
            _ => None,
        }
    }

    /// The subtotal a cart must reach for the code to apply.
    async fn minimum_subtotal(&self, ctx: &Context<'_>) -> ApiResult<Option<Money>> {
        let currency = ctx.shared::<Currency>()?;
        Ok(self
            .0
            .minimum_subtotal
            .map(|minor| Money::from_minor(minor, currency)))
    }

    /// From when the code applies; null: from its creation.
    async fn starts_at(&self) -> Option<Timestamp> {
        self.0.starts_at.map(Timestamp)
    }

    /// Until when the code applies; null: with no end.
    async fn ends_at(&self) -> Option<Timestamp> {
        self.0.ends_at.map(Timestamp)
    }

    /// How many orders may carry the code in all; null: no limit.
    async fn usage_limit(&self) -> Option<i32> {
        self.0.usage_limit
    }

    /// How many orders carry it.
    async fn usage_count(&self) -> i32 {
        self.0.used_count
    }

    /// Whether each customer (or guest email) may use it once only.
    async fn once_per_customer(&self) -> bool {
        self.0.once_per_customer
    }

    /// The collections whose products it applies to; empty: every product.
    async fn collections(&self, ctx: &Context<'_>) -> ApiResult<Vec<Collection>> {
        let ids = ctx
            .shared::<Arc<DiscountLoaders>>()?
            .collections
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let collections = ctx
            .shared::<Arc<CollectionLoaders>>()?
            .by_id
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| collections.get(id).cloned().map(Collection))
            .collect())
    }

    /// When the code was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
}
