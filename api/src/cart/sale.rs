//! The work of `checkout` inside its transaction: closing the cart, taking
//! its stock, pricing it exactly as `Cart.cost` does ([`super::pricing`])
//! and writing the order with what it charged. The database decides every
//! contested thing — stock (a conditional update per variant, `stock >=
//! n`), a code's uses (a conditional `used_count + 1` and a primary key per
//! once-per-customer use) — so racing checkouts on any number of server
//! instances never sell more than there is; anything refused rolls the
//! whole checkout back.
//!
//! Statements on PostgreSQL, whatever the number of lines: close the cart
//! (1), read its lines with their options (1), its codes with the lines
//! they reach (1), its zone's rates and its taxes (2, with an address),
//! take the variants' stock and the products' totals (2 each, with a
//! lock in id order first when several rows), and write the order, its
//! lines and its codes' uses (1); plus 1 for an idempotency key.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{cart, customer, discount_code, order, product_variant};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

use super::access::CartAccess;
use super::input::LineTarget;
use super::pricing::{self, Inputs, Priced};
use super::quote::{self, LineRow};
use super::variants::{self, Resolved};
use crate::auth::CartToken;
use crate::customer::address::Address;
use crate::discount::rules::{PricedLine, buyer_keys, used_up};
use crate::error::{ApiError, MutationError, UserError, UserErrorCode};
use crate::money::{self, Currency};
use crate::order::{Buyer, Charges, CodeUses, Sale, SoldLine};
use crate::product::variant::stock::{self, Direction};
use crate::tax::TaxSettings;

/// The shop's terms of sale: its currency and how it taxes.
pub struct Terms<'a> {
    pub currency: &'a Currency,
    pub taxes: TaxSettings,
}

/// Which cart to check out, for whom: the cart (which `access` reaches),
/// the guest's token when it is a guest's cart, and the idempotency key.
pub struct Request<'a> {
    pub cart_id: i64,
    pub access: &'a CartAccess,
    pub guest: Option<&'a CartToken>,
    pub key: Option<&'a str>,
}

/// A checkout that happened.
pub struct Sold {
    pub cart: cart::Model,
    pub order: order::Model,
    /// The products whose stock it took.
    pub products: Vec<i64>,
    /// A guest's order: the secret that reads it.
    pub order_token: Option<String>,
    /// Whether this answers a repeated idempotency key: nothing changed.
    pub replayed: bool,
}

