//! `checkout(cartId, idempotencyKey)`: turns an open cart into a sale, in
//! one transaction, without ever selling more than the stock.
//!
//! Stock is taken by [`crate::product::variant::stock`]: one conditional update of every
//! line's variant (`stock = stock - n … WHERE stock >= n`), whose returned
//! rows say which lines had their units — the database decides, so
//! concurrent checkouts on any number of server instances can never
//! oversell — then one update of the products' totals; variants before
//! products, each in id order, as every writer locks them, so checkouts
//! cannot deadlock. Any short line rolls the whole checkout back. The same transaction
//! writes the order ([`crate::order::place`]): what was sold, at the prices
//! of that moment.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use std::collections::BTreeMap;

use entity::{cart, cart_line, checkout, customer, order, product_variant};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::Cart;
use super::access::CartAccess;
use super::input::LineTarget;
use super::variants::{self, Resolved};
use crate::auth::{self, Viewer};
use crate::context::Shared;
use crate::error::{
    ApiError, ApiResult, ErrorCode, MutationError, UserError, UserErrorCode, into_payload,
    not_found_on_foreign_key_violation,
};
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::observe::counting;
use crate::order::{Buyer, Order, SoldLine};
use crate::product::variant::loaders::load_selected_options;
use crate::product::variant::stock::{self, Direction};
use crate::store::events::Event;
use crate::store::write::write;

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
        let access = account(ctx)?;
        let currency = ctx.shared::<Currency>()?.clone();
        let outcome = match check_key(idempotency_key.as_deref()) {
            Err(err) => Err(err.into()),
            Ok(key) => {
                let changed = |done: &Done| {
                    // A replay changed nothing: its subscribers hear nothing.
                    if done.replayed {
                        return Vec::new();
                    }
                    let products = done.products.iter().map(|id| Event::Product(*id));
                    std::iter::once(Event::Cart(done.cart.id))
                        .chain(products)
                        .collect()
                };
                write(
                    ctx,
                    async |txn| checkout(txn, cart_key, &access, key, &currency).await,
                    changed,
                )
                .await
            }
        };
        let (done, user_errors) = into_payload(outcome)?;
        let outcome = match &done {
            Some(done) if done.replayed => "replayed",
            Some(_) => "placed",
            None => "refused",
        };
        counting::record(|metrics| metrics.checkout(outcome));
        let (cart, order) = match done {
            Some(done) => (Some(Cart(done.cart)), Some(Order(done.order))),
            None => (None, None),
        };
        Ok(CheckoutPayload {
            cart,
            order,
            user_errors,
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

/// A finished checkout: the cart, and the products whose stock it took
/// (none when it answers a repeated idempotency key).
struct Done {
    cart: cart::Model,
    order: order::Model,
    products: Vec<i64>,
    /// Whether this answers a repeated idempotency key: nothing changed.
    replayed: bool,
}

/// Whose carts the caller may check out: a customer their own, staff
/// anyone's. Checkout needs an account, so a guest (anonymous, holding only
/// a cart token) is told to log in with the cart.
fn account(ctx: &Context<'_>) -> ApiResult<CartAccess> {
    let viewer = auth::viewer(ctx);
    if viewer == Viewer::Anonymous && auth::cart_token(ctx).is_some() {
        return Err(ApiError::Refused(
            ErrorCode::Unauthenticated,
            "Checking out needs an account: log in or sign up with the cart as `guestCart`, then check out".into(),
        ));
    }
    viewer.owner()?;
    Ok(CartAccess::new(viewer, None))
}

async fn checkout(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    key: Option<&str>,
    currency: &Currency,
) -> Result<Done, MutationError> {
    let now = Utc::now();
    if let Some(key) = key
        && let Some(done) = replay(db, cart_id, access, key, now).await?
    {
        return Ok(done);
    }

    // Closing the cart locks it (a second checkout of it waits here, then
    // finds it closed) and gives its row, and its customer's email for the
    // order.
    let close = super::operations::open_cart(cart_id, access)
        .col_expr(cart::Column::CheckedOutAt, Expr::value(now))
        .col_expr(cart::Column::UpdatedAt, Expr::value(now))
        .filter(cart::Column::CustomerId.is_not_null());
    let email = Query::select()
        .column(customer::Column::Email)
        .from(customer::Entity)
        .and_where(
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((cart::Entity, cart::Column::CustomerId)),
        )
        .to_owned();
    let closed = super::operations::update_returning_also::<Option<String>>(db, close, email);
    let Some((cart, email)) = closed.await? else {
        return Err(super::operations::not_open(db, cart_id, access)
            .await?
            .into());
    };
    let vanished = || {
        ApiError::from(anyhow::anyhow!(
            "cart {cart_id} lost its customer during its checkout"
        ))
    };
    let buyer = Buyer {
        id: cart.customer_id.ok_or_else(vanished)?,
        email: email.ok_or_else(vanished)?,
    };

    let lines = cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(cart_id))
        .order_by_asc(cart_line::Column::VariantId)
        .all(db)
        .await?;
    if lines.is_empty() {
        return Err(UserError::invalid(&["cartId"], "The cart is empty").into());
    }

    // Stock is taken last: from each variant's update to the commit, its
    // row is locked, and in a flash sale every buyer waits for the few
    // variants on sale. Each update returns the variant as it is sold
    // (price, title, SKU) for the order. In variant order, so that
    // concurrent checkouts lock rows in the same order and cannot deadlock.
    let wanted: Vec<(i64, i64)> = lines
        .iter()
        .map(|line| (line.variant_id, i64::from(line.quantity)))
        .collect();
    let taken = stock::move_variant_stock(db, &wanted, Direction::Take, now).await?;
    let short: Vec<&cart_line::Model> = lines
        .iter()
        .filter(|line| !taken.iter().any(|variant| variant.id == line.variant_id))
        .collect();
    if !short.is_empty() {
        return Err(shortages(db, &short).await?.into());
    }
    let sold: Vec<(product_variant::Model, i32)> = lines
        .iter()
        .filter_map(|line| {
            let variant = taken.iter().find(|variant| variant.id == line.variant_id)?;
            Some((variant.clone(), line.quantity))
        })
        .collect();
    // Each product's total goes down by what its variants sold; the update
    // returns the products (their names, as sold).
    let mut units_per_product: BTreeMap<i64, i64> = BTreeMap::new();
    for (variant, quantity) in &sold {
        *units_per_product.entry(variant.product_id).or_default() += i64::from(*quantity);
    }
    let units: Vec<(i64, i64)> = units_per_product
        .iter()
        .map(|(id, units)| (*id, *units))
        .collect();
    let products = stock::move_product_stock(db, &units, Direction::Take, now).await?;
    let with_options: Vec<i64> = sold
        .iter()
        .filter(|(variant, _)| !variant.option_key.is_empty())
        .map(|(variant, _)| variant.id)
        .collect();
    let mut selected = if with_options.is_empty() {
        Default::default()
    } else {
        load_selected_options(db, &with_options).await?
    };
    let mut lines = Vec::with_capacity(sold.len());
    for (variant, quantity) in sold {
        let product = products
            .iter()
            .find(|product| product.id == variant.product_id)
            .ok_or_else(|| {
                anyhow::anyhow!("product {} vanished during checkout", variant.product_id)
            })
            .map_err(ApiError::from)?;
        lines.push(SoldLine {
            product_name: product.name.clone(),
            selected_options: selected.remove(&variant.id).unwrap_or_default().0,
            variant,
            quantity,
        });
    }
    let order = crate::order::place(db, cart_id, &buyer, &lines, currency, now).await?;
    Ok(Done {
        cart,
        order,
        products: units_per_product.into_keys().collect(),
        replayed: false,
    })
}

/// The user errors of the lines whose variants lacked stock: one per line,
/// naming the variant.
async fn shortages(
    db: &impl ConnectionTrait,
    short: &[&cart_line::Model],
) -> Result<Vec<UserError>, MutationError> {
    let targets: Vec<LineTarget> = short
        .iter()
        .map(|line| LineTarget::Variant(line.variant_id))
        .collect();
    let resolved = variants::resolve(db, &targets).await?;
    Ok(short
        .iter()
        .map(|line| {
            // checkout's one argument that names the lines is its cart;
            // the message names the line's variant.
            let field = ["cartId"];
            match &resolved[&LineTarget::Variant(line.variant_id)] {
                Resolved::Found(item) => variants::insufficient_stock(&field, item, line.quantity),
                // A variant deleted while this checkout ran took its line
                // with it: that is a missing variant, not a stock problem.
                _ => UserError::new(
                    &field,
                    UserErrorCode::NotFound,
                    "A product in the cart no longer exists; its line was removed",
                ),
            }
        })
        .collect())
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
) -> Result<Option<Done>, MutationError> {
    let cart = cart::Entity::find_by_id(cart_id)
        .filter(access.condition())
        .one(db)
        .await?
        .ok_or_else(|| UserError::not_found(&["cartId"], "Cart"))?;
    // Keys are scoped by customer: a guest cart has none yet.
    let customer_id = cart
        .customer_id
        .ok_or_else(super::operations::guest_cannot_check_out)?;
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
    Ok(Some(Done {
        cart,
        order,
        products: Vec::new(),
        replayed: true,
    }))
}
