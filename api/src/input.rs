//! Parse, don't validate: the values a mutation's input must be, built
//! only by their parsers, and the accumulator that names every bad field
//! of an input at once.
//!
//! A [`Name`], an [`Email`] or a [`Quantity`] can only come from its
//! `parse`, so a value that reached the database code has passed its rules;
//! a mutation parses its input at the GraphQL boundary and works with these
//! types from then on. Each parser takes the input's path (`["input",
//! "name"]`) for the user error it may return.

use email_address::EmailAddress;

use crate::error::{MutationError, UserError};

/// Longest accepted name (of a product or a customer), in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest accepted email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Most units of one product in one cart line.
pub const MAX_QUANTITY: i32 = 1_000_000;

/// A name: trimmed, 1 to [`MAX_NAME_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(text: &str, field: &[&str]) -> Result<Name, UserError> {
        let name = text.trim();
        match name.chars().count() {
            0 => Err(UserError::invalid(field, "Name must not be empty")),
            n if n > MAX_NAME_CHARS => Err(UserError::invalid(
                field,
                format!("Name must be at most {MAX_NAME_CHARS} characters"),
            )),
            _ => Ok(Name(name.to_owned())),
        }
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

/// An email address: trimmed, valid per RFC 5322 without a display name,
/// with a dotted domain, in lower case so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str, field: &[&str]) -> Result<Email, UserError> {
        let email = text.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(UserError::invalid(
                field,
                format!("Email must be at most {MAX_EMAIL_CHARS} characters"),
            ));
        }
        // `is_valid` accepts display-name forms ("A <a@b.c>"); a bare
        // address is wanted.
        match EmailAddress::parse_with_options(
            &email,
            email_address::Options::default().without_display_text(),
        ) {
            Ok(address) if address.domain().contains('.') => Ok(Email(email)),
            _ => Err(UserError::invalid(
                field,
                "Email is not a valid email address",
            )),
        }
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// Units of a product in a cart line: `min` (1 to add, 0 to remove) to
/// [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i32);

impl Quantity {
    /// No units: the line goes.
    pub const NONE: Quantity = Quantity(0);

    pub fn parse(units: i32, min: i32, field: &[&str]) -> Result<Quantity, UserError> {
        if (min..=MAX_QUANTITY).contains(&units) {
            Ok(Quantity(units))
        } else {
            Err(UserError::invalid(
                field,
                format!("Quantity must be between {min} and {MAX_QUANTITY}"),
            ))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A required field of an update input: `Ok(None)` when left out (keep the
/// value), `Ok(Some(value))` when given, and `INVALID` for an explicit null
/// (a required value cannot be cleared; silently keeping it hid the
/// client's mistake).
pub fn required<'a, T>(
    value: &'a async_graphql::MaybeUndefined<T>,
    field: &[&str],
) -> Result<Option<&'a T>, UserError> {
    match value {
        async_graphql::MaybeUndefined::Undefined => Ok(None),
        async_graphql::MaybeUndefined::Value(value) => Ok(Some(value)),
        async_graphql::MaybeUndefined::Null => Err(UserError::invalid(
            field,
            format!(
                "`{}` is required and cannot be null; leave it out to keep it",
                field.last().copied().unwrap_or("value")
            ),
        )),
    }
}

/// The user errors of an input, collected field by field so that one
/// answer names every bad field.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<UserError>);

impl FieldErrors {
    /// The parsed value, or `None` after noting why it could not be.
    /// Like [`FieldErrors::check`], for a parser that reports several.
    pub fn check_all<T>(&mut self, parsed: Result<T, Vec<UserError>>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(mut errors) => {
                self.0.append(&mut errors);
                None
            }
        }
    }

    /// The errors noted so far.
    pub fn into_errors(self) -> Vec<UserError> {
        self.0
    }

    pub fn check<T>(&mut self, parsed: Result<T, UserError>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// Notes an error found otherwise.
    pub fn push(&mut self, error: UserError) {
        self.0.push(error);
    }

    /// `Ok` when every field was good; every error otherwise.
    pub fn finish(self) -> Result<(), MutationError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.into())
        }
    }
}

impl From<FieldErrors> for MutationError {
    fn from(errors: FieldErrors) -> MutationError {
        errors.0.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(String::from(Name::parse("  Tea ", &["n"]).unwrap()), "Tea");
        assert!(Name::parse("   ", &["n"]).is_err());
        assert!(Name::parse(&"x".repeat(MAX_NAME_CHARS + 1), &["n"]).is_err());
    }

    #[test]
    fn emails_are_bare_addresses_in_lower_case() {
        assert_eq!(
            String::from(Email::parse(" Ann@Example.COM ", &["e"]).unwrap()),
            "ann@example.com"
        );
        assert!(Email::parse("Ann <ann@example.com>", &["e"]).is_err());
        assert!(Email::parse("ann@localhost", &["e"]).is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            String::from(Email::parse(" Ada@Example.COM ", &["email"]).unwrap()),
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
            assert!(Email::parse(bad, &["email"]).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn quantities_have_a_floor_and_a_ceiling() {
        assert_eq!(Quantity::parse(0, 0, &["q"]).unwrap().get(), 0);
        assert!(Quantity::parse(0, 1, &["q"]).is_err());
        assert!(Quantity::parse(MAX_QUANTITY + 1, 0, &["q"]).is_err());
    }

    #[test]
    fn field_errors_collect_every_bad_field() {
        let mut errors = FieldErrors::default();
        assert_eq!(
            errors.check(Name::parse("ok", &["a"])),
            Some(Name("ok".into()))
        );
        assert_eq!(errors.check(Name::parse("", &["b"])), None);
        assert_eq!(errors.check(Email::parse("no", &["c"])), None);
        match errors.finish() {
            Err(MutationError::User(list)) => assert_eq!(list.len(), 2),
            _ => panic!("two errors"),
        }
    }
}
