//! What variant mutations accept, parsed into typed commands
//! ([`NewVariant`], [`VariantChanges`]) before a mutation takes its write
//! turn.

use async_graphql::{InputObject, MaybeUndefined};

use super::options::{SelectedOptionInput, parse_selection};
use crate::error::{MutationError, UserError};
use crate::input::{FieldErrors, required};
use crate::money::{self, Decimal};
use crate::product::image::NewImage;

/// Longest SKU, in characters.
pub const MAX_SKU_CHARS: usize = 255;
/// Most variants a product has.
pub const MAX_VARIANTS: usize = 100;

/// A new variant of a product.
#[derive(Debug, Clone, InputObject)]
pub struct CreateProductVariantInput {
    /// The stock-keeping unit, 1 to 255 characters, unique across the shop
    /// (`TAKEN` otherwise); none when absent.
    pub sku: Option<String>,
    /// The unit price, a decimal string such as `"12.50"`, not negative.
    pub price: Decimal,
    /// The price before a reduction, shown struck through; none when absent.
    pub compare_at_price: Option<Decimal>,
    /// Units available, 0 or more. Defaults to 0.
    #[graphql(default)]
    pub stock: i32,
    /// One value of each of the product's options, each option once (none
    /// for a product without options). A value the option does not have
    /// yet is added to it (`createProductVariant` only); another variant
    /// with the same values is `DUPLICATE_VARIANT`.
    #[graphql(default)]
    pub selected_options: Vec<SelectedOptionInput>,
    /// The URL of the variant's picture; it becomes one of the product's
    /// images when it is not one already.
    pub image_url: Option<String>,
    /// Whether it is shipped (goods: checkout needs an address and a
    /// shipping rate) or not (a gift card, a download). Defaults to true.
    #[graphql(default = true)]
    pub requires_shipping: bool,
}

/// The fields to change on a variant. Fields left out keep their value;
/// its selected options never change (delete it and create another).
#[derive(Debug, InputObject)]
pub struct UpdateProductVariantInput {
    /// A new SKU; null removes it.
    pub sku: MaybeUndefined<String>,
    /// A new unit price. Null is `INVALID` (it is required).
    pub price: MaybeUndefined<Decimal>,
    /// A new compare-at price; null removes it.
    pub compare_at_price: MaybeUndefined<Decimal>,
    /// A new stock level, 0 or more. Null is `INVALID` (it is required).
    pub stock: MaybeUndefined<i32>,
    /// A new picture (becoming one of the product's images when it is not
    /// one already); null removes it.
    pub image_url: MaybeUndefined<String>,
    /// Whether it is shipped.
    pub requires_shipping: Option<bool>,
}

/// A variant to add, its fields parsed.
#[derive(Debug, Clone)]
pub struct NewVariant {
    pub sku: Option<String>,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub stock: i32,
    /// (option name, value) as given.
    pub selected: Vec<(String, String)>,
    pub image: Option<NewImage>,
    pub requires_shipping: bool,
}

impl NewVariant {
    /// Every bad field of `input` at once, under `field`.
    pub fn parse(
        input: &CreateProductVariantInput,
        field: &[String],
    ) -> Result<NewVariant, Vec<UserError>> {
        let at = |name: &str| {
            let mut path = field.to_vec();
            path.push(name.to_owned());
            path
        };
        let mut errors = FieldErrors::default();
        let sku = errors.check(
            input
                .sku
                .as_deref()
                .map(|sku| parse_sku(sku, &at("sku")))
                .transpose(),
        );
        let price = errors.check(parse_price(input.price, &refs(&at("price"))));
        let compare_at_price = errors.check(
            input
                .compare_at_price
                .map(|price| parse_price(price, &refs(&at("compareAtPrice"))))
                .transpose(),
        );
        let stock = errors.check(parse_stock(input.stock, &refs(&at("stock"))));
        let selected = errors.check(parse_selection(
            &input.selected_options,
            &at("selectedOptions"),
        ));
        let image = errors.check(
            input
                .image_url
                .as_deref()
                .map(|url| NewImage::from_url(url, &refs(&at("imageUrl"))))
                .transpose(),
        );
        match (sku, price, compare_at_price, stock, selected, image) {
            (
                Some(sku),
                Some(price),
                Some(compare_at_price),
                Some(stock),
                Some(selected),
                Some(image),
            ) => Ok(NewVariant {
                sku,
                price,
                compare_at_price,
                stock,
                selected,
                image,
                requires_shipping: input.requires_shipping,
            }),
            _ => Err(errors.into_errors()),
        }
    }

