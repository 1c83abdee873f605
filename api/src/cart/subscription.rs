use async_graphql::{Context, ID, Subscription};
use entity::cart;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::DatabaseConnection;
use sea_orm::EntityTrait;

use super::Cart;
use crate::auth;
use crate::context::Shared;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::events::Events;
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
        let visible = cart::Entity::find_by_id(key)
            .one(&db)
            .await?
            .is_some_and(|cart| viewer.may_see_customer(cart.customer_id));
        if !visible {
            return Err(ApiError::bad_input("`cartId` names no cart"));
        }
        Ok(changes
            .then(move |_| {
                let db = db.clone();
                db::detached(async move { cart::Entity::find_by_id(key).one(&db).await })
            })
            .take_while(|row| std::future::ready(!matches!(row, Ok(None))))
            .map(|row| match row {
                Ok(row) => Ok(Cart(row.expect("deleted carts end the stream"))),
                Err(err) => Err(ApiError::from(err)),
            })
            .boxed())
    }
}
