//! Accounts: `signUp`, `logIn`, `logOut` and `viewer`. Tokens and password
//! hashing are [`crate::auth`]'s; this module is the GraphQL side.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::{cart, customer};
use sea_orm::DatabaseConnection;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Customer;
use super::input::NewCustomer;
use super::loaders::CustomerLoaders;
use super::mutation::insert;
use crate::auth::{self, Auth, NewSession, Viewer};
use crate::cart::Cart;
use crate::cart::guest::{self, GuestCart, GuestCartInput};
use crate::context::Shared;
use crate::customer::passwords::{PASSWORD_CHARS, Passwords};
use crate::error::{ApiResult, MutationError, UserError, UserErrorCode, into_payload};
use crate::observe::counting;
use crate::store::events::Event;
use crate::store::write::write;
use crate::timestamp::Timestamp;

/// A new account's details.
#[derive(Debug, InputObject)]
pub struct SignUpInput {
    /// The email address to log in with; must be valid and not in use.
    pub email: String,
    /// The customer's name, 1 to 200 characters.
    pub name: String,
    /// The password, 8 to 128 characters.
    #[graphql(secret)]
    pub password: String,
}

/// The result of `signUp` and `logIn`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// The bearer token: send it as `Authorization: Bearer <token>`. Null
    /// when the call failed.
    pub token: Option<String>,
    /// When the token stops working (`logOut` ends it sooner).
    pub expires_at: Option<Timestamp>,
    /// The customer logged in.
    pub customer: Option<Customer>,
    /// Where the `guestCart` passed in now is: the customer's open cart it
    /// merged into, or the guest cart itself, now the customer's. Null
    /// without `guestCart`, or when the call failed.
    pub cart: Option<Cart>,
    /// Why it failed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `logOut`.
#[derive(SimpleObject)]
pub struct LogOutPayload {
    /// Whether a session was ended; false when the token was staff's.
    pub logged_out: bool,
    /// Always empty: logging out has no expected failure. Here so that
    /// every mutation payload has the same shape for clients.
    pub user_errors: Vec<UserError>,
}

fn check_password(password: &str) -> Result<(), UserError> {
    let chars = password.chars().count();
    if PASSWORD_CHARS.contains(&chars) {
        Ok(())
    } else {
        Err(UserError::invalid(
            &["input", "password"],
            format!(
                "Password must be {} to {} characters",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            ),
        ))
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The logged-in customer, or null for anonymous callers and staff.
    #[graphql(cache_control(private))]
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let Viewer::Customer { id, .. } = auth::viewer(ctx) else {
            return Ok(None);
        };
        let row = ctx
            .shared::<Arc<CustomerLoaders>>()?
            .by_id
            .load_one(id)
            .await?;
        Ok(row.map(Customer))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and logs it in. (Sign-ups are throttled per
    /// client address, with failed logins: the user error `THROTTLED`.)
    #[graphql(complexity = "crate::customer::passwords::PASSWORD_COST")]
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's details.")] input: SignUpInput,
        #[graphql(desc = "A guest cart to keep on the account (see `GuestCartInput`).")]
        guest_cart: Option<GuestCartInput>,
    ) -> ApiResult<AuthPayload> {
        let guest_cart = guest_cart.as_ref().map(GuestCart::parse).transpose()?;
        let auth = ctx.shared::<Auth>()?;
        let passwords = ctx.shared::<Passwords>()?;
        if let Err(throttled) = passwords.sign_up_attempt(auth::client_address(ctx)) {
            return Ok(auth_payload((None, vec![throttled])));
        }
        let outcome = async {
            check_password(&input.password)?;
            let details = NewCustomer::parse(&input.email, &input.name)?;
            // Hashed only for a sign-up that can succeed, and before the
            // write turn: the hash takes tens of milliseconds.
            let hash = passwords.hash(input.password).await?;
            let customer = details.with_password_hash(hash);
            let sign_up = async |txn: &sea_orm::DatabaseTransaction| {
                let row = insert(txn, customer).await?;
                open_session(txn, auth, row, guest_cart).await
            };
            write(ctx, sign_up, LoggedIn::changed)
                .await
                .inspect(|logged_in| logged_in.act(ctx))
        }
        .await;
        Ok(auth_payload(into_payload(outcome)?))
    }

    /// Logs in with email and password. A wrong email and a wrong password
    /// get the same answer, in the same time. After repeated failures for
    /// an email, or from one client address, attempts are refused for a
    /// while with the user error `THROTTLED`.
    #[graphql(complexity = "crate::customer::passwords::PASSWORD_COST")]
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address.")] email: String,
        #[graphql(desc = "The account's password.", secret)] password: String,
        #[graphql(desc = "A guest cart to keep on the account (see `GuestCartInput`).")]
        guest_cart: Option<GuestCartInput>,
    ) -> ApiResult<AuthPayload> {
        let guest_cart = guest_cart.as_ref().map(GuestCart::parse).transpose()?;
        let db = ctx.shared::<DatabaseConnection>()?;
        let auth = ctx.shared::<Auth>()?;
        let passwords = ctx.shared::<Passwords>()?;
        let email = email.trim().to_lowercase();
        let address = auth::client_address(ctx);
        if let Err(throttled) = passwords.check_login(&email, address) {
            counting::record(|metrics| metrics.login("throttled"));
            return Ok(auth_payload((None, vec![throttled])));
        }
        let row = customer::Entity::find()
            .filter(customer::Column::Email.eq(email.as_str()))
            .one(db)
            .await?;
        let hash = row.as_ref().and_then(|row| row.password_hash.clone());
        let outcome = match (passwords.verify(password, hash).await?, row) {
            (true, Some(row)) => {
                let log_in = async |txn: &sea_orm::DatabaseTransaction| {
                    open_session(txn, auth, row, guest_cart).await
                };
                write(ctx, log_in, LoggedIn::changed)
                    .await
                    .inspect(|logged_in| {
                        counting::record(|metrics| metrics.login("succeeded"));
                        logged_in.act(ctx);
                    })
            }
            _ => Err({
                passwords.failed_login(&email, address);
                counting::record(|metrics| metrics.login("failed"));
                MutationError::from(UserError {
                    field: None,
                    message: "The email or the password is wrong".into(),
                    code: UserErrorCode::InvalidCredentials,
                })
            }),
        };
        Ok(auth_payload(into_payload(outcome)?))
    }

    /// Ends the session of the token this request carries: the token stops
    /// working at once, and the WebSocket connections that logged in with it
    /// close, on every server instance.
    async fn log_out(&self, ctx: &Context<'_>) -> ApiResult<LogOutPayload> {
        let logged_out = match auth::viewer(ctx) {
            Viewer::Customer { session, .. } => {
                let auth = ctx.shared::<Auth>()?;
                let log_out = async |txn: &sea_orm::DatabaseTransaction| {
                    Ok(auth.log_out(txn, session).await?)
                };
                // Every instance closes the sockets of the session once the
                // revocation is committed.
                let ended = |_: &bool| vec![Event::Session(session)];
                let (logged_out, _) = into_payload(write(ctx, log_out, ended).await)?;
                logged_out.unwrap_or(false)
            }
            Viewer::Admin => false,
            Viewer::Anonymous => return Err(auth::unauthenticated()),
        };
        Ok(LogOutPayload {
            logged_out,
            user_errors: Vec::new(),
        })
    }
}

