//! Guest carts beyond their creation: how many one client address may
//! make, joining an account at `logIn`/`signUp`, and the purge of
//! abandoned ones.
//!
//! Anyone may create a guest cart, so creation is bounded per client
//! address ([`GuestCartQuota`], `--guest-carts-per-hour`): with the purge,
//! that bounds the rows one address can make the database hold.
//!
//! Joining happens in the log-in's own transaction, so a guest cart that
//! cannot be claimed (wrong token, already joined, purged) fails the
//! log-in and changes nothing. The guest cart is claimed first with one
//! conditional `UPDATE` (on PostgreSQL it also locks the row): of two
//! log-ins racing with the same guest cart, the second waits, then finds it
//! no longer a guest's, so its lines are never counted twice. Then:
//! - the customer has an open cart (the one changed last): the guest's
//!   lines merge into it in one upsert, quantities summed and capped at the
//!   per-line maximum, and the guest cart is deleted;
//! - they have none, or the merge would pass the 250-line cap: the guest
//!   cart becomes theirs as it is, so nothing is ever dropped.
//!
//! Stock is not checked here: a cart may hold more than is in stock by the
//! time it is checked out, and checkout is where stock is decided.

use async_graphql::{ID, InputObject};
use chrono::{Duration, Utc};
use entity::{cart, cart_line};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use super::input::MAX_LINES_PER_CART;
use crate::auth::{CartToken, Viewer};
use crate::error::{ApiResult, MutationError, UserError, UserErrorCode};
use crate::execute::throttle::{Buckets, Client};
use crate::ids::{self, NodeKind};
use crate::input::MAX_QUANTITY;

/// How many guest carts each client address may create: a burst of
/// `per_hour`, restored at `per_hour` an hour. Per instance, as every
/// throttle here.
pub struct GuestCartQuota(Buckets<Client>);

impl GuestCartQuota {
    pub fn new(per_hour: u32) -> GuestCartQuota {
        let per_hour = f64::from(per_hour.max(1));
        GuestCartQuota(Buckets::new(per_hour, per_hour / 3600.0))
    }

    /// Counts a guest cart for `address`, or refuses it with the user
    /// error `THROTTLED` (nothing is created) when the address has used up
    /// its quota.
    pub fn take(&self, address: Option<std::net::IpAddr>) -> Result<(), UserError> {
        // By address (IPv6 by its /64), as anonymous rate limits count.
        let Some(client) = Client::of(Viewer::Anonymous, address) else {
            return Ok(());
        };
        self.0
            .try_take(&client, 1.0)
            .map(|_| ())
            .map_err(|wait| UserError {
                field: None,
                message: format!(
                    "Too many guest carts from your address; try again in {} s, or log in",
                    wait.as_secs().max(1)
                ),
                code: UserErrorCode::Throttled,
            })
    }
}

/// A guest cart to keep when logging in or signing up: its ID and its
/// token. It is merged into the customer's open cart (the one changed last;
/// quantities summed, at most 1,000,000 a line), or becomes theirs as it is
/// when they have none (or the merge would pass 250 lines). If it cannot
/// be opened (wrong token, already kept, purged), the call fails with the
/// user error `NOT_FOUND` at `["guestCart", "cartId"]` and changes
/// nothing: try again without it.
#[derive(Debug, InputObject)]
pub struct GuestCartInput {
    /// The guest cart's ID.
    pub cart_id: ID,
    /// The token `createCart` returned with it.
    #[graphql(secret)]
    pub cart_token: String,
}

/// A guest cart named by a caller: its key, and the hash of the token
/// offered for it (`None` when the token cannot be one of ours).
#[derive(Debug, Clone, Copy)]
pub struct GuestCart {
    cart_id: i64,
    token: Option<CartToken>,
}

impl GuestCart {
    /// A malformed ID is a top-level error, as everywhere; a token that
    /// cannot be ours only fails to open the cart.
    pub fn parse(input: &GuestCartInput) -> ApiResult<GuestCart> {
        Ok(GuestCart {
            cart_id: ids::decode_as(&input.cart_id, NodeKind::Cart, "cartId")?,
            token: CartToken::from_client(&input.cart_token),
        })
    }

    /// The guest cart's key.
    pub fn cart_id(&self) -> i64 {
        self.cart_id
    }
}

