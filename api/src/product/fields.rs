//! The fields of the product domain's types (their GraphQL face).

use async_graphql::{Context, ID, Object};

use super::types::Product;
use crate::context::Shared;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::money::{Currency, Money};
use crate::timestamp::Timestamp;

/// An item of the catalogue that customers can put in their carts.
#[Object(cache_control(max_age = 60))]
impl Product {
    /// The product's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Product, self.0.id)
    }

    /// The product's name, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A longer description, if the product has one.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The price of one unit.
    async fn price(&self, ctx: &Context<'_>) -> ApiResult<Money> {
        Ok(Money::from_minor(self.0.price, ctx.shared::<Currency>()?))
    }

    /// How many units are available.
    async fn stock(&self) -> i32 {
        self.0.stock
    }

    /// When the product was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When the product was last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at)
    }
}