/// A session just opened, for `customer`, and where their guest cart went.
struct LoggedIn {
    customer: customer::Model,
    session: NewSession,
    guest_cart: Option<(GuestCart, cart::Model)>,
}

/// Opens a session for `customer` and brings their guest cart along, in
/// the caller's transaction: a guest cart that cannot be opened fails the
/// whole log-in.
async fn open_session(
    txn: &sea_orm::DatabaseTransaction,
    auth: &Auth,
    customer: customer::Model,
    guest_cart: Option<GuestCart>,
) -> Result<LoggedIn, MutationError> {
    let session = auth.log_in(txn, customer.id, customer.created_at).await?;
    let guest_cart = match guest_cart {
        Some(guest) => Some((guest, guest::join(txn, guest, customer.id).await?)),
        None => None,
    };
    Ok(LoggedIn {
        customer,
        session,
        guest_cart,
    })
}

impl LoggedIn {
    /// The rest of the operation acts as the customer logged in.
    fn act(&self, ctx: &Context<'_>) {
        auth::act_as(ctx, self.session.viewer);
    }

    /// The carts the guest cart's joining changed: the guest cart (gone, or
    /// out of the guest's sight) and the one its lines are now in.
    fn changed(&self) -> Vec<Event> {
        let Some((guest, cart)) = &self.guest_cart else {
            return Vec::new();
        };
        // Assigned, the guest cart is the cart: one event.
        let mut changed = vec![Event::Cart(cart.id)];
        if guest.cart_id() != cart.id {
            changed.push(Event::Cart(guest.cart_id()));
        }
        changed
    }
}

fn auth_payload((logged_in, user_errors): (Option<LoggedIn>, Vec<UserError>)) -> AuthPayload {
    match logged_in {
        Some(logged_in) => AuthPayload {
            token: Some(logged_in.session.token),
            expires_at: Some(Timestamp(logged_in.session.expires_at)),
            customer: Some(Customer(logged_in.customer)),
            cart: logged_in.guest_cart.map(|(_, cart)| Cart(cart)),
            user_errors,
        },
        None => AuthPayload {
            token: None,
            expires_at: None,
            customer: None,
            cart: None,
            user_errors,
        },
    }
}
