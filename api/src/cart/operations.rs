//! What cart mutations do inside their write transaction. Each first
//! touches the cart row (`UPDATE cart SET updated_at …`): that both checks
//! the cart exists and, on PostgreSQL, locks it, so concurrent changes to one cart queue up
//! instead of interleaving. Quantities are added with a single upsert
//! (`INSERT … ON CONFLICT DO UPDATE SET quantity = quantity + excluded.quantity`)
//! so no increment is lost, and stock is checked on the quantities as
//! written, inside the transaction, before it commits.

use std::collections::BTreeMap;

use chrono::Utc;
use entity::{cart, cart_line, customer};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement, SubQueryStatement,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, Iterable, PaginatorTrait, QueryFilter, QueryTrait,
};

use super::access::CartAccess;
use super::input::{LineRequest, LineTarget, MAX_LINES_PER_CART, OpenCartCap};
use super::variants::{self, LineVariant, insufficient_stock};
use crate::auth::CartToken;
use crate::error::{MutationError, UserError, UserErrorCode, not_found_on_foreign_key_violation};
use crate::input::{MAX_QUANTITY, Quantity};

/// Whose a new cart is.
#[derive(Debug, Clone, Copy)]
pub(super) enum NewOwner {
    Customer(i64),
    /// A guest, who holds the token with this hash.
    Guest(CartToken),
}

pub(super) async fn create(
    db: &impl ConnectionTrait,
    owner: NewOwner,
    lines: &[LineRequest],
    cap: OpenCartCap,
) -> Result<cart::Model, MutationError> {
    let (customer_id, guest_token_hash) = match owner {
        NewOwner::Customer(customer_id) => {
            let exists = customer::Entity::find_by_id(customer_id).one(db).await?;
            if exists.is_none() {
                return Err(UserError::not_found(&["customerId"], "Customer").into());
            }
            // Counted in the write transaction (on SQLite, under the write
            // lock; on PostgreSQL the customer row is not locked, so
            // concurrent creates may pass the cap by the few in flight).
            let open = cart::Entity::find()
                .filter(cart::Column::CustomerId.eq(customer_id))
                .filter(cart::Column::CheckedOutAt.is_null())
                .count(db)
                .await?;
            if open >= cap.0 {
                return Err(UserError::new(
                    &["customerId"],
                    UserErrorCode::TooMany,
                    format!("A customer holds at most {} open carts", cap.0),
                )
                .into());
            }
            (Some(customer_id), None)
        }
        NewOwner::Guest(token) => (None, Some(token.hex())),
    };
    let now = Utc::now();
    let cart = cart::ActiveModel {
        customer_id: Set(customer_id),
        guest_token_hash: Set(guest_token_hash),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| not_found_on_foreign_key_violation(err, &["customerId"], "Customer"))?;
    if !lines.is_empty() {
        add_lines(db, cart.id, &CartAccess::ANY, lines).await?;
    }
    Ok(cart)
}

/// Marks an open cart the caller may reach as changed, which also locks
/// its row for the rest of the transaction.
pub(super) async fn touch_cart(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
) -> Result<cart::Model, MutationError> {
    let touched = open_cart(cart_id, access)
        .col_expr(cart::Column::UpdatedAt, Expr::value(Utc::now()))
        .exec_with_returning(db)
        .await?;
    match touched.into_iter().next() {
        Some(cart) => Ok(cart),
        None => Err(not_open(db, cart_id, access).await?.into()),
    }
}

/// [`touch_cart`], also counting the cart's lines in the same statement:
/// adding lines needs the count, and a statement of its own was a round
/// trip.
async fn touch_cart_counting_lines(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
) -> Result<(cart::Model, u64), MutationError> {
    let lines = Query::select()
        .expr(Expr::col(cart_line::Column::VariantId).count())
        .from(cart_line::Entity)
        .and_where(
            Expr::col((cart_line::Entity, cart_line::Column::CartId))
                .equals((cart::Entity, cart::Column::Id)),
        )
        .to_owned();
    let touch =
        open_cart(cart_id, access).col_expr(cart::Column::UpdatedAt, Expr::value(Utc::now()));
    match update_returning_also::<i64>(db, touch, lines).await? {
        Some((cart, count)) => Ok((cart, u64::try_from(count).unwrap_or(0))),
        None => Err(not_open(db, cart_id, access).await?.into()),
    }
}

/// The open cart `cart_id`, if the caller may reach it, to update.
pub(super) fn open_cart(cart_id: i64, access: &CartAccess) -> sea_orm::UpdateMany<cart::Entity> {
    cart::Entity::update_many()
        .filter(cart::Column::Id.eq(cart_id))
        .filter(cart::Column::CheckedOutAt.is_null())
        .filter(access.condition())
}

