//! Who may see and change which carts. Staff: every cart. A customer: their
//! own. A guest: the one guest cart whose token their request carries
//! (`X-Cart-Token`, see [`crate::auth::CartToken`]). A customer who also
//! holds a guest cart's token reaches both.
//!
//! The same rule is a SQL condition (for the statements that change or list
//! carts: a cart outside it is never touched) and a test on a loaded row
//! (for reads through the batch loaders). A cart the caller may not reach
//! reads exactly as a missing one, so IDs leak nothing.

use async_graphql::Context;
use entity::cart;
use sea_orm::{ColumnTrait, Condition};

use crate::auth::{self, CartToken, Viewer};
use crate::error::ApiResult;

/// The carts one caller may reach.
#[derive(Debug, Clone)]
pub struct CartAccess {
    staff: bool,
    customer: Option<i64>,
    /// The hash of the guest cart token the caller holds, in hex.
    guest: Option<String>,
}

impl CartAccess {
    /// Every cart: staff, and the server's own follow-up steps on a cart
    /// it has just checked.
    pub const ANY: CartAccess = CartAccess {
        staff: true,
        customer: None,
        guest: None,
    };

    /// What the caller of `ctx` may reach; possibly nothing (anonymous,
    /// without a cart token).
    pub fn of(ctx: &Context<'_>) -> CartAccess {
        CartAccess::new(auth::viewer(ctx), auth::cart_token(ctx))
    }

    pub fn new(viewer: Viewer, token: Option<CartToken>) -> CartAccess {
        CartAccess {
            staff: viewer == Viewer::Admin,
            customer: match viewer {
                Viewer::Customer { id, .. } => Some(id),
                _ => None,
            },
            guest: token.map(|token| token.hex()),
        }
    }

    /// What the caller may reach, where reaching nothing is an error (cart
    /// mutations, the `carts` list, `cartUpdated`): refused with
    /// `UNAUTHENTICATED`, so an anonymous caller without a cart token
    /// learns to log in (or to send the token) rather than that no cart
    /// exists.
    pub fn required(ctx: &Context<'_>) -> ApiResult<CartAccess> {
        let access = CartAccess::of(ctx);
        if access.staff || access.customer.is_some() || access.guest.is_some() {
            Ok(access)
        } else {
            Err(auth::unauthenticated())
        }
    }

    /// The carts reachable, as a condition on `cart`.
    pub fn condition(&self) -> Condition {
        if self.staff {
            return Condition::all();
        }
        let mut reachable = Condition::any();
        if let Some(customer) = self.customer {
            reachable = reachable.add(cart::Column::CustomerId.eq(customer));
        }
        if let Some(guest) = &self.guest {
            reachable = reachable.add(
                Condition::all()
                    .add(cart::Column::CustomerId.is_null())
                    .add(cart::Column::GuestTokenHash.eq(guest.as_str())),
            );
        }
        // `Condition::any()` with nothing in it is false: no cart.
        reachable
    }

    /// Whether `cart` is reachable.
    pub fn reaches(&self, cart: &cart::Model) -> bool {
        self.staff
            || cart
                .customer_id
                .is_some_and(|owner| Some(owner) == self.customer)
            || (cart.customer_id.is_none()
                && self.guest.is_some()
                && cart.guest_token_hash == self.guest)
    }
}