/// Makes the guest cart `guest` the customer's: merged into their open
/// cart, or theirs as it is. Returns the cart the lines are now in.
pub async fn join(
    db: &impl ConnectionTrait,
    guest: GuestCart,
    customer_id: i64,
) -> Result<cart::Model, MutationError> {
    let now = Utc::now();
    let not_found = || UserError::not_found(&["guestCart", "cartId"], "Cart");
    let token = guest.token.ok_or_else(not_found)?;
    let claimed = cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(now))
        .filter(cart::Column::Id.eq(guest.cart_id))
        .filter(cart::Column::CustomerId.is_null())
        .filter(cart::Column::GuestTokenHash.eq(token.hex()))
        .filter(cart::Column::CheckedOutAt.is_null())
        .exec_with_returning(db)
        .await?;
    if claimed.is_empty() {
        return Err(not_found().into());
    }

    if let Some(target) = open_cart_of(db, customer_id, now).await?
        && merge(db, guest.cart_id, target.id).await?
    {
        cart::Entity::delete_by_id(guest.cart_id).exec(db).await?;
        return Ok(target);
    }
    let assigned = cart::Entity::update_many()
        .col_expr(cart::Column::CustomerId, Expr::value(customer_id))
        .col_expr(cart::Column::GuestTokenHash, Expr::value(None::<String>))
        .filter(cart::Column::Id.eq(guest.cart_id))
        .exec_with_returning(db)
        .await?;
    assigned.into_iter().next().ok_or_else(|| {
        crate::error::ApiError::from(anyhow::anyhow!(
            "guest cart {} vanished while joining customer {customer_id}",
            guest.cart_id
        ))
        .into()
    })
}

/// The customer's open cart changed last, touched (and so, on PostgreSQL,
/// locked) for the merge; `None` when they have no open cart.
async fn open_cart_of(
    db: &impl ConnectionTrait,
    customer_id: i64,
    now: chrono::DateTime<Utc>,
) -> Result<Option<cart::Model>, DbErr> {
    let Some(latest) = cart::Entity::find()
        .filter(cart::Column::CustomerId.eq(customer_id))
        .filter(cart::Column::CheckedOutAt.is_null())
        .order_by_desc(cart::Column::UpdatedAt)
        .order_by_desc(cart::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // A checkout may close it between the read and this touch: then the
    // guest cart is assigned instead.
    let touched = cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::value(now))
        .filter(cart::Column::Id.eq(latest.id))
        .filter(cart::Column::CheckedOutAt.is_null())
        .exec_with_returning(db)
        .await?;
    Ok(touched.into_iter().next())
}

/// Adds the guest cart's lines to `target`'s in one upsert, quantities
/// summed up to [`MAX_QUANTITY`]. Returns false, changing nothing, when the
/// merged cart would hold more than [`MAX_LINES_PER_CART`] lines.
async fn merge(db: &impl ConnectionTrait, guest_id: i64, target_id: i64) -> Result<bool, DbErr> {
    use sea_orm::sea_query::ExprTrait;
    let lines = cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(guest_id))
        .order_by_asc(cart_line::Column::VariantId)
        .all(db)
        .await?;
    if lines.is_empty() {
        return Ok(true);
    }
    let in_target = cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(target_id))
        .filter(cart_line::Column::VariantId.is_not_in(lines.iter().map(|l| l.variant_id)))
        .count(db)
        .await?;
    if in_target + lines.len() as u64 > MAX_LINES_PER_CART {
        return Ok(false);
    }
    let quantity = || Expr::col((cart_line::Entity, cart_line::Column::Quantity));
    let added = || Expr::col((Alias::new("excluded"), cart_line::Column::Quantity));
    let summed = Expr::case(
        quantity().add(added()).gt(MAX_QUANTITY),
        Expr::value(MAX_QUANTITY),
    )
    .finally(quantity().add(added()));
    cart_line::Entity::insert_many(lines.into_iter().map(|line| cart_line::ActiveModel {
        cart_id: Set(target_id),
        variant_id: Set(line.variant_id),
        quantity: Set(line.quantity),
    }))
    .on_conflict(
        OnConflict::columns([cart_line::Column::CartId, cart_line::Column::VariantId])
            .value(cart_line::Column::Quantity, summed)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Deletes the guest carts nobody changed for `idle` (their lines go by
/// cascade); returns how many. Guest carts are never checked out, so no
/// order or checkout refers to them.
pub async fn purge_abandoned(db: &impl ConnectionTrait, idle: Duration) -> Result<u64, DbErr> {
    let purged = cart::Entity::delete_many()
        .filter(cart::Column::CustomerId.is_null())
        .filter(cart::Column::UpdatedAt.lt(Utc::now() - idle))
        .exec(db)
        .await?;
    Ok(purged.rows_affected)
}
