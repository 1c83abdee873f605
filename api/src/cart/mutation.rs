//! Cart mutations: their inputs and payloads, and the resolvers that check
//! who may act and hand the work to [`super::operations`] through the one
//! write path.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::cart;

use super::Cart;
use super::access::CartAccess;
use super::guest::GuestCartQuota;
use super::input::{CartLineInput, LineRequest, LineTarget, OpenCartCap};
use super::operations::{NewOwner, add_lines, create, delete, set_quantity};
use crate::auth::{self, CartToken, Viewer};
use crate::context::Shared;
use crate::error::{ApiResult, UserError, into_payload};
use crate::execute::limits;
use crate::ids::{self, NodeKind};
use crate::input::Quantity;
use crate::store::events::Event;
use crate::store::write::{unwatched, write};

/// The result of `createCart`.
#[derive(SimpleObject)]
pub struct CreateCartPayload {
    /// The new cart, or null if it was not created.
    pub cart: Option<Cart>,
    /// A guest cart's secret, shown this once and kept nowhere by the
    /// server: send it as the `X-Cart-Token` header (over WebSocket:
    /// `cartToken` in `connection_init`'s payload) to read or change the
    /// cart, and pass it to `logIn` or `signUp` (`guestCart`) to keep the
    /// cart on the account. Null for a customer's cart.
    pub cart_token: Option<String>,
    /// Why the cart was not created; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `addCartLines`.
#[derive(SimpleObject)]
pub struct AddCartLinesPayload {
    /// The cart after the change, or null if nothing changed.
    pub cart: Option<Cart>,
    /// Why the lines were not added; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `updateCartLine`.
#[derive(SimpleObject)]
pub struct UpdateCartLinePayload {
    /// The cart after the change, or null if nothing changed.
    pub cart: Option<Cart>,
    /// Why the line was not changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `removeCartLine`.
#[derive(SimpleObject)]
pub struct RemoveCartLinePayload {
    /// The cart after the change, or null if nothing changed.
    pub cart: Option<Cart>,
    /// Why the line was not removed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteCart`.
#[derive(SimpleObject)]
pub struct DeleteCartPayload {
    /// The ID of the deleted cart, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why the cart was not deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CartMutation;

#[Object]
impl CartMutation {
    /// Creates a cart, optionally with its first lines. With `customerId`,
    /// the cart is that customer's (yours, or anyone's for staff). Without
    /// it, a logged-in customer's cart is their own, and anyone else gets a
    /// guest cart (at most `--guest-carts-per-hour` per client address,
    /// then the user error `THROTTLED`): `cartToken` in the payload opens it (a guest shops
    /// without an account; checking out needs one, and `logIn` or `signUp`
    /// with `guestCart` keeps the cart). Abandoned guest carts are deleted
    /// after 30 days idle (the server's `--guest-cart-idle-hours`).
    #[graphql(
        complexity = "limits::ROW_WRITE * (1 + lines.as_ref().map_or(0, Vec::len)) + child_complexity"
    )]
    async fn create_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The customer who owns the cart; when absent or null, the logged-in customer, or else nobody (a guest cart)."
        )]
        customer_id: Option<ID>,
        #[graphql(desc = "Lines to start the cart with; none when absent or null.")] lines: Option<
            Vec<CartLineInput>,
        >,
    ) -> ApiResult<CreateCartPayload> {
        let viewer = auth::viewer(ctx);
        let (owner, token) = match (customer_id, viewer) {
            (Some(customer_id), _) => {
                let customer_key = ids::decode_as(&customer_id, NodeKind::Customer, "customerId")?;
                if !viewer.may_see_customer(customer_key) {
                    viewer.owner()?;
                    // Other customers read as missing: IDs leak nothing.
                    return Ok(CreateCartPayload {
                        cart: None,
                        cart_token: None,
                        user_errors: vec![UserError::not_found(&["customerId"], "Customer")],
                    });
                }
                (NewOwner::Customer(customer_key), None)
            }
            (None, Viewer::Customer { id, .. }) => (NewOwner::Customer(id), None),
            (None, Viewer::Anonymous | Viewer::Admin) => {
                let quota = ctx.shared::<GuestCartQuota>()?;
                if let Err(throttled) = quota.take(auth::client_address(ctx)) {
                    return Ok(CreateCartPayload {
                        cart: None,
                        cart_token: None,
                        user_errors: vec![throttled],
                    });
                }
                let (token, hash) = CartToken::issue();
                (NewOwner::Guest(hash), Some(token))
            }
        };
        let outcome = async {
            let requests = LineRequest::parse_all(lines.as_deref().unwrap_or_default())?;
            let cap = *ctx.shared::<OpenCartCap>()?;
            let create = async |txn: &_| create(txn, owner, &requests, cap).await;
            write(ctx, create, unwatched).await
        }
        .await;
        let (cart, user_errors) = into_payload(outcome)?;
        Ok(CreateCartPayload {
            cart_token: cart.as_ref().and(token),
            cart: cart.map(Cart),
            user_errors,
        })
    }

