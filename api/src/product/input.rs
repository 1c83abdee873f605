//! What product mutations accept: their GraphQL inputs and the rules
//! their fields keep, parsed into typed commands ([`NewProduct`],
//! [`ProductChanges`]) before a mutation takes its write turn, so no input
//! is ever parsed while SQLite's write lock is held.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::Utc;
use entity::product;
use sea_orm::ActiveValue::Set;

use super::handle::Handle;
use super::image::{ImageInput, NewImage, parse_images};
use super::variant::input::{CreateProductVariantInput, NewVariant, parse_price, parse_stock};
use super::variant::options::{ProductOptionInput, parse_options};
use crate::error::{MutationError, UserError};
use crate::input::{FieldErrors, Name, required};
use crate::money::Decimal;

/// The fields of a new product.
#[derive(Debug, InputObject)]
pub struct CreateProductInput {
    /// The name, 1 to 200 characters (surrounding spaces are trimmed).
    pub name: String,
    /// The unique, URL-safe handle (`espresso-beans`): lower-case letters,
    /// digits and single hyphens, at most 255. Made from the name when not
    /// given (with `-2`, `-3`, … when taken); a given one that is taken is
    /// `TAKEN`.
    pub handle: Option<String>,
    /// An optional longer description, at most 5,000 characters.
    pub description: Option<String>,
    /// The product's images, in order (the first is its `featuredImage`),
    /// at most 50.
    #[graphql(default)]
    pub images: Vec<ImageInput>,
    /// The product's options ("Size", "Color"), in order, at most 3. With
    /// options, give `variants`.
    #[graphql(default)]
    pub options: Vec<ProductOptionInput>,
    /// What is sold: one variant per combination of the options it sells,
    /// 1 to 100. Left out, `price` and `stock` make the one variant of a
    /// product without options.
    #[graphql(default)]
    pub variants: Vec<CreateProductVariantInput>,
    /// For a product without options and without `variants`: the unit
    /// price of its one variant, as a decimal string with at most two
    /// decimal places, e.g. `"12.50"`. Must not be negative.
    pub price: Option<Decimal>,
    /// For a product without options and without `variants`: units
    /// available of its one variant, 0 or more. Defaults to 0.
    #[graphql(default)]
    pub stock: i32,
    /// For a product without options and without `variants`: whether its
    /// one variant is shipped (see `CreateProductVariantInput`). Defaults
    /// to true.
    #[graphql(default = true)]
    pub requires_shipping: bool,
}

/// The fields to change on a product. Fields left out keep their value.
#[derive(Debug, InputObject)]
pub struct UpdateProductInput {
    /// A new name, 1 to 200 characters. Null is `INVALID` (it is required).
    /// The handle stays as it is, so links keep working.
    pub name: MaybeUndefined<String>,
    /// A new handle; `TAKEN` if another product has it. Null is `INVALID`.
    pub handle: MaybeUndefined<String>,
    /// The product's images, replacing all of them, in order (at most 50;
    /// an empty list removes them). Null is `INVALID`.
    pub images: MaybeUndefined<Vec<ImageInput>>,
    /// A new description; null removes it.
    pub description: MaybeUndefined<String>,
    /// A new unit price for the product's one variant, e.g. `"12.50"`;
    /// `INVALID` for a product with several (change them with
    /// `updateProductVariant`). Null is `INVALID` (it is required).
    #[graphql(deprecation = "Prices live on variants: use `updateProductVariant`.")]
    pub price: MaybeUndefined<Decimal>,
    /// A new stock level for the product's one variant, 0 or more;
    /// `INVALID` for a product with several. Null is `INVALID`.
    #[graphql(deprecation = "Stock lives on variants: use `updateProductVariant`.")]
    pub stock: MaybeUndefined<i32>,
}

/// A product to add, its fields parsed.
#[derive(Debug)]
pub struct NewProduct {
    name: Name,
    /// The handle asked for, or none to make one from the name.
    pub handle: Option<Handle>,
    pub images: Vec<NewImage>,
    description: Option<String>,
    pub options: Vec<(String, Vec<String>)>,
    pub variants: Vec<NewVariant>,
}

impl NewProduct {
    /// Every bad field of `input` at once, as user errors.
    pub fn parse(input: CreateProductInput) -> Result<NewProduct, MutationError> {
        let mut errors = FieldErrors::default();
        let name = errors.check(Name::parse(&input.name, &["input", "name"]));
        let handle = errors.check(
            input
                .handle
                .as_deref()
                .map(|text| Handle::parse(text, &["input", "handle"]))
                .transpose(),
        );
        let images = errors.check_all(parse_images(&input.images, &["input", "images"]));
        let description = errors.check(
            input
                .description
                .as_deref()
                .map(|text| parse_description(text, &["input", "description"]))
                .transpose(),
        );
        let options = errors.check(parse_options(&input.options, &["input", "options"]));
        let variants = errors.check_all(parse_variants(&input));
        match (name, handle, images, description, options, variants) {
            (
                Some(name),
                Some(handle),
                Some(images),
                Some(description),
                Some(options),
                Some(variants),
            ) => Ok(NewProduct {
                name,
                handle,
                images,
                description: description.flatten(),
                options,
                variants,
            }),
            _ => Err(errors.into()),
        }
    }

