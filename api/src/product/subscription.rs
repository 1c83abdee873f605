use async_graphql::{Context, ID, Subscription};
use entity::product;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use sea_orm::EntityTrait;

use super::Product;
use crate::context::Shared;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::events::Events;
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
        if product::Entity::find_by_id(key).one(&db).await?.is_none() {
            return Err(ApiError::bad_input("`productId` names no product"));
        }
        Ok(changes
            .then(move |_| {
                let db = db.clone();
                db::detached(async move { product::Entity::find_by_id(key).one(&db).await })
            })
            .take_while(|row| std::future::ready(!matches!(row, Ok(None))))
            .map(|row| match row {
                Ok(row) => Ok(Product(row.expect("deleted products end the stream"))),
                Err(err) => Err(ApiError::from(err)),
            })
            .boxed())
    }
}