/// Runs `update` of a cart, returning the cart as updated and the value
/// of the scalar subquery `also` for it (a subquery in RETURNING, which
/// both engines run): one round trip for what would be two statements.
/// `None` when no cart was updated.
pub(super) async fn update_returning_also<T: sea_orm::TryGetable>(
    db: &impl ConnectionTrait,
    update: sea_orm::UpdateMany<cart::Entity>,
    also: SelectStatement,
) -> Result<Option<(cart::Model, T)>, DbErr> {
    let mut update = update.into_query();
    let columns = cart::Column::iter().map(Expr::col);
    let also = Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(also)));
    update.returning(Query::returning().exprs(columns.chain([also])));
    let backend = db.get_database_backend();
    let Some(row) = db.query_one_raw(backend.build(&update)).await? else {
        return Ok(None);
    };
    let cart = cart::Model::from_query_result(&row, "")?;
    let also = row.try_get_by_index(cart::Column::iter().count())?;
    Ok(Some((cart, also)))
}

/// Why a cart that could not be changed is not open: it does not exist (or
/// the caller may not reach it), or it is checked out.
pub(super) async fn not_open(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
) -> Result<UserError, DbErr> {
    let cart = cart::Entity::find_by_id(cart_id).one(db).await?;
    // Another customer's cart reads as missing: IDs leak nothing.
    Ok(match cart.filter(|cart| access.reaches(cart)) {
        None => UserError::not_found(&["cartId"], "Cart"),
        Some(cart) if cart.checked_out_at.is_some() => UserError::new(
            &["cartId"],
            UserErrorCode::CheckedOut,
            "The cart is checked out and can no longer change; start a new cart",
        ),
        // Open and reachable now, but not when the change ran: it changed
        // hands meanwhile (a guest cart joining an account at log-in).
        Some(_) => UserError::invalid(
            &["cartId"],
            "The cart changed while this ran; read it again and retry",
        ),
    })
}

pub(super) async fn add_lines(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    lines: &[LineRequest],
) -> Result<cart::Model, MutationError> {
    let (cart, lines_before) = touch_cart_counting_lines(db, cart_id, access).await?;

    let targets: Vec<LineTarget> = lines.iter().map(|line| line.target).collect();
    let resolved = variants::resolve(db, &targets).await?;
    // What each variant gains, summed over the lines that name it.
    let mut additions: BTreeMap<i64, (i32, &LineRequest, &LineVariant)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for line in lines {
        let field = line.field(line.target.field());
        match resolved[&line.target].found(&field, line.target) {
            Ok(found) => {
                let entry = additions
                    .entry(found.variant.id)
                    .or_insert((0, line, found));
                entry.0 = entry.0.saturating_add(line.quantity.get());
            }
            Err(error) => unknown.push(error),
        }
    }
    if !unknown.is_empty() {
        return Err(unknown.into());
    }
    let added = add_in_two_statements(db, cart_id, &additions, lines_before)
        .await
        // A variant deleted between the read and the write.
        .map_err(|err| not_found_on_foreign_key_violation(err, &["lines"], "ProductVariant"))?;
    let Added {
        lines: written,
        lines_in_cart,
    } = added;

    // A line grows by addition: it may not pass the maximum that
    // `updateCartLine` enforces.
    let too_large: Vec<UserError> = written
        .iter()
        .filter(|(_, quantity)| *quantity > MAX_QUANTITY)
        .map(|(variant_id, _)| {
            let (_, request, _) = additions[variant_id];
            UserError::invalid(
                &request.field("quantity"),
                format!("A line holds at most {MAX_QUANTITY} units"),
            )
        })
        .collect();
    if !too_large.is_empty() {
        return Err(too_large.into());
    }
    if lines_in_cart > MAX_LINES_PER_CART {
        return Err(UserError::new(
            &["lines"],
            UserErrorCode::TooMany,
            format!("A cart holds at most {MAX_LINES_PER_CART} lines"),
        )
        .into());
    }
    // Stock is checked against each line as written: its quantity includes
    // every concurrent addition committed before ours.
    let short: Vec<UserError> = written
        .iter()
        .filter_map(|(variant_id, quantity)| {
            let (_, request, item) = additions[variant_id];
            (*quantity > item.variant.stock)
                .then(|| insufficient_stock(&request.field("quantity"), item, *quantity))
        })
        .collect();
    if !short.is_empty() {
        return Err(short.into());
    }
    Ok(cart)
}

