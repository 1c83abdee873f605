//! Handles: the unique, URL-safe names of products and collections
//! (`espresso-beans`), for storefront links (`/products/espresso-beans`).
//!
//! A handle is 1 to [`MAX_HANDLE_CHARS`] characters of lower-case ASCII
//! letters and digits in runs joined by single hyphens. When a product or
//! collection is created without one, it is made from the name or title
//! ([`Handle::from_name`]); when that handle is taken, the first free of
//! `-2`, `-3`, … is added ([`free_handle`]). Renaming keeps the handle, so
//! links stay valid; staff change it explicitly.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::error::UserError;

/// The longest handle, in characters.
pub const MAX_HANDLE_CHARS: usize = 255;

/// A handle that keeps the rules above; only [`Handle::parse`] and
/// [`Handle::from_name`] make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    /// A handle a client gave: trimmed, then kept exactly or refused as
    /// `INVALID` (never rewritten behind the client's back).
    pub fn parse(text: &str, field: &[&str]) -> Result<Handle, UserError> {
        let text = text.trim();
        let well_formed = !text.is_empty()
            && text.len() <= MAX_HANDLE_CHARS
            && text.split('-').all(|run| {
                !run.is_empty()
                    && run
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if well_formed {
            Ok(Handle(text.to_owned()))
        } else {
            Err(UserError::invalid(
                field,
                format!(
                    "Handle must be 1 to {MAX_HANDLE_CHARS} lower-case letters, digits and single hyphens between them, e.g. `espresso-beans`"
                ),
            ))
        }
    }

    /// The handle a name makes: letters transliterated to ASCII ("Café" →
    /// "cafe") and lower-cased, digits kept, every run of anything else one
    /// hyphen, none at either end; `fallback` when nothing is left. (The
    /// migration that gave existing products handles made them the same
    /// way.)
    pub fn from_name(name: &str, fallback: &str) -> Handle {
        let mut handle = slug::slugify(name);
        if handle.len() > MAX_HANDLE_CHARS {
            handle.truncate(MAX_HANDLE_CHARS);
            handle = handle.trim_end_matches('-').to_owned();
        }
        if handle.is_empty() {
            handle = fallback.to_owned();
        }
        Handle(handle)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This handle with `-n` added, shortened to stay within
    /// [`MAX_HANDLE_CHARS`].
    fn with_suffix(&self, n: u64) -> Handle {
        let suffix = format!("-{n}");
        let mut stem = self.0.clone();
        stem.truncate(MAX_HANDLE_CHARS - suffix.len());
        Handle(format!("{}{suffix}", stem.trim_end_matches('-')))
    }
}

impl From<Handle> for String {
    fn from(handle: Handle) -> String {
        handle.0
    }
}

/// `wanted` if no row of `E` has it in `column`, else `wanted-n` for the
/// smallest free n ≥ 2. One statement: the handles that start with
/// `wanted` (a handle holds no `%` or `_`, so the pattern needs no
/// escaping). Two writers racing for the same handle on PostgreSQL meet
/// the unique index, and the later one is told the handle is `TAKEN`.
pub async fn free_handle<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    wanted: Handle,
) -> Result<Handle, DbErr> {
    let taken: Vec<String> = E::find()
        .select_only()
        .column(column)
        .filter(
            Expr::col(column)
                .eq(wanted.as_str())
                .or(column.like(format!("{}-%", wanted.as_str()))),
        )
        .into_tuple()
        .all(db)
        .await?;
    if !taken.iter().any(|handle| handle == wanted.as_str()) {
        return Ok(wanted);
    }
    let taken: std::collections::HashSet<String> = taken.into_iter().collect();
    let free = (2..)
        .map(|n| wanted.with_suffix(n))
        .find(|handle| !taken.contains(handle.as_str()))
        .expect("some suffix is free: there are fewer rows than numbers");
    Ok(free)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_make_url_safe_handles() {
        let made = |name: &str| Handle::from_name(name, "product").0;
        assert_eq!(made("Espresso Beans"), "espresso-beans");
        assert_eq!(made("  Café Crème — 250 g!  "), "cafe-creme-250-g");
        assert_eq!(made("T-Shirt (XL)"), "t-shirt-xl");
        assert_eq!(made("!!!"), "product");
        assert_eq!(made(&"a".repeat(300)).len(), MAX_HANDLE_CHARS);
    }

    #[test]
    fn given_handles_are_kept_or_refused() {
        assert_eq!(Handle::parse(" mugs-2 ", &["handle"]).unwrap().0, "mugs-2");
        for bad in [
            "", "Mugs", "mugs--2", "-mugs", "mugs-", "mugs 2", "müg", "a/b",
        ] {
            assert!(Handle::parse(bad, &["handle"]).is_err(), "{bad:?}");
        }
        assert!(Handle::parse(&"a".repeat(256), &["handle"]).is_err());
    }

    #[test]
    fn suffixes_keep_within_the_limit() {
        let long = Handle::from_name(&"b".repeat(300), "product");
        let suffixed = long.with_suffix(12);
        assert_eq!(suffixed.0.len(), MAX_HANDLE_CHARS);
        assert!(suffixed.0.ends_with("-12"));
        assert!(Handle::parse(suffixed.as_str(), &["handle"]).is_ok());
    }
}
