//! Products: the catalogue. The `Product` GraphQL type, its queries
//! (`product`, `products`) and mutations (`createProduct`, `updateProduct`,
//! `deleteProduct`), and the rules a product's fields obey.

mod filter;
pub mod loaders;
mod mutation;
mod query;
mod subscription;

pub use filter::{ProductFilter, ProductOrder};
pub use mutation::ProductMutation;
pub use query::ProductQuery;
pub use subscription::ProductSubscription;

use async_graphql::{Context, ID, Object};
use entity::product;

use crate::context::Shared;
use crate::error::{ApiResult, UserError};
use crate::ids::{self, NodeKind};
use crate::money::{self, Currency, Money};
use crate::timestamp::Timestamp;

/// A product as the API shows it; wraps the table row so that a new column
/// never becomes public API by accident.
#[derive(Debug, Clone)]
pub struct Product(pub product::Model);

impl crate::store::pagination::Keyed for product::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

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

/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// Largest accepted stock; keeps every cart quantity far from integer overflow.
pub const MAX_STOCK: i32 = 1_000_000_000;

/// A description: at most [`MAX_DESCRIPTION_CHARS`]; blank means none.
pub fn parse_description(text: &str, field: &[&str]) -> Result<Option<String>, UserError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(UserError::invalid(
            field,
            format!("Description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A price in minor units from a decimal amount.
pub fn parse_price(amount: money::Decimal, field: &[&str]) -> Result<i64, UserError> {
    money::to_minor_units(amount).map_err(|err| UserError::invalid(field, format!("Price {err}")))
}

/// A stock level: 0 to [`MAX_STOCK`].
pub fn parse_stock(stock: i32, field: &[&str]) -> Result<i32, UserError> {
    match stock {
        s if s < 0 => Err(UserError::invalid(field, "Stock must not be negative")),
        s if s > MAX_STOCK => Err(UserError::invalid(
            field,
            format!("Stock must be at most {MAX_STOCK}"),
        )),
        s => Ok(s),
    }
}
