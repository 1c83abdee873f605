//! Who is asking: accounts, bearer tokens, and the rules' building blocks.
//!
//! A customer logs in with email and password (hashed with Argon2id) and
//! gets a bearer token: `v1.<session>.<customer>.<expiry>.<signature>`,
//! signed with HMAC-SHA256 under the server's secret, so a forged or expired
//! token is refused without touching the database. The session it names is
//! a row, so `logOut` revokes the token before it expires. Staff use the
//! configured admin token. No token: anonymous, who reads the catalogue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{customer, session};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use sha2::Sha256;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    /// A logged-in customer, through the session `session`; `new_account`
    /// while the account is younger than [`NEW_ACCOUNT_HOURS`].
    Customer {
        id: i64,
        session: i64,
        new_account: bool,
    },
    /// Staff, with the admin token.
    Admin,
}

impl Viewer {
    /// Whose carts the viewer may touch: `None` for anyone's (staff), or one
    /// customer's. Anonymous callers are refused with `UNAUTHENTICATED`.
    pub fn owner(&self) -> ApiResult<Option<i64>> {
        match self {
            Viewer::Admin => Ok(None),
            Viewer::Customer { id, .. } => Ok(Some(*id)),
            Viewer::Anonymous => Err(unauthenticated()),
        }
    }

    /// Whether the viewer may see customer `id`'s record and carts.
    pub fn may_see_customer(&self, id: i64) -> bool {
        match self {
            Viewer::Admin => true,
            Viewer::Customer { id: own, .. } => *own == id,
            Viewer::Anonymous => false,
        }
    }

    /// Staff only: `UNAUTHENTICATED` for anonymous callers, `FORBIDDEN` for
    /// customers.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self {
            Viewer::Admin => Ok(()),
            Viewer::Customer { .. } => Err(forbidden()),
            Viewer::Anonymous => Err(unauthenticated()),
        }
    }
}

pub fn unauthenticated() -> ApiError {
    ApiError::Refused(
        ErrorCode::Unauthenticated,
        "Log in first: send `Authorization: Bearer <token>`".into(),
    )
}

pub fn forbidden() -> ApiError {
    ApiError::Refused(
        ErrorCode::Forbidden,
        "You are not allowed to do this".into(),
    )
}

/// How long an account counts as new: its requests draw on its client
/// address's rate limit as well as its own, so that signing up more
/// accounts from one address does not multiply what the address may spend.
pub const NEW_ACCOUNT_HOURS: i64 = 24;

fn is_new(created_at: DateTime<Utc>) -> bool {
    Utc::now() - created_at < chrono::Duration::hours(NEW_ACCOUNT_HOURS)
}

/// The network address a request came from, for throttling: already
/// [`counted_address`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The address every per-address quota counts a client by (rate limits,
/// per-client permits, connections, guest carts, sign-ups and failed
/// logins, persisted queries), worked out once where the address enters:
/// IPv4 as itself, also when it arrives IPv4-mapped (`::ffff:a.b.c.d`, as
/// every IPv4 client does on a dual-stack `[::]` listener); IPv6 by its
/// /64, the block one subscriber gets, so rotating addresses inside it
/// buys nothing.
pub fn counted_address(ip: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::IpAddr;
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1_u128 << 64) - 1)).into()),
    }
}

/// The client address of the request being executed, if known.
pub fn client_address(ctx: &async_graphql::Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<ClientAddress>().map(|ClientAddress(ip)| *ip)
}

/// The secret that opens a guest cart, as the server knows it: the
/// SHA-256 of the token `createCart` handed the guest, in hex (the form
/// `cart.guest_token_hash` stores). The token itself is never kept, so a
/// copy of the database opens no cart. Guests send the token in the
/// `X-Cart-Token` header (over WebSocket: `cartToken` in
/// `connection_init`'s payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartToken {
    /// SHA-256 of the token.
    hash: [u8; 32],
    /// The secret of the order the cart's checkout places, derived from
    /// the token (SHA-256 of a label and the token): only the token's
    /// holder can compute it, every instance computes the same one, and a
    /// repeated checkout hands out the same.
    order_token: [u8; 32],
}

/// The HTTP header a guest sends their cart token in.
pub const CART_TOKEN_HEADER: &str = "x-cart-token";

/// A cart token's length: 32 random bytes, base64url without padding.
const CART_TOKEN_CHARS: usize = 43;

impl CartToken {
    /// A new guest cart's token (to hand the guest once) and its hash.
    pub fn issue() -> (String, CartToken) {
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let hash = CartToken::hash(&token);
        (token, hash)
    }