    /// The one variant of a product without options.
    pub fn default_of(price: i64, stock: i32, requires_shipping: bool) -> NewVariant {
        NewVariant {
            sku: None,
            price,
            compare_at_price: None,
            stock,
            selected: Vec::new(),
            image: None,
            requires_shipping,
        }
    }
}

/// The changes to make to a variant, parsed; what is `None` keeps its value.
#[derive(Debug, Default, Clone)]
pub struct VariantChanges {
    /// `Some(None)` removes the SKU.
    pub sku: Option<Option<String>>,
    pub price: Option<i64>,
    /// `Some(None)` removes the compare-at price.
    pub compare_at_price: Option<Option<i64>>,
    pub stock: Option<i32>,
    /// `Some(None)` removes the picture.
    pub image: Option<Option<NewImage>>,
    pub requires_shipping: Option<bool>,
}

impl VariantChanges {
    /// Every bad field of `input` at once, as user errors.
    pub fn parse(input: UpdateProductVariantInput) -> Result<VariantChanges, MutationError> {
        let mut errors = FieldErrors::default();
        let mut changes = VariantChanges {
            requires_shipping: input.requires_shipping,
            ..VariantChanges::default()
        };
        match &input.sku {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => changes.sku = Some(None),
            MaybeUndefined::Value(sku) => {
                changes.sku = errors
                    .check(parse_sku(sku, &["input".to_owned(), "sku".to_owned()]))
                    .map(Some);
            }
        }
        if let Some(Some(price)) = errors.check(required(&input.price, &["input", "price"])) {
            changes.price = errors.check(parse_price(*price, &["input", "price"]));
        }
        match &input.compare_at_price {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => changes.compare_at_price = Some(None),
            MaybeUndefined::Value(price) => {
                changes.compare_at_price = errors
                    .check(parse_price(*price, &["input", "compareAtPrice"]))
                    .map(Some);
            }
        }
        if let Some(Some(stock)) = errors.check(required(&input.stock, &["input", "stock"])) {
            changes.stock = errors.check(parse_stock(*stock, &["input", "stock"]));
        }
        match &input.image_url {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => changes.image = Some(None),
            MaybeUndefined::Value(url) => {
                changes.image = errors
                    .check(NewImage::from_url(url, &["input", "imageUrl"]))
                    .map(Some);
            }
        }
        errors.finish()?;
        Ok(changes)
    }
}

/// A SKU: trimmed, 1 to [`MAX_SKU_CHARS`].
fn parse_sku(text: &str, field: &[String]) -> Result<String, UserError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_SKU_CHARS {
        return Err(UserError::invalid(
            field,
            format!("A SKU must be 1 to {MAX_SKU_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// Largest accepted stock; keeps every cart quantity far from integer overflow.
pub const MAX_STOCK: i32 = 1_000_000_000;

/// A price in minor units from a decimal amount.
pub fn parse_price(amount: money::Decimal, field: &[&str]) -> Result<i64, UserError> {
    money::to_minor_units(amount).map_err(|err| UserError::invalid(field, format!("Price {err}")))
}

/// A stock level: 0 to [`MAX_STOCK`].
pub fn parse_stock(stock: i32, field: &[&str]) -> Result<i32, UserError> {
    match stock {
        s if s < 0 => Err(UserError::invalid(field, "Stock must not be negative")),
        s if s > MAX_STOCK => Err(UserError::invalid(
            field,
            format!("Stock must be at most {MAX_STOCK}"),
        )),
        s => Ok(s),
    }
}
