use async_graphql::{Context, ID, Subscription};
use entity::product;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::Product;
use crate::error::{ApiError, ApiResult};
use crate::execute::watch;
use crate::ids::{self, NodeKind};
use crate::store::events::Event;

#[derive(Default)]
pub struct ProductSubscription;

#[Subscription]
impl ProductSubscription {
    /// The product each time it changes (price, stock, name, description),
    /// as it is after the change. The subscription ends when the product is
    /// deleted; an unknown product is an error.
    async fn product_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to watch.")] product_id: ID,
    ) -> Result<BoxStream<'static, ApiResult<Product>>, ApiError> {
        let key = ids::decode_as(&product_id, NodeKind::Product, "productId")?;
        let rows =
            watch::row::<product::Entity>(ctx, Event::Product(key), key, "productId", |_| true)
                .await?;
        Ok(rows.map(|row| row.map(Product)).boxed())
    }
}