    /// The hash of a token a client sent; `None` for anything that cannot
    /// be one of ours (wrong length or alphabet), which opens no cart.
    pub fn from_client(token: &str) -> Option<CartToken> {
        let token = token.trim();
        let ours = token.len() == CART_TOKEN_CHARS
            && token
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        ours.then(|| CartToken::hash(token))
    }

    fn hash(token: &str) -> CartToken {
        use sha2::Digest;
        let mut order = Sha256::new();
        order.update(b"shopgraph guest order token\0");
        order.update(token.as_bytes());
        CartToken {
            hash: Sha256::digest(token.as_bytes()).into(),
            order_token: order.finalize().into(),
        }
    }

    /// The token of the order this cart's checkout places (base64url, 43
    /// characters), and its hash as `order.token_hash` stores it.
    pub fn order_token(&self) -> (String, String) {
        let token = URL_SAFE_NO_PAD.encode(self.order_token);
        let hash = order_token_hash(&token);
        (token, hash)
    }

    /// The hash as `cart.guest_token_hash` stores it.
    pub fn hex(&self) -> String {
        hex(&self.hash)
    }
}

/// The hash of an order token as `order.token_hash` stores it: hex SHA-256.
pub fn order_token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(token.trim().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The guest cart token the request carries, if any.
pub fn cart_token(ctx: &async_graphql::Context<'_>) -> Option<CartToken> {
    ctx.data_opt::<CartToken>().copied()
}

/// A session just opened by `signUp` or `logIn`.
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Who the token's bearer is.
    pub viewer: Viewer,
}

/// Who the rest of an operation acts as once `signUp` or `logIn` opened a
/// session in it (one per operation, in its request data): the new
/// customer, so `signUp { customer { email } }` reads the email it just
/// registered instead of failing as anonymous.
#[derive(Default, Clone)]
pub struct ActingViewer(Arc<Mutex<Option<Viewer>>>);

/// Makes the rest of the operation act as `viewer`.
pub fn act_as(ctx: &async_graphql::Context<'_>, viewer: Viewer) {
    if let Some(ActingViewer(acting)) = ctx.data_opt::<ActingViewer>() {
        *acting.lock().expect("never poisoned") = Some(viewer);
    }
}

/// The viewer of the request being executed (anonymous if none was set):
/// the customer a `signUp` or `logIn` earlier in the operation logged in,
/// or else the bearer of the request's token.
pub fn viewer(ctx: &async_graphql::Context<'_>) -> Viewer {
    let acting = ctx
        .data_opt::<ActingViewer>()
        .and_then(|ActingViewer(acting)| *acting.lock().expect("never poisoned"));
    acting.unwrap_or_else(|| ctx.data_opt::<Viewer>().copied().unwrap_or_default())
}

/// Why a bearer token was refused.
#[derive(Debug)]
pub enum TokenError {
    /// Not a token of ours, tampered with, expired or revoked.
    Invalid,
    /// The database could not be asked.
    Database(ApiError),
}

/// The server's signing key and token settings.
#[derive(Clone)]
pub struct Auth {
    secret: Vec<u8>,
    /// The admin token's HMAC, so that comparing it takes constant time.
    admin: Option<Vec<u8>>,
    token_lifetime: Duration,
}

type HmacSha256 = Hmac<Sha256>;

/// The shortest token secret or admin token accepted: 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

impl Auth {
    /// The token settings `config` asks for.
    pub fn from_config(config: &crate::Config) -> Result<Auth, String> {
        Auth::new(
            config.token_secret.as_deref(),
            config.admin_token.as_deref(),
            Duration::from_secs(config.token_hours * 3600),
        )
    }