/// Checks out the cart of `request`. Its key matters here for a guest
/// only (a customer's is claimed before, in `checkout`).
pub async fn sell(
    db: &impl ConnectionTrait,
    request: &Request<'_>,
    terms: &Terms<'_>,
    now: DateTime<Utc>,
) -> Result<Sold, MutationError> {
    let Request {
        cart_id,
        access,
        guest,
        key,
    } = *request;
    // Closing the cart locks it (a second checkout of it waits here, then
    // finds it closed) and gives its row, and its customer's email.
    let close = super::operations::open_cart(cart_id, access)
        .col_expr(cart::Column::CheckedOutAt, Expr::value(now))
        .col_expr(cart::Column::UpdatedAt, Expr::value(now));
    // Named apart: the cart has an `email` column of its own (a guest's),
    // and rows are read by column name.
    let email = Query::select()
        .expr_as(
            Expr::col((customer::Entity, customer::Column::Email)),
            Alias::new("account_email"),
        )
        .from(customer::Entity)
        .and_where(
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((cart::Entity, cart::Column::CustomerId)),
        )
        .to_owned();
    let closed = super::operations::update_returning_also::<Option<String>>(db, close, email);
    let Some((cart, account_email)) = closed.await? else {
        // A guest's repeated checkout finds its cart closed by the first.
        if let (Some(guest), Some(key)) = (guest, key)
            && let Some(sold) = replay_guest(db, cart_id, access, guest, key).await?
        {
            return Ok(sold);
        }
        return Err(super::operations::not_open(db, cart_id, access)
            .await?
            .into());
    };
    let (buyer, order_token) = buyer(&cart, account_email, guest)?;

    let lines = quote::lines(db, cart_id).await?;
    if lines.is_empty() {
        return Err(UserError::invalid(&["cartId"], "The cart is empty").into());
    }
    let address = parse_address(&cart)?;
    let ships = lines.iter().any(|line| line.requires_shipping);
    if ships && address.is_none() {
        return Err(UserError::new(
            &["cartId"],
            UserErrorCode::MissingShippingAddress,
            "The cart ships: set its shipping address (setCartShippingAddress) first",
        )
        .into());
    }
    let keys = buyer_keys(buyer.id, Some(&buyer.email));
    let mut cart_terms = quote::terms(db, cart_id, address.as_ref(), &keys).await?;
    // A code that ran out since the shopper saw the cart would silently
    // raise the price: refused instead, so they see it and decide.
    if let Some((code, _)) = cart_terms.codes.iter().find(|(code, _)| used_up(code)) {
        return Err(code_unavailable(&format!(
            "The code {} has been used as often as it may be: remove it to check out",
            code.code
        ))
        .into());
    }
    if !ships {
        cart_terms.zone_rates.clear();
    }

    // Stock is taken last but for the order: from each variant's update to
    // the commit, its row is locked, and in a flash sale every buyer waits
    // for the few variants on sale. Each update returns the variant as it
    // is sold (price, title, SKU), which the order is priced on.
    let wanted: Vec<(i64, i64)> = lines
        .iter()
        .map(|line| (line.variant_id, i64::from(line.quantity)))
        .collect();
    let taken = stock::move_variant_stock(db, &wanted, Direction::Take, now).await?;
    let short: Vec<&LineRow> = lines
        .iter()
        .filter(|line| !taken.iter().any(|variant| variant.id == line.variant_id))
        .collect();
    if !short.is_empty() {
        return Err(shortages(db, &short).await?.into());
    }
    let sold: Vec<(&LineRow, &product_variant::Model)> = lines
        .iter()
        .filter_map(|line| {
            let variant = taken.iter().find(|variant| variant.id == line.variant_id)?;
            Some((line, variant))
        })
        .collect();
    let mut units_per_product: BTreeMap<i64, i64> = BTreeMap::new();
    for (line, variant) in &sold {
        *units_per_product.entry(variant.product_id).or_default() += i64::from(line.quantity);
    }
    let units: Vec<(i64, i64)> = units_per_product.iter().map(|(id, n)| (*id, *n)).collect();
    let products = stock::move_product_stock(db, &units, Direction::Take, now).await?;

    let priced_lines: Vec<PricedLine> = sold
        .iter()
        .map(|(line, variant)| PricedLine {
            product_id: variant.product_id,
            total: money::line_total(variant.price, line.quantity),
        })
        .collect();
    let priced = pricing::price(Inputs {
        lines: &priced_lines,
        codes: cart_terms.codes,
        in_collections: &cart_terms.in_collections,
        used_by_buyer: &cart_terms.used_by_buyer,
        zone_rates: &cart_terms.zone_rates,
        chosen_rate: cart.shipping_rate_id,
        tax_rates: &cart_terms.tax_rates,
        province: address.as_ref().and_then(|address| address.province()),
        taxes: terms.taxes,
        now,
    });
    if ships && priced.rate.is_none() {
        return Err(UserError::new(
            &["cartId"],
            UserErrorCode::NoShippingRate,
            "Choose one of the cart's shippingRates (selectCartShippingRate) first",
        )
        .into());
    }
    let mut sold_lines = Vec::with_capacity(sold.len());
    for ((line, variant), share) in sold.iter().zip(&priced.breakdown.lines) {
        let product = products
            .iter()
            .find(|product| product.id == variant.product_id)
            .ok_or_else(|| {
                ApiError::from(anyhow::anyhow!(
                    "product {} vanished during checkout",
                    variant.product_id
                ))
            })?;
        sold_lines.push(SoldLine {
            product_name: product.name.clone(),
            variant: (*variant).clone(),
            selected_options: line.options.clone(),
            quantity: line.quantity,
            discount: share.discount,
            tax: share.tax,
        });
    }
    let charges = charges(&priced, &cart, terms.taxes);
    let uses = code_uses(&priced, &buyer);
    let placed = crate::order::place(
        db,
        &Sale {
            cart_id,
            buyer: &buyer,
            lines: &sold_lines,
            charges: &charges,
            token_hash: order_token.as_ref().map(|(_, hash)| hash.clone()),
            idempotency_key: guest.and(key).map(str::to_owned),
            uses: &uses,
            currency: terms.currency,
            now,
        },
    )
    .await?;
    if !placed.codes_held {
        return Err(code_unavailable(
            "A discount code on the cart was just used up, or you already used it once: remove it to check out",
        )
        .into());
    }
    Ok(Sold {
        cart,
        order: placed.order,
        products: units_per_product.into_keys().collect(),
        order_token: order_token.map(|(token, _)| token),
        replayed: false,
    })
}

fn code_unavailable(message: &str) -> UserError {
    UserError::new(&["cartId"], UserErrorCode::DiscountCodeUnavailable, message)
}

