//! What discount-code mutations accept, parsed before the write turn.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::discount_code;
use sea_orm::ActiveValue::Set;

use super::fields::DiscountKind;
use crate::error::{UserError, UserErrorCode};
use crate::ids::{self, NodeKind};
use crate::input::FieldErrors;
use crate::money::{self, Decimal, Percentage};
use crate::timestamp::Timestamp;

/// Longest code, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Most collections one code is limited to.
pub const MAX_COLLECTIONS: usize = 50;

/// A discount code's fields.
#[derive(Debug, InputObject)]
pub struct DiscountCodeInput {
    /// The code: 3 to 64 letters, digits, `-` and `_`; unique ignoring case
    /// (`SUMMER10` and `summer10` are one code).
    pub code: String,
    /// What it takes off.
    pub kind: DiscountKind,
    /// For `PERCENTAGE`, the percentage (more than 0, at most 100, up to 4
    /// decimals: `"15"`); for `FIXED_AMOUNT`, the amount (`"10.00"`); none
    /// for `FREE_SHIPPING`.
    pub value: Option<Decimal>,
    /// The subtotal a cart must reach, e.g. `"50.00"`.
    pub minimum_subtotal: Option<Decimal>,
    /// From when it applies.
    pub starts_at: Option<Timestamp>,
    /// Until when it applies; after `startsAt`.
    pub ends_at: Option<Timestamp>,
    /// How many orders may carry it in all, 1 or more; none: no limit.
    pub usage_limit: Option<i32>,
    /// Each customer (or guest email) may use it once.
    #[graphql(default)]
    pub once_per_customer: bool,
    /// Limit it to these collections' products (at most 50); none: every
    /// product.
    #[graphql(default)]
    pub collection_ids: Vec<ID>,
}

/// A discount code, parsed.
#[derive(Debug)]
pub struct NewCode {
    row: discount_code::ActiveModel,
    pub usage_limit: Option<i32>,
    pub collections: Vec<i64>,
}

impl NewCode {
    /// Every bad field at once.
    pub fn parse(input: DiscountCodeInput) -> Result<NewCode, Vec<UserError>> {
        let mut errors = FieldErrors::default();
        let code = input.code.trim();
        let well_formed = (3..=MAX_CODE_CHARS).contains(&code.chars().count())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            errors.push(UserError::invalid(
                &["input", "code"],
                format!("A code is 3 to {MAX_CODE_CHARS} letters, digits, - and _"),
            ));
        }
        let (mut percent_ppm, mut amount) = (None, None);
        match (input.kind, input.value) {
            (DiscountKind::Percentage, Some(value)) => {
                match errors.check(Percentage::from_percent(value, &["input", "value"])) {
                    Some(rate) if rate.ppm() == 0 => errors.push(UserError::invalid(
                        &["input", "value"],
                        "A percentage off must be more than 0",
                    )),
                    rate => percent_ppm = rate.map(Percentage::ppm),
                }
            }
            (DiscountKind::FixedAmount, Some(value)) => {
                amount = errors.check(positive_amount(value, &["input", "value"]));
            }
            (DiscountKind::FreeShipping, None) => {}
            (DiscountKind::FreeShipping, Some(_)) => errors.push(UserError::invalid(
                &["input", "value"],
                "Free shipping takes no value",
            )),
            (_, None) => errors.push(UserError::invalid(
                &["input", "value"],
                "A percentage or an amount is needed",
            )),
        }
        let minimum_subtotal = input.minimum_subtotal.and_then(|minimum| {
            errors.check(money::to_minor_units(minimum).map_err(|err| {
                UserError::invalid(&["input", "minimumSubtotal"], format!("The amount {err}"))
            }))
        });
        let starts_at: Option<DateTime<Utc>> = input.starts_at.map(|time| time.0);
        let ends_at: Option<DateTime<Utc>> = input.ends_at.map(|time| time.0);
        if let (Some(starts), Some(ends)) = (starts_at, ends_at)
            && ends <= starts
        {
            errors.push(UserError::invalid(
                &["input", "endsAt"],
                "Must be after startsAt",
            ));
        }
        if input.usage_limit.is_some_and(|limit| limit < 1) {
            errors.push(UserError::invalid(
                &["input", "usageLimit"],
                "Must be 1 or more",
            ));
        }
        let mut collections = Vec::new();
        if input.collection_ids.len() > MAX_COLLECTIONS {
            errors.push(UserError::new(
                &["input", "collectionIds"],
                UserErrorCode::TooMany,
                format!("At most {MAX_COLLECTIONS} collections"),
            ));
        }
        for (index, id) in input.collection_ids.iter().enumerate() {
            match ids::decode_as(id, NodeKind::Collection, "collectionIds") {
                Ok(key) if !collections.contains(&key) => collections.push(key),
                Ok(_) => {}
                Err(_) => errors.push(UserError::invalid(
                    &["input", "collectionIds", &index.to_string()],
                    "Not the ID of a collection",
                )),
            }
        }
        let errors = errors.into_errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        let now = Utc::now();
        Ok(NewCode {
            row: discount_code::ActiveModel {
                code: Set(code.to_owned()),
                code_key: Set(code.to_lowercase()),
                kind: Set(input.kind.as_str().to_owned()),
                percent_ppm: Set(percent_ppm),
                amount: Set(amount),
                minimum_subtotal: Set(minimum_subtotal),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                usage_limit: Set(input.usage_limit),
                once_per_customer: Set(input.once_per_customer),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
            usage_limit: input.usage_limit,
            collections,
        })
    }

    /// The row to write (its `used_count` left as it is).
    pub fn row(&self) -> discount_code::ActiveModel {
        self.row.clone()
    }
}

fn positive_amount(value: Decimal, field: &[&str]) -> Result<i64, UserError> {
    match money::to_minor_units(value) {
        Ok(0) => Err(UserError::invalid(
            field,
            "An amount off must be more than 0",
        )),
        Ok(amount) => Ok(amount),
        Err(err) => Err(UserError::invalid(field, format!("The amount {err}"))),
    }
}
