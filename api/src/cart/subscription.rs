use async_graphql::{Context, ID, Subscription};
use entity::cart;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::Cart;
use super::access::CartAccess;
use crate::error::{ApiError, ApiResult};
use crate::execute::watch;
use crate::ids::{self, NodeKind};
use crate::store::events::Event;

#[derive(Default)]
pub struct CartSubscription;

#[Subscription]
impl CartSubscription {
    /// The cart each time it changes (lines added, changed or removed, a
    /// product in it deleted), as it is after the change. The subscription
    /// ends when the cart is deleted; an unknown cart, or another customer's,
    /// is an error. A guest's subscription ends when the cart joins an
    /// account (`logIn`/`signUp` with `guestCart`).
    async fn cart_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to watch.")] cart_id: ID,
    ) -> Result<BoxStream<'static, ApiResult<Cart>>, ApiError> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let rows = watch::row::<cart::Entity>(ctx, Event::Cart(key), key, "cartId", move |cart| {
            access.reaches(cart)
        })
        .await?;
        Ok(rows.map(|row| row.map(Cart)).boxed())
    }
}
