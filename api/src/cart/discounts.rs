//! Discount codes on carts: `applyCartDiscountCode` and
//! `removeCartDiscountCode`, and what the codes a cart holds do to it
//! ([`crate::discount::rules`] has the rules). A code that does not apply
//! now stays on the cart with the reason, so the shopper sees why, and
//! applies by itself once it does (a bigger subtotal, its window opening).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{cart_discount_code, discount_code};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::access::CartAccess;
use super::mutation::cart_changed;
use super::operations::touch_cart;
use super::pricing::{self, Inputs, Priced};
use super::types::Cart;
use crate::context::Shared;
use crate::discount::loaders::DiscountLoaders;
use crate::discount::rules::{Effect, Reason, buyer_keys};
use crate::error::{ApiResult, MutationError, UserError, UserErrorCode, into_payload};
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::shipping::loaders::ShippingLoaders;
use crate::store::write::write;
use crate::tax::TaxSettings;
use crate::tax::loaders::TaxLoaders;

/// Most codes one cart holds.
pub const MAX_CODES_PER_CART: u64 = 5;
/// Longest code, in characters (as `createDiscountCode` allows).
const MAX_CODE_CHARS: usize = 64;

/// A discount code entered on a cart.
#[derive(SimpleObject)]
pub struct CartDiscountCode {
    /// The code as staff wrote it.
    pub code: String,
    /// Whether it applies to the cart now.
    pub applicable: bool,
    /// Why it does not apply now (null when it does), fit to show to the
    /// shopper.
    pub reason: Option<String>,
}

impl CartDiscountCode {
    pub fn of(
        code: discount_code::Model,
        outcome: Result<Effect, Reason>,
        currency: &Currency,
    ) -> CartDiscountCode {
        CartDiscountCode {
            code: code.code,
            applicable: outcome.is_ok(),
            reason: outcome.err().map(|reason| reason.message(currency)),
        }
    }
}

/// The result of a change to a cart's discount codes.
#[derive(SimpleObject)]
pub struct CartDiscountCodesPayload {
    /// The cart after the change, or null if nothing changed.
    pub cart: Option<Cart>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Cart {
    /// What the cart costs now, and what made it ([`super::pricing`] has
    /// the rules): its lines, codes, address, rates and taxes, through the
    /// batch loaders, so a page of carts costs a fixed number of statements.
    pub(super) async fn priced(&self, ctx: &Context<'_>) -> ApiResult<Priced> {
        let lines = self.priced_lines(ctx).await?;
        let discounts = ctx.shared::<Arc<DiscountLoaders>>()?;
        let codes = discounts
            .codes_of_cart
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let collections = if codes.is_empty() {
            HashMap::new()
        } else {
            discounts
                .collections
                .load_many(codes.iter().map(|code| code.id))
                .await?
        };
        let limited = collections.values().any(|ids| !ids.is_empty());
        let in_collections: HashMap<i64, Vec<i64>> = if limited {
            discounts
                .collections_of_product
                .load_many(lines.iter().map(|line| line.product_id))
                .await?
                .into_iter()
                .map(|(product, ids)| (product, ids.to_vec()))
                .collect()
        } else {
            HashMap::new()
        };
        let once = codes.iter().any(|code| code.once_per_customer);
        let used_by_buyer: HashSet<i64> = if once {
            let email = self.email_for_order(ctx).await?;
            let keys = buyer_keys(self.0.customer_id, email.as_deref());
            discounts
                .used_by_buyer
                .load_many(keys)
                .await?
                .values()
                .flat_map(|codes| codes.iter().copied())
                .collect()
        } else {
            HashSet::new()
        };
        let address = self.address()?;
        // A cart with nothing to ship has no shipping rates.
        let ships = self
            .line_rows(ctx)
            .await?
            .iter()
            .any(|(_, variant)| variant.requires_shipping);
        let (mut zone_rates, tax_rates) = match &address {
            Some(address) => {
                let country = address.country().as_str().to_owned();
                let shipping = ctx.shared::<Arc<ShippingLoaders>>()?;
                let zone_rates = match shipping.zone_of_country.load_one(country.clone()).await? {
                    Some(zone) => shipping.rates.load_one(zone).await?.unwrap_or_default(),
                    None => Default::default(),
                };
                let tax_rates = ctx
                    .shared::<Arc<TaxLoaders>>()?
                    .rates_of_country
                    .load_one(country)
                    .await?
                    .unwrap_or_default();
                (zone_rates, tax_rates)
            }
            None => Default::default(),
        };
        if !ships {
            zone_rates = Default::default();
        }
        Ok(pricing::price(Inputs {
            lines: &lines,
            codes: codes
                .iter()
                .map(|code| {
                    let of_code = collections.get(&code.id).map(|ids| ids.to_vec());
                    (code.clone(), of_code.unwrap_or_default())
                })
                .collect(),
            in_collections: &in_collections,
            used_by_buyer: &used_by_buyer,
            zone_rates: &zone_rates,
            chosen_rate: self.0.shipping_rate_id,
            tax_rates: &tax_rates,
            province: address.as_ref().and_then(|address| address.province()),
            taxes: *ctx.shared::<TaxSettings>()?,
            now: Utc::now(),
        }))
    }
}

#[derive(Default)]
pub struct CartDiscountMutation;

#[Object]
impl CartDiscountMutation {
    /// Enters a discount code on a cart (ignoring case; at most 5 codes a
    /// cart). An unknown code is `NOT_FOUND`; a known one stays on the cart
    /// even while it does not apply, and `Cart.discountCodes` says why.
    async fn apply_cart_discount_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart.")] cart_id: ID,
        #[graphql(desc = "The code, as the shopper typed it.")] code: String,
    ) -> ApiResult<CartDiscountCodesPayload> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let outcome = async {
            let code_key = parse_code(&code)?;
            let apply = async |txn: &sea_orm::DatabaseTransaction| {
                apply(txn, key, &access, &code_key).await
            };
            write(ctx, apply, cart_changed).await
        }
        .await;
        payload(outcome)
    }

    /// Takes a discount code off a cart (`NOT_FOUND` if the cart does not
    /// hold it).
    async fn remove_cart_discount_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart.")] cart_id: ID,
        #[graphql(desc = "The code to take off, ignoring case.")] code: String,
    ) -> ApiResult<CartDiscountCodesPayload> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let outcome = async {
            let code_key = parse_code(&code)?;
            let remove = async |txn: &sea_orm::DatabaseTransaction| {
                let cart = touch_cart(txn, key, &access).await?;
                let found = find_code(txn, &code_key).await?;
                let removed = match found {
                    Some(found) => {
                        cart_discount_code::Entity::delete_many()
                            .filter(cart_discount_code::Column::CartId.eq(key))
                            .filter(cart_discount_code::Column::DiscountCodeId.eq(found.id))
                            .exec(txn)
                            .await?
                            .rows_affected
                    }
                    None => 0,
                };
                if removed == 0 {
                    return Err(UserError::new(
                        &["code"],
                        UserErrorCode::NotFound,
                        "The cart does not hold this code",
                    )
                    .into());
                }
                Ok(cart)
            };
            write(ctx, remove, cart_changed).await
        }
        .await;
        payload(outcome)
    }
}

