use async_graphql::{Context, ID, Subscription};
use entity::product;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use sea_orm::EntityTrait;

use super::Product;
use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::events::Events;
use crate::execute::SubscriptionReads;
use crate::ids::{self, NodeKind};

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
        let db = ctx.shared::<DatabaseConnection>()?.clone();
        // Subscribe before looking, so no change slips between the two.
        let changes = ctx.shared::<Events>()?.subscribe(Event::Product(key));
        let reads = ctx.shared::<SubscriptionReads>()?.clone();
        let found = reads
            .run({
                let db = db.clone();
                async move { product::Entity::find_by_id(key).one(&db).await }
            })
            .await?;
        if found.is_none() {
            return Err(ApiError::bad_input("`productId` names no product"));
        }
        let listening = reads.listening();
        Ok(changes
            .then(move |_| {
                // Counted while the stream (which owns this closure) lives.
                let _ = &listening;
                let (db, reads) = (db.clone(), reads.clone());
                async move {
                    reads
                        .run(async move { product::Entity::find_by_id(key).one(&db).await })
                        .await
                }
            })
            // A deleted product ends the stream.
            .scan((), |(), row| {
                std::future::ready(match row {
                    Ok(Some(row)) => Some(Ok(Product(row))),
                    Ok(None) => None,
                    Err(err) => Some(Err(err)),
                })
            })
            .boxed())
    }
}