    /// Adds products to a cart. A product already in the cart has its
    /// quantity increased; the same product twice in `lines` counts twice.
    #[graphql(complexity = "limits::ROW_WRITE * lines.len() + child_complexity")]
    async fn add_cart_lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to add to.")] cart_id: ID,
        #[graphql(desc = "The products and quantities to add, at most 250.")] lines: Vec<
            CartLineInput,
        >,
    ) -> ApiResult<AddCartLinesPayload> {
        let cart_key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let outcome = async {
            let requests = LineRequest::parse_all(&lines)?;
            let add = async |txn: &_| add_lines(txn, cart_key, &access, &requests).await;
            write(ctx, add, cart_changed).await
        }
        .await;
        let (cart, user_errors) = into_payload(outcome)?;
        Ok(AddCartLinesPayload {
            cart: cart.map(Cart),
            user_errors,
        })
    }

    /// Sets the quantity of a variant already in a cart; 0 removes the line.
    async fn update_cart_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to change.")] cart_id: ID,
        #[graphql(desc = "The variant whose line to change. Give it, or `productId`.")]
        variant_id: Option<ID>,
        #[graphql(
            desc = "The product whose line to change, for a product with exactly one variant."
        )]
        product_id: Option<ID>,
        #[graphql(desc = "The new quantity, 0 to remove the line.")] quantity: i32,
    ) -> ApiResult<UpdateCartLinePayload> {
        let cart_key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let target = LineTarget::parse(variant_id.as_ref(), product_id.as_ref(), "")?;
        let outcome = async {
            let quantity = Quantity::parse(quantity, 0, &["quantity"])?;
            let set = async |txn: &_| set_quantity(txn, cart_key, &access, target, quantity).await;
            write(ctx, set, cart_changed).await
        }
        .await;
        let (cart, user_errors) = into_payload(outcome)?;
        Ok(UpdateCartLinePayload {
            cart: cart.map(Cart),
            user_errors,
        })
    }

    /// Removes a variant's line from a cart.
    async fn remove_cart_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to change.")] cart_id: ID,
        #[graphql(desc = "The variant whose line to remove. Give it, or `productId`.")]
        variant_id: Option<ID>,
        #[graphql(
            desc = "The product whose line to remove, for a product with exactly one variant."
        )]
        product_id: Option<ID>,
    ) -> ApiResult<RemoveCartLinePayload> {
        let cart_key = ids::decode_as(&cart_id, NodeKind::Cart, "cartId")?;
        let access = CartAccess::required(ctx)?;
        let target = LineTarget::parse(variant_id.as_ref(), product_id.as_ref(), "")?;
        let remove =
            async |txn: &_| set_quantity(txn, cart_key, &access, target, Quantity::NONE).await;
        let (cart, user_errors) = into_payload(write(ctx, remove, cart_changed).await)?;
        Ok(RemoveCartLinePayload {
            cart: cart.map(Cart),
            user_errors,
        })
    }

    /// Deletes a cart and its lines.
    async fn delete_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cart to delete.")] id: ID,
    ) -> ApiResult<DeleteCartPayload> {
        let key = ids::decode_as(&id, NodeKind::Cart, "id")?;
        let access = CartAccess::required(ctx)?;
        let changed = |_: &()| vec![Event::Cart(key)];
        let outcome = write(ctx, async |txn| delete(txn, key, &access).await, changed).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteCartPayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }
}

/// The event of a mutation that changed `cart`.
pub(super) fn cart_changed(cart: &cart::Model) -> Vec<Event> {
    vec![Event::Cart(cart.id)]
}
