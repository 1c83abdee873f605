//! What cart mutations accept: the lines a client asks for, parsed into
//! [`LineRequest`]s before a mutation takes its write turn, and the bounds
//! on a cart's size.

use async_graphql::{ID, InputObject};

use crate::error::{ApiError, MutationError, UserError, UserErrorCode};
use crate::ids::{self, NodeKind};
use crate::input::{FieldErrors, Quantity};

/// A variant and how many units of it to put in a cart.
#[derive(Debug, InputObject)]
pub struct CartLineInput {
    /// The variant's ID. Give it, or `productId` for a product with one
    /// variant.
    pub variant_id: Option<ID>,
    /// The product's ID, for a product with exactly one variant (a product
    /// with several asks for `variantId`: `INVALID`). Kept so that clients
    /// written before variants keep working.
    pub product_id: Option<ID>,
    /// How many units, 1 to 1,000,000.
    pub quantity: i32,
}

/// Most lines one call may add (Shopify's `cartLinesAdd` allows 250 too).
pub const MAX_LINES_PER_CALL: usize = 250;
/// Most lines one cart holds (Shopify's cart holds 250 too); with
/// [`crate::input::MAX_QUANTITY`] and the largest price, a subtotal stays far inside
/// what [`crate::money::Money`] computes exactly.
pub const MAX_LINES_PER_CART: u64 = 250;

/// Open carts one customer may hold (`--max-open-carts-per-customer`): each
/// is rows a customer makes the server keep, so they are bounded like a
/// guest's.
#[derive(Debug, Clone, Copy)]
pub struct OpenCartCap(pub u64);

/// What a line names: a variant, or a product that should have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineTarget {
    Variant(i64),
    Product(i64),
}

impl LineTarget {
    /// The target of `variantId` or `productId` (exactly one given);
    /// malformed IDs and neither-or-both are top-level `BAD_USER_INPUT`.
    pub fn parse(
        variant_id: Option<&ID>,
        product_id: Option<&ID>,
        at: &str,
    ) -> Result<LineTarget, ApiError> {
        match (variant_id, product_id) {
            (Some(variant), None) => Ok(LineTarget::Variant(ids::decode_as(
                variant,
                NodeKind::ProductVariant,
                &format!("{at}variantId"),
            )?)),
            (None, Some(product)) => Ok(LineTarget::Product(ids::decode_as(
                product,
                NodeKind::Product,
                &format!("{at}productId"),
            )?)),
            _ => Err(ApiError::bad_input(format!(
                "Give exactly one of `{at}variantId` and `{at}productId`"
            ))),
        }
    }

    /// The input field that named the target.
    pub fn field(self) -> &'static str {
        match self {
            LineTarget::Variant(_) => "variantId",
            LineTarget::Product(_) => "productId",
        }
    }
}

/// A validated line of input; `index` is its position in `lines`, for error paths.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineRequest {
    pub(super) index: usize,
    pub(super) target: LineTarget,
    pub(super) quantity: Quantity,
}

impl LineRequest {
    /// Malformed IDs are top-level errors (`MutationError::Api`);
    /// everything else a user error.
    pub(super) fn parse_all(lines: &[CartLineInput]) -> Result<Vec<LineRequest>, MutationError> {
        if lines.len() > MAX_LINES_PER_CALL {
            return Err(UserError::new(
                &["lines"],
                UserErrorCode::TooMany,
                format!("At most {MAX_LINES_PER_CALL} lines can be added at once"),
            )
            .into());
        }
        let mut requests = Vec::with_capacity(lines.len());
        let mut errors = FieldErrors::default();
        for (index, line) in lines.iter().enumerate() {
            let target = LineTarget::parse(line.variant_id.as_ref(), line.product_id.as_ref(), "")?;
            let field = ["lines", &index.to_string(), "quantity"];
            if let Some(quantity) = errors.check(Quantity::parse(line.quantity, 1, &field)) {
                requests.push(LineRequest {
                    index,
                    target,
                    quantity,
                });
            }
        }
        errors.finish()?;
        Ok(requests)
    }

    pub(super) fn field(&self, name: &str) -> Vec<String> {
        vec!["lines".to_owned(), self.index.to_string(), name.to_owned()]
    }
}
