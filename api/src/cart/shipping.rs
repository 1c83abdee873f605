//! Where a cart ships, before checkout: a guest's email, the shipping
//! address and the chosen rate. Each mutation takes the cart as every cart
//! change does (its owner, staff, or the guest with the cart's token; an
//! open cart) and announces the change to the cart's subscribers.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{cart, shipping_rate};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait};

use super::access::CartAccess;
use super::mutation::cart_changed;
use super::operations::touch_cart;
use super::pricing::{self, Inputs};
use super::quote;
use super::types::Cart;
use crate::context::Shared;
use crate::customer::address::{Address, MailingAddressInput};
use crate::discount::rules::{PricedLine, buyer_keys};
use crate::error::{ApiResult, MutationError, UserError, UserErrorCode, into_payload};
use crate::ids::{self, NodeKind};
use crate::input::Email;
use crate::money;
use crate::store::write::write;
use crate::tax::TaxSettings;

/// The result of a change to where a cart ships.
#[derive(SimpleObject)]
pub struct CartShippingPayload {
    /// The cart after the change, or null if nothing changed.
    pub cart: Option<Cart>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CartShippingMutation;

#[Object]
impl CartShippingMutation {
    /// Sets the email a guest's order will go to. A customer's cart uses
    /// the account's email (`INVALID` here).
    async fn set_cart_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart.")] cart_id: ID,
        #[graphql(desc = "The guest's email address.")] email: String,
    ) -> ApiResult<CartShippingPayload> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let outcome = async {
            let email = Email::parse(&email, &["email"])?;
            let set = async |txn: &sea_orm::DatabaseTransaction| {
                let cart = touch_cart(txn, key, &access).await?;
                if cart.customer_id.is_some() {
                    return Err(UserError::invalid(
                        &["email"],
                        "A customer's cart uses the account's email",
                    )
                    .into());
                }
                let mut row: cart::ActiveModel = cart.into();
                row.email = Set(Some(email.into()));
                Ok(row.update(txn).await?)
            };
            write(ctx, set, cart_changed).await
        }
        .await;
        payload(outcome)
    }

    /// Sets where the cart ships. A rate chosen before stays chosen while
    /// it applies to the new address.
    async fn set_cart_shipping_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart.")] cart_id: ID,
        #[graphql(desc = "Where it ships.")] address: MailingAddressInput,
    ) -> ApiResult<CartShippingPayload> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let outcome = async {
            let address = Address::parse(&address, &["address"])?;
            let json = serde_json::to_string(&address).map_err(|err| {
                MutationError::Api(anyhow::anyhow!("an address as JSON: {err}").into())
            })?;
            let set = async |txn: &sea_orm::DatabaseTransaction| {
                let cart = touch_cart(txn, key, &access).await?;
                let mut row: cart::ActiveModel = cart.into();
                row.shipping_address = Set(Some(json));
                Ok(row.update(txn).await?)
            };
            write(ctx, set, cart_changed).await
        }
        .await;
        payload(outcome)
    }

    /// Chooses one of the cart's `shippingRates`. Without a shipping
    /// address: `MISSING_SHIPPING_ADDRESS`; a rate that does not apply to
    /// the cart now: `NOT_FOUND`.
    async fn select_cart_shipping_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart.")] cart_id: ID,
        #[graphql(desc = "One of the cart's `shippingRates`.")] shipping_rate_id: ID,
    ) -> ApiResult<CartShippingPayload> {
        let key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let rate = ids::decode_other(&shipping_rate_id, "ShippingRate", "shippingRateId")?;
        let taxes = *ctx.shared::<TaxSettings>()?;
        let select = async |txn: &sea_orm::DatabaseTransaction| {
            let cart = touch_cart(txn, key, &access).await?;
            let applicable = rates_now(txn, &cart, taxes).await?;
            if !applicable.iter().any(|candidate| candidate.id == rate) {
                return Err(UserError::not_found(
                    &["shippingRateId"],
                    "Shipping rate for this cart",
                )
                .into());
            }
            let mut row: cart::ActiveModel = cart.into();
            row.shipping_rate_id = Set(Some(rate));
            Ok(row.update(txn).await?)
        };
        payload(write(ctx, select, cart_changed).await)
    }
}

fn payload(outcome: Result<cart::Model, MutationError>) -> ApiResult<CartShippingPayload> {
    let (cart, user_errors) = into_payload(outcome)?;
    Ok(CartShippingPayload {
        cart: cart.map(Cart),
        user_errors,
    })
}

/// The rates that apply to `cart` now (inside the write's transaction),
/// priced as `Cart.shippingRates` prices them: `MISSING_SHIPPING_ADDRESS`
/// without an address.
async fn rates_now(
    db: &impl ConnectionTrait,
    cart: &cart::Model,
    taxes: TaxSettings,
) -> Result<Vec<shipping_rate::Model>, MutationError> {
    let address: Option<Address> = cart
        .shipping_address
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    let Some(address) = address else {
        return Err(UserError::new(
            &["cartId"],
            UserErrorCode::MissingShippingAddress,
            "Set the cart's shipping address first",
        )
        .into());
    };
    let lines = quote::lines(db, cart.id).await?;
    if !lines.iter().any(|line| line.requires_shipping) {
        return Ok(Vec::new());
    }
    // The account's email is not read here: a customer's uses are found
    // under their account too, and checkout has the last word.
    let keys = buyer_keys(cart.customer_id, cart.email.as_deref());
    let terms = quote::terms(db, cart.id, Some(&address), &keys).await?;
    let priced_lines: Vec<PricedLine> = lines
        .iter()
        .map(|line| PricedLine {
            product_id: line.product_id,
            total: money::line_total(line.price, line.quantity),
        })
        .collect();
    let priced = pricing::price(Inputs {
        lines: &priced_lines,
        codes: terms.codes,
        in_collections: &terms.in_collections,
        used_by_buyer: &terms.used_by_buyer,
        zone_rates: &terms.zone_rates,
        chosen_rate: None,
        tax_rates: &terms.tax_rates,
        province: address.province(),
        taxes,
        now: Utc::now(),
    });
    Ok(priced.rates)
}
