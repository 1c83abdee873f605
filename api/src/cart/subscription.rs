use async_graphql::{Context, ID, Subscription};
use entity::cart;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use sea_orm::EntityTrait;

use super::Cart;
use crate::auth;
use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::events::Events;
use crate::execute::SubscriptionReads;
use crate::ids::{self, NodeKind};

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
        let db = ctx.shared::<DatabaseConnection>()?.clone();
        // Subscribe before looking, so no change slips between the two.
        let changes = ctx.shared::<Events>()?.subscribe(Event::Cart(key));
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let reads = ctx.shared::<SubscriptionReads>()?.clone();
        let visible = reads
            .run({
                let db = db.clone();
                async move { cart::Entity::find_by_id(key).one(&db).await }
            })
            .await?
            .is_some_and(|cart| viewer.may_see_customer(cart.customer_id));
        if !visible {
            return Err(ApiError::bad_input("`cartId` names no cart"));
        }
        let listening = reads.listening();
        Ok(changes
            .then(move |_| {
                // Counted while the stream (which owns this closure) lives.
                let _ = &listening;
                let (db, reads) = (db.clone(), reads.clone());
                async move {
                    reads
                        .run(async move { cart::Entity::find_by_id(key).one(&db).await })
                        .await
                }
            })
            // A deleted cart ends the stream.
            .scan((), |(), row| {
                std::future::ready(match row {
                    Ok(Some(row)) => Some(Ok(Cart(row))),
                    Ok(None) => None,
                    Err(err) => Some(Err(err)),
                })
            })
            .boxed())
    }
}
