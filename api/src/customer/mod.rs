//! Customers: the `Customer` GraphQL type with its carts, its queries
//! (`customer`, `customers`) and mutations (`createCustomer`,
//! `updateCustomer`, `deleteCustomer`), and the rules for emails and names.

mod account;
mod filter;
mod mutation;
mod query;

pub use account::{AccountMutation, AccountQuery};
pub use filter::{CustomerFilter, CustomerOrder};
pub use mutation::CustomerMutation;
pub use query::CustomerQuery;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use email_address::EmailAddress;
use entity::customer;

use crate::auth;
use crate::cart::{CartConnection, CartFilter, CartOrder, CartsOfCustomer};
use crate::error::{ApiResult, UserError};
use crate::ids::{self, NodeKind};

/// A customer as the API shows it; wraps the table row.
#[derive(Debug, Clone)]
pub struct Customer(pub customer::Model);

/// A shopper. Each customer has a unique email address and any number of carts.
#[Object]
impl Customer {
    /// The customer's global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Customer, self.0.id)
    }

    /// The customer's email address, stored in lower case; unique. Only the
    /// customer and staff may read it.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        // Only the customer and staff ever read it, whatever the path.
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        Ok(&self.0.email)
    }

    /// The customer's name, 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The customer's carts, a page at a time (20 by default, at most 100),
    /// oldest first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::limits::page_cost(first, last, child_complexity)")]
    async fn carts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the carts that match this filter.")] filter: Option<CartFilter>,
        #[graphql(desc = "How to order the carts; by ID (creation order) if not given.")]
        order_by: Option<CartOrder>,
        #[graphql(desc = "Return the first n carts after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return carts after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n carts before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return carts before this cursor.")] before: Option<String>,
    ) -> ApiResult<CartConnection> {
        if !auth::viewer(ctx).may_see_customer(self.0.id) {
            return Err(auth::forbidden());
        }
        let page = (first, after, last, before);
        CartsOfCustomer::page(ctx, self.0.id, filter.as_ref(), order_by, page).await
    }

    /// When the customer was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the customer was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Longest accepted email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest accepted customer name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// An email address: trimmed, valid per RFC 5322, stored in lower case so
/// that uniqueness ignores case.
pub fn parse_email(email: &str, field: &[&str]) -> Result<String, UserError> {
    let email = email.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(UserError::invalid(
            field,
            format!("Email must be at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    // `is_valid` accepts display-name forms ("A <a@b.c>"); a bare address is wanted.
    match EmailAddress::parse_with_options(
        &email,
        email_address::Options::default().without_display_text(),
    ) {
        Ok(address) if address.domain().contains('.') => Ok(email),
        _ => Err(UserError::invalid(
            field,
            "Email is not a valid email address",
        )),
    }
}

/// A customer name: trimmed, 1 to [`MAX_NAME_CHARS`] characters.
pub fn parse_name(name: &str, field: &[&str]) -> Result<String, UserError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(UserError::invalid(field, "Name must not be empty")),
        n if n > MAX_NAME_CHARS => Err(UserError::invalid(
            field,
            format!("Name must be at most {MAX_NAME_CHARS} characters"),
        )),
        _ => Ok(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            parse_email(" Ada@Example.COM ", &["email"]).unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "Ada <ada@example.com>",
            "a b@example.com",
        ] {
            assert!(parse_email(bad, &["email"]).is_err(), "{bad} accepted");
        }
    }
}