    /// `secret` signs tokens (a random one when none is configured, so
    /// tokens then die with the process); `admin_token` grants staff rights.
    /// Either, when given, must be at least [`MIN_SECRET_BYTES`] long: an
    /// empty signing key let tokens forged offline take over accounts.
    pub fn new(
        secret: Option<&str>,
        admin_token: Option<&str>,
        token_lifetime: Duration,
    ) -> Result<Auth, String> {
        for (name, value) in [
            ("token secret (SHOPGRAPH_TOKEN_SECRET)", secret),
            ("admin token (SHOPGRAPH_ADMIN_TOKEN)", admin_token),
        ] {
            if let Some(value) = value
                && value.len() < MIN_SECRET_BYTES
            {
                return Err(format!(
                    "the {name} is {} bytes long; it must be at least {MIN_SECRET_BYTES} (e.g. `openssl rand -base64 32`)",
                    value.len()
                ));
            }
        }
        let secret = match secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "no SHOPGRAPH_TOKEN_SECRET: tokens are signed with a random key and end when the server stops"
                );
                rand::random::<[u8; 32]>().to_vec()
            }
        };
        let mut auth = Auth {
            secret,
            admin: None,
            token_lifetime,
        };
        auth.admin = admin_token.map(|token| auth.mac(token.as_bytes()));
        Ok(auth)
    }

    fn mac(&self, message: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }

    /// Opens a session for `customer`: its token and expiry.
    pub async fn log_in(
        &self,
        db: &impl ConnectionTrait,
        customer: i64,
        customer_since: DateTime<Utc>,
    ) -> Result<NewSession, sea_orm::DbErr> {
        let now = Utc::now();
        let expires_at = now
            + chrono::Duration::from_std(self.token_lifetime).unwrap_or(chrono::Duration::days(1));
        let row = session::ActiveModel {
            customer_id: Set(customer),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let payload = format!("v1.{}.{customer}.{}", row.id, expires_at.timestamp());
        let signature = URL_SAFE_NO_PAD.encode(self.mac(payload.as_bytes()));
        Ok(NewSession {
            token: format!("{payload}.{signature}"),
            expires_at,
            viewer: Viewer::Customer {
                id: customer,
                session: row.id,
                new_account: is_new(customer_since),
            },
        })
    }

    /// Revokes a session: its token stops working at once.
    pub async fn log_out(
        &self,
        db: &impl ConnectionTrait,
        session: i64,
    ) -> Result<bool, sea_orm::DbErr> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let revoked = session::Entity::update_many()
            .col_expr(
                session::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(session::Column::Id.eq(session))
            .filter(session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        Ok(revoked.rows_affected > 0)
    }

    /// The viewer an `Authorization` header value stands for.
    pub async fn viewer(
        &self,
        db: &impl ConnectionTrait,
        authorization: Option<&str>,
    ) -> Result<Viewer, TokenError> {
        Ok(self.viewer_until(db, authorization).await?.0)
    }

    /// The viewer an `Authorization` header value stands for, and when a
    /// customer's token expires.
    pub async fn viewer_until(
        &self,
        db: &impl ConnectionTrait,
        authorization: Option<&str>,
    ) -> Result<(Viewer, Option<DateTime<Utc>>), TokenError> {
        let Some(value) = authorization else {
            return Ok((Viewer::Anonymous, None));
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(TokenError::Invalid)?
            .trim();
        if let Some(admin) = &self.admin
            && self.verify(token.as_bytes(), admin)
        {
            return Ok((Viewer::Admin, None));
        }
        let (payload, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        if !self.verify(payload.as_bytes(), &signature) {
            return Err(TokenError::Invalid);
        }
        let parts: Vec<&str> = payload.split('.').collect();
        let [version, session, customer, expiry] = parts[..] else {
            return Err(TokenError::Invalid);
        };
        let parse = |text: &str| text.parse::<i64>().map_err(|_| TokenError::Invalid);
        let (session, customer, expiry) = (parse(session)?, parse(customer)?, parse(expiry)?);
        if version != "v1" || expiry <= Utc::now().timestamp() {
            return Err(TokenError::Invalid);
        }
        let (row, account) = session::Entity::find_by_id(session)
            .find_also_related(customer::Entity)
            .one(db)
            .await
            .map_err(|err| TokenError::Database(err.into()))?
            .ok_or(TokenError::Invalid)?;
        let account = account.ok_or(TokenError::Invalid)?;
        if row.revoked_at.is_some() || row.customer_id != customer || row.expires_at <= Utc::now() {
            return Err(TokenError::Invalid);
        }
        Ok((
            Viewer::Customer {
                id: customer,
                session,
                new_account: is_new(account.created_at),
            },
            Some(row.expires_at),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_count_ipv4_as_itself_and_ipv6_by_its_64() {
        let counted = |text: &str| counted_address(text.parse().unwrap());
        assert_eq!(counted("::ffff:192.0.2.7"), counted("192.0.2.7"));
        assert_ne!(counted("::ffff:192.0.2.7"), counted("::ffff:192.0.2.8"));
        assert_eq!(counted("2001:db8::1"), counted("2001:db8::ffff:1:2:3"));
        assert_ne!(counted("2001:db8::1"), counted("2001:db8:0:1::1"));
    }
}