fn payload(
    outcome: Result<entity::cart::Model, MutationError>,
) -> ApiResult<CartDiscountCodesPayload> {
    let (cart, user_errors) = into_payload(outcome)?;
    Ok(CartDiscountCodesPayload {
        cart: cart.map(Cart),
        user_errors,
    })
}

/// A code as typed: trimmed, 1 to 64 characters; its lower-case key.
fn parse_code(code: &str) -> Result<String, UserError> {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(UserError::invalid(
            &["code"],
            format!("A discount code is 1 to {MAX_CODE_CHARS} characters"),
        ));
    }
    Ok(code.to_lowercase())
}

async fn find_code(
    db: &impl ConnectionTrait,
    code_key: &str,
) -> Result<Option<discount_code::Model>, sea_orm::DbErr> {
    discount_code::Entity::find()
        .filter(discount_code::Column::CodeKey.eq(code_key))
        .one(db)
        .await
}

async fn apply(
    db: &impl ConnectionTrait,
    cart_id: i64,
    access: &CartAccess,
    code_key: &str,
) -> Result<entity::cart::Model, MutationError> {
    let cart = touch_cart(db, cart_id, access).await?;
    let Some(code) = find_code(db, code_key).await? else {
        return Err(UserError::new(
            &["code"],
            UserErrorCode::NotFound,
            "No discount code matches",
        )
        .into());
    };
    let held = cart_discount_code::Entity::find()
        .filter(cart_discount_code::Column::CartId.eq(cart_id))
        .filter(cart_discount_code::Column::DiscountCodeId.ne(code.id))
        .count(db)
        .await?;
    if held >= MAX_CODES_PER_CART {
        return Err(UserError::new(
            &["code"],
            UserErrorCode::TooMany,
            format!("A cart holds at most {MAX_CODES_PER_CART} discount codes"),
        )
        .into());
    }
    cart_discount_code::Entity::insert(cart_discount_code::ActiveModel {
        cart_id: Set(cart_id),
        discount_code_id: Set(code.id),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            cart_discount_code::Column::CartId,
            cart_discount_code::Column::DiscountCodeId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(cart)
}
