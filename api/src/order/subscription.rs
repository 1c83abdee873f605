use async_graphql::{Context, ID, Subscription};
use entity::order;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::types::{Order, may_see, token_opens};
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::execute::watch;
use crate::ids::{self, NodeKind};
use crate::store::events::Event;

#[derive(Default)]
pub struct OrderSubscription;

#[Subscription]
impl OrderSubscription {
    /// The order each time it changes (it is cancelled), as it is after the
    /// change. An unknown order, or another customer's, is an error.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to watch.")] order_id: ID,
        #[graphql(desc = "A guest's order token (`CheckoutPayload.orderToken`).")] token: Option<
            String,
        >,
    ) -> Result<BoxStream<'static, ApiResult<Order>>, ApiError> {
        let key = ids::decode_as(&order_id, NodeKind::Order, "orderId")?;
        let viewer = auth::viewer(ctx);
        if token.is_none() {
            viewer.owner()?;
        }
        let rows =
            watch::row::<order::Entity>(ctx, Event::Order(key), key, "orderId", move |order| {
                may_see(viewer, order) || token_opens(token.as_deref(), order)
            })
            .await?;
        Ok(rows.map(|row| row.map(Order)).boxed())
    }
}
