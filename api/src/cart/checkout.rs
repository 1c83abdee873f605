//! `checkout(cartId, idempotencyKey)`: turns an open cart into a sale, in
//! one transaction ([`super::sale`] does the work), at most once per
//! idempotency key: a customer's keys are claimed here, in `checkout`
//! (unique per customer); a guest's are kept on the order (one cart, one
//! order).

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;

use entity::{cart, checkout, order};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::Cart;
use super::access::CartAccess;
use super::sale::{self, Request, Sold, Terms};
use crate::auth;
use crate::context::Shared;
use crate::error::{
    ApiError, ApiResult, MutationError, UserError, UserErrorCode, into_payload,
    not_found_on_foreign_key_violation,
};
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::observe::counting;
use crate::order::Order;
use crate::store::events::Event;
use crate::store::write::write;
use crate::tax::TaxSettings;

/// Longest accepted idempotency key.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The result of `checkout`.
#[derive(SimpleObject)]
pub struct CheckoutPayload {
    /// The checked-out cart, or null if the checkout did not happen.
    pub cart: Option<Cart>,
    /// The order the checkout placed (the same one when an idempotent
    /// request is repeated), or null if the checkout did not happen.
    pub order: Option<Order>,
    /// A guest's order: the secret that reads it (`order(id, token)`) and
    /// follows it (`orderUpdated(id, token)`); null for a customer's. The
    /// same on a repeated checkout. Keep it: it is the guest's only key.
    pub order_token: Option<String>,
    /// Why the checkout did not happen (for example `INSUFFICIENT_STOCK`,
    /// one per short line); empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CheckoutMutation;

#[Object]
impl CheckoutMutation {
    /// Checks a cart out: verifies every line against the stock, takes the
    /// units from stock and marks the cart checked out, all at once or not
    /// at all. A checked-out cart can no longer change; the customer starts
    /// a new cart. With an `idempotencyKey`, repeating the request (say,
    /// after a timeout) checks out at most once and answers the same.
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to check out.")] cart_id: ID,
        #[graphql(
            desc = "A key unique to this checkout attempt (for example a UUID), at most 255 characters. Keys belong to the cart's customer: the same key with another of their carts is refused; other customers' keys never collide with theirs."
        )]
        idempotency_key: Option<String>,
    ) -> ApiResult<CheckoutPayload> {
        let cart_key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let guest = auth::cart_token(ctx);
        let currency = ctx.shared::<Currency>()?.clone();
        let taxes = *ctx.shared::<TaxSettings>()?;
        let outcome = match check_key(idempotency_key.as_deref()) {
            Err(err) => Err(err.into()),
            Ok(key) => {
                let changed = |done: &Sold| {
                    // A replay changed nothing: its subscribers hear nothing.
                    if done.replayed {
                        return Vec::new();
                    }
                    let products = done.products.iter().map(|id| Event::Product(*id));
                    [Event::Cart(done.cart.id), Event::Order(done.order.id)]
                        .into_iter()
                        .chain(products)
                        .collect()
                };
                let terms = Terms {
                    currency: &currency,
                    taxes,
                };
                let request = Request {
                    cart_id: cart_key,
                    access: &access,
                    guest: guest.as_ref(),
                    key,
                };
                let check_out = async |txn: &sea_orm::DatabaseTransaction| {
                    checkout(txn, &request, &terms).await
                };
                write(ctx, check_out, changed).await
            }
        };
        let (done, user_errors) = into_payload(outcome)?;
        let outcome = match &done {
            Some(done) if done.replayed => "replayed",
            Some(_) => "placed",
            None => "refused",
        };
        counting::record(|metrics| metrics.checkout(outcome));
        Ok(match done {
            Some(done) => CheckoutPayload {
                cart: Some(Cart(done.cart)),
                order: Some(Order(done.order)),
                order_token: done.order_token,
                user_errors,
            },
            None => CheckoutPayload {
                cart: None,
                order: None,
                order_token: None,
                user_errors,
            },
        })
    }
}

fn check_key(key: Option<&str>) -> Result<Option<&str>, UserError> {
    match key.map(str::trim) {
        Some("") => Err(UserError::invalid(
            &["idempotencyKey"],
            "Idempotency key must not be empty",
        )),
        Some(key) if key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS => Err(UserError::invalid(
            &["idempotencyKey"],
            format!("Idempotency key must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
        )),
        key => Ok(key),
    }
}

/// Checks the cart of `request` out: first claims a customer's
/// idempotency key (answering the earlier checkout when the key was used
/// for this cart), then sells ([`sale::sell`]).
async fn checkout(
    db: &impl ConnectionTrait,
    request: &Request<'_>,
    terms: &Terms<'_>,
) -> Result<Sold, MutationError> {
    let now = Utc::now();
    if let Some(key) = request.key
        && let Some(done) = replay(db, request.cart_id, request.access, key, now).await?
    {
        return Ok(done);
    }
    sale::sell(db, request, terms, now).await
}

/// Claims `key` for this cart, in the scope of the cart's customer: keys
/// are unique per customer, so one customer's key never collides with
/// another's. Returns the earlier answer when the key was already used for
/// this cart; refuses it for another cart of the customer. A concurrent
/// request with the same key waits for the first one's transaction (the
/// key's primary key), then sees its outcome.
async fn replay(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    key: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Sold>, MutationError> {
    let cart = cart::Entity::find_by_id(cart_id)
        .filter(access.condition())
        .one(db)
        .await?
        .ok_or_else(|| UserError::not_found(&["cartId"], "Cart"))?;
    // A guest's key is kept on its order: see `sale::sell`.
    let Some(customer_id) = cart.customer_id else {
        return Ok(None);
    };
    let claimed = checkout::Entity::insert(checkout::ActiveModel {
        customer_id: Set(customer_id),
        idempotency_key: Set(key.to_owned()),
        cart_id: Set(cart_id),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            checkout::Column::CustomerId,
            checkout::Column::IdempotencyKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    // A cart deleted since it was read fails the key's foreign key.
    .map_err(|err| not_found_on_foreign_key_violation(err, &["cartId"], "Cart"))?;
    if claimed == 1 {
        return Ok(None);
    }
    let earlier = checkout::Entity::find_by_id((customer_id, key.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::from(anyhow::anyhow!("idempotency key {key:?} vanished")))?;
    if earlier.cart_id != cart_id {
        return Err(UserError::new(
            &["idempotencyKey"],
            UserErrorCode::IdempotencyKeyReused,
            "You used this idempotency key to check out another cart",
        )
        .into());
    }
    let order = order::Entity::find()
        .filter(order::Column::CartId.eq(cart_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::from(anyhow::anyhow!("cart {cart_id} has no order")))?;
    Ok(Some(Sold {
        cart,
        order,
        products: Vec::new(),
        order_token: None,
        replayed: true,
    }))
}
