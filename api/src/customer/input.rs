//! What customer mutations accept: their GraphQL inputs, parsed into
//! typed commands ([`NewCustomer`], [`CustomerChanges`]) before a mutation
//! takes its write turn, so no input is parsed while SQLite's write lock
//! is held.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::Utc;
use entity::customer;
use sea_orm::ActiveValue::Set;

use crate::error::MutationError;
use crate::input::{Email, FieldErrors, Name, required};

/// The fields of a new customer.
#[derive(Debug, InputObject)]
pub struct CreateCustomerInput {
    /// The email address; must be valid and not used by another customer.
    pub email: String,
    /// The name, 1 to 200 characters.
    pub name: String,
}

/// The fields to change on a customer. Fields left out keep their value.
#[derive(Debug, InputObject)]
pub struct UpdateCustomerInput {
    /// A new email address; must be valid and not used by another customer.
    /// Leave it out to keep the email; null is `INVALID` (it is required).
    pub email: MaybeUndefined<String>,
    /// A new name, 1 to 200 characters. Leave it out to keep the name;
    /// null is `INVALID` (it is required).
    pub name: MaybeUndefined<String>,
}

/// A customer to add, parsed; signing up adds a password hash.
#[derive(Debug)]
pub struct NewCustomer {
    email: Email,
    name: Name,
    password_hash: Option<String>,
}

impl NewCustomer {
    /// Every bad field at once, as user errors (paths under `input`).
    pub fn parse(email: &str, name: &str) -> Result<NewCustomer, MutationError> {
        let mut errors = FieldErrors::default();
        let email = errors.check(Email::parse(email, &["input", "email"]));
        let name = errors.check(Name::parse(name, &["input", "name"]));
        match (email, name) {
            (Some(email), Some(name)) => Ok(NewCustomer {
                email,
                name,
                password_hash: None,
            }),
            _ => Err(errors.into()),
        }
    }

    /// The same customer, who logs in with the password of `hash`.
    pub fn with_password_hash(self, hash: String) -> NewCustomer {
        NewCustomer {
            password_hash: Some(hash),
            ..self
        }
    }

    /// The row to insert.
    pub fn into_row(self) -> customer::ActiveModel {
        let now = Utc::now();
        customer::ActiveModel {
            email: Set(self.email.into()),
            name: Set(self.name.into()),
            created_at: Set(now),
            updated_at: Set(now),
            password_hash: Set(self.password_hash),
            ..Default::default()
        }
    }
}

/// The changes to make to a customer, parsed; `None` keeps the value.
#[derive(Debug, Default)]
pub struct CustomerChanges {
    email: Option<Email>,
    name: Option<Name>,
}

impl CustomerChanges {
    /// Every bad field of `input` at once, as user errors.
    pub fn parse(input: UpdateCustomerInput) -> Result<CustomerChanges, MutationError> {
        let mut errors = FieldErrors::default();
        let mut changes = CustomerChanges::default();
        if let Some(Some(email)) = errors.check(required(&input.email, &["input", "email"])) {
            changes.email = errors.check(Email::parse(email, &["input", "email"]));
        }
        if let Some(Some(name)) = errors.check(required(&input.name, &["input", "name"])) {
            changes.name = errors.check(Name::parse(name, &["input", "name"]));
        }
        errors.finish()?;
        Ok(changes)
    }

    /// Only the columns changed are written.
    pub fn apply_to(self, row: &mut customer::ActiveModel) {
        if let Some(email) = self.email {
            row.email = Set(email.into());
        }
        if let Some(name) = self.name {
            row.name = Set(name.into());
        }
        row.updated_at = Set(Utc::now());
    }
}