/// Who buys: the cart's customer with the account's email, or the guest
/// holding the cart's token with the email they gave (and the order's
/// token for them).
#[allow(clippy::type_complexity)]
fn buyer(
    cart: &cart::Model,
    account_email: Option<String>,
    guest: Option<&CartToken>,
) -> Result<(Buyer, Option<(String, String)>), MutationError> {
    if let Some(customer) = cart.customer_id {
        let email = account_email.ok_or_else(|| {
            ApiError::from(anyhow::anyhow!(
                "cart {} lost its customer during its checkout",
                cart.id
            ))
        })?;
        let buyer = Buyer {
            id: Some(customer),
            email,
        };
        return Ok((buyer, None));
    }
    let Some(guest) = guest else {
        return Err(UserError::invalid(
            &["cartId"],
            "A guest's cart is checked out by the guest, with the cart's token",
        )
        .into());
    };
    let Some(email) = cart.email.clone() else {
        return Err(UserError::new(
            &["cartId"],
            UserErrorCode::MissingEmail,
            "Set the email the order goes to (setCartEmail) first",
        )
        .into());
    };
    Ok((Buyer { id: None, email }, Some(guest.order_token())))
}

fn parse_address(cart: &cart::Model) -> Result<Option<Address>, ApiError> {
    cart.shipping_address
        .as_deref()
        .map(|json| {
            serde_json::from_str(json).map_err(|err| {
                ApiError::from(anyhow::anyhow!(
                    "cart {}'s address is not readable: {err}",
                    cart.id
                ))
            })
        })
        .transpose()
}

/// What the order records it charged, from the cart's price.
fn charges(priced: &Priced, cart: &cart::Model, taxes: TaxSettings) -> Charges {
    let breakdown = &priced.breakdown;
    let codes: Vec<serde_json::Value> = priced
        .codes
        .iter()
        .map(|(code, outcome)| serde_json::json!({ "code": code.code, "applied": outcome.is_ok() }))
        .collect();
    let tax_lines: Vec<serde_json::Value> = breakdown
        .tax_lines
        .iter()
        .map(|(title, rate, amount)| {
            serde_json::json!({ "title": title, "ppm": rate.ppm(), "amount": amount.to_string() })
        })
        .collect();
    Charges {
        subtotal: breakdown.subtotal,
        discount: breakdown.discount,
        // The rate's price as charged (tax-inclusive with inclusive prices).
        shipping: breakdown.shipping
            + breakdown.shipping_tax * i128::from(taxes.prices_include_tax),
        shipping_tax: breakdown.shipping_tax,
        tax: breakdown.tax,
        total: breakdown.total(),
        taxes_included: taxes.prices_include_tax,
        shipping_title: priced.rate.as_ref().map(|rate| rate.title.clone()),
        shipping_address: cart.shipping_address.clone(),
        discount_codes: serde_json::Value::Array(codes).to_string(),
        tax_lines: serde_json::Value::Array(tax_lines).to_string(),
    }
}

/// The uses of the codes that apply: each counted (`usageCount`, checked
/// against a usage limit in the same update; the code's row is locked from
/// the order's statement, the last, to the commit), and recorded per buyer
/// for a code limited to one use per customer — under the account and
/// under the email, so a guest checkout with a customer's email counts as
/// theirs.
fn code_uses(priced: &Priced, buyer: &Buyer) -> CodeUses {
    let applied: Vec<&discount_code::Model> = priced
        .codes
        .iter()
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(code, _)| code)
        .collect();
    let mut uses = CodeUses::default();
    for code in applied {
        uses.counted.push(code.id);
        if code.once_per_customer {
            for key in buyer_keys(buyer.id, Some(&buyer.email)) {
                uses.once.push((code.id, key));
            }
        }
    }
    uses.counted.sort_unstable();
    uses
}

/// The user errors of the lines whose variants lacked stock: one per line,
/// naming the variant.
async fn shortages(
    db: &impl ConnectionTrait,
    short: &[&LineRow],
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

/// A guest's repeated checkout: the order of cart `cart_id` when it was
/// placed with idempotency key `key` by the holder of the cart's token.
async fn replay_guest(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    guest: &CartToken,
    key: &str,
) -> Result<Option<Sold>, MutationError> {
    use sea_orm::EntityTrait;
    let Some(cart) = cart::Entity::find_by_id(cart_id)
        .filter(access.condition())
        .filter(cart::Column::CustomerId.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let order = order::Entity::find()
        .filter(order::Column::CartId.eq(cart_id))
        .filter(order::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    Ok(order.map(|order| Sold {
        cart,
        order,
        products: Vec::new(),
        order_token: Some(guest.order_token().0),
        replayed: true,
    }))
}
