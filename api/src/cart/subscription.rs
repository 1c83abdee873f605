use async_graphql::{Context, ID, Subscription};
use entity::cart;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::Cart;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::ids::{self, NodeKind};
use crate::watch;

#[derive(Default)]
pub struct CartSubscription;

#[Subscription]
impl CartSubscription {
    /// The cart each time it changes (lines added, changed or removed, a
    /// product in it deleted), as it is after the change. The subscription
    /// ends when the cart is deleted; an unknown cart, or another customer's,
    /// is an error.
    async fn cart_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to watch.")] cart_id: ID,
    ) -> Result<BoxStream<'static, ApiResult<Cart>>, ApiError> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let rows = watch::row::<cart::Entity>(ctx, Event::Cart(key), key, "cartId", |cart| {
            viewer.may_see_customer(cart.customer_id)
        })
        .await?;
        Ok(rows.map(|row| row.map(Cart)).boxed())
    }
}