/// What adding lines wrote, for the checks that decide whether it stays.
struct Added {
    /// Each line written, by variant, with its quantity as it now is.
    lines: Vec<(i64, i32)>,
    /// The cart's lines after the addition (exact when near the limit,
    /// else a bound under it).
    lines_in_cart: u64,
}

/// Upserts the lines (quantities added, so no concurrent addition is lost;
/// in variant order, so concurrent calls lock lines in the same order and
/// cannot deadlock): one statement, however many lines, after the one
/// that read the variants. The cart's lines are counted again only when
/// the count before (`lines_before`, the cart locked since) plus one per
/// variant could pass the limit.
///
/// Folding them and the cart's touch into one PostgreSQL statement (a
/// CTE: read, upsert, count) was tried and measured: 5 round trips
/// instead of 7, but 18% fewer additions per second (1,070 against 1,300
/// at 32 connections, `bench/run --scenarios AddCartLines`): on loopback
/// a round trip costs less than planning and running the larger statement.
async fn add_in_two_statements(
    db: &impl ConnectionTrait,
    cart_id: i64,
    additions: &BTreeMap<i64, (i32, &LineRequest, &LineVariant)>,
    lines_before: u64,
) -> Result<Added, DbErr> {
    let rows = additions
        .iter()
        .map(|(&variant_id, &(quantity, _, _))| cart_line::ActiveModel {
            cart_id: Set(cart_id),
            variant_id: Set(variant_id),
            quantity: Set(quantity),
        })
        .collect::<Vec<_>>();
    let lines = if rows.is_empty() {
        Vec::new()
    } else {
        cart_line::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([cart_line::Column::CartId, cart_line::Column::VariantId])
                    .value(
                        cart_line::Column::Quantity,
                        Expr::col((cart_line::Entity, cart_line::Column::Quantity)).add(Expr::col(
                            (Alias::new("excluded"), cart_line::Column::Quantity),
                        )),
                    )
                    .to_owned(),
            )
            .exec_with_returning(db)
            .await?
            .into_iter()
            .map(|line| (line.variant_id, line.quantity))
            .collect()
    };
    let at_most = lines_before.saturating_add(lines.len() as u64);
    let lines_in_cart = if at_most <= MAX_LINES_PER_CART {
        at_most
    } else {
        cart_line::Entity::find()
            .filter(cart_line::Column::CartId.eq(cart_id))
            .count(db)
            .await?
    };
    Ok(Added {
        lines,
        lines_in_cart,
    })
}

/// Sets a line's quantity; 0 removes the line.
pub(super) async fn set_quantity(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    target: LineTarget,
    quantity: Quantity,
) -> Result<cart::Model, MutationError> {
    let quantity = quantity.get();
    let cart = touch_cart(db, cart_id, access).await?;
    let field = [target.field().to_owned()];
    let resolved = variants::resolve(db, &[target]).await?;
    let item = resolved[&target].found(&field, target)?;
    let no_line = || {
        UserError::new(
            &field,
            UserErrorCode::NotFound,
            "The cart has no line for this variant",
        )
    };
    let line = cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(cart_id))
        .filter(cart_line::Column::VariantId.eq(item.variant.id));
    if quantity == 0 {
        let removed = cart_line::Entity::delete_many()
            .filter(cart_line::Column::CartId.eq(cart_id))
            .filter(cart_line::Column::VariantId.eq(item.variant.id))
            .exec(db)
            .await?;
        return if removed.rows_affected == 0 {
            Err(no_line().into())
        } else {
            Ok(cart)
        };
    }
    let Some(current) = line.one(db).await? else {
        return Err(no_line().into());
    };
    if quantity > item.variant.stock {
        return Err(insufficient_stock(&["quantity"], item, quantity).into());
    }
    let mut row: cart_line::ActiveModel = current.into();
    row.quantity = Set(quantity);
    row.update(db).await?;
    Ok(cart)
}

/// Deletes an open cart (its lines go by ON DELETE CASCADE). A
/// checked-out cart is a record of a sale: it stays.
pub(super) async fn delete(
    db: &impl ConnectionTrait,
    key: i64,
    access: &CartAccess,
) -> Result<(), MutationError> {
    let deleted = cart::Entity::delete_many()
        .filter(cart::Column::Id.eq(key))
        .filter(cart::Column::CheckedOutAt.is_null())
        .filter(access.condition())
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        let mut error = not_open(db, key, access).await?;
        error.field = Some(vec!["id".to_owned()]);
        return Err(error.into());
    }
    Ok(())
}