    /// The handle made from the name, for when none was given.
    pub fn handle_from_name(&self) -> Handle {
        let name: &str = self.name.as_ref();
        Handle::from_name(name, "product")
    }

    /// The row to insert, with its (free) handle.
    /// (Its price and stock sum up its variants, as
    /// [`super::variant::write::refresh_product`] keeps them.)
    pub fn into_row(&self, handle: Handle) -> product::ActiveModel {
        let now = Utc::now();
        let lowest = self.variants.iter().map(|variant| variant.price).min();
        let units = self
            .variants
            .iter()
            .map(|variant| i64::from(variant.stock))
            .sum();
        product::ActiveModel {
            name: Set(self.name.as_ref().to_owned()),
            handle: Set(handle.into()),
            description: Set(self.description.clone()),
            price: Set(lowest.unwrap_or(0)),
            stock: Set(units),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

/// The changes to make to a product, parsed; what is `None` keeps its value.
#[derive(Debug, Default)]
pub struct ProductChanges {
    name: Option<Name>,
    pub handle: Option<Handle>,
    /// `Some` replaces every image.
    pub images: Option<Vec<NewImage>>,
    /// `Some(None)` removes the description.
    description: Option<Option<String>>,
    /// The only variant's new price and stock (deprecated fields).
    pub price: Option<i64>,
    pub stock: Option<i32>,
}

impl ProductChanges {
    /// Every bad field of `input` at once, as user errors.
    pub fn parse(input: UpdateProductInput) -> Result<ProductChanges, MutationError> {
        let mut errors = FieldErrors::default();
        let mut changes = ProductChanges::default();
        if let Some(Some(name)) = errors.check(required(&input.name, &["input", "name"])) {
            changes.name = errors.check(Name::parse(name, &["input", "name"]));
        }
        if let Some(Some(handle)) = errors.check(required(&input.handle, &["input", "handle"])) {
            changes.handle = errors.check(Handle::parse(handle, &["input", "handle"]));
        }
        if let Some(Some(images)) = errors.check(required(&input.images, &["input", "images"])) {
            changes.images = errors.check_all(parse_images(images, &["input", "images"]));
        }
        match &input.description {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => changes.description = Some(None),
            MaybeUndefined::Value(text) => {
                changes.description =
                    errors.check(parse_description(text, &["input", "description"]));
            }
        }
        if let Some(Some(price)) = errors.check(required(&input.price, &["input", "price"])) {
            changes.price = errors.check(parse_price(*price, &["input", "price"]));
        }
        if let Some(Some(stock)) = errors.check(required(&input.stock, &["input", "stock"])) {
            changes.stock = errors.check(parse_stock(*stock, &["input", "stock"]));
        }
        errors.finish()?;
        Ok(changes)
    }

    /// The columns to write: only those changed, so a concurrent update of
    /// other fields is not overwritten.
    pub fn apply_to(self, row: &mut product::ActiveModel) {
        if let Some(name) = self.name {
            row.name = Set(name.into());
        }
        if let Some(handle) = self.handle {
            row.handle = Set(handle.into());
        }
        if let Some(description) = self.description {
            row.description = Set(description);
        }
        row.updated_at = Set(Utc::now());
    }
}

/// A new product's variants: those given, or the one `price` and `stock`
/// make; each checked under `input.variants.<i>`.
fn parse_variants(input: &CreateProductInput) -> Result<Vec<NewVariant>, Vec<UserError>> {
    use super::variant::input::MAX_VARIANTS;
    if input.variants.is_empty() {
        if !input.options.is_empty() {
            return Err(vec![UserError::invalid(
                &["input", "variants"],
                "A product with options needs its variants: one per combination it sells",
            )]);
        }
        let price = match input.price {
            Some(price) => parse_price(price, &["input", "price"]),
            None => Err(UserError::invalid(
                &["input", "price"],
                "Give a price (or `variants`)",
            )),
        };
        let stock = parse_stock(input.stock, &["input", "stock"]);
        return match (price, stock) {
            (Ok(price), Ok(stock)) => Ok(vec![NewVariant::default_of(
                price,
                stock,
                input.requires_shipping,
            )]),
            (price, stock) => Err(price.err().into_iter().chain(stock.err()).collect()),
        };
    }
    if input.price.is_some() || input.stock != 0 {
        return Err(vec![UserError::invalid(
            &["input", "price"],
            "Give prices and stock on the variants, not on the product",
        )]);
    }
    if input.variants.len() > MAX_VARIANTS {
        return Err(vec![UserError::new(
            &["input", "variants"],
            crate::error::UserErrorCode::TooMany,
            format!("A product has at most {MAX_VARIANTS} variants"),
        )]);
    }
    let mut variants = Vec::with_capacity(input.variants.len());
    let mut errors = Vec::new();
    for (index, variant) in input.variants.iter().enumerate() {
        let field = ["input".to_owned(), "variants".to_owned(), index.to_string()];
        match NewVariant::parse(variant, &field) {
            Ok(variant) => variants.push(variant),
            Err(mut bad) => errors.append(&mut bad),
        }
    }
    if errors.is_empty() {
        Ok(variants)
    } else {
        Err(errors)
    }
}

/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// A description: at most [`MAX_DESCRIPTION_CHARS`]; blank means none.
pub fn parse_description(text: &str, field: &[&str]) -> Result<Option<String>, UserError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(UserError::invalid(
            field,
            format!("Description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}
