//! What collection mutations accept, parsed into typed commands
//! ([`NewCollection`], [`CollectionChanges`]) before a mutation takes its
//! write turn.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::Utc;
use entity::collection;
use sea_orm::ActiveValue::Set;

use crate::error::{MutationError, UserError, UserErrorCode};
use crate::ids::{self, NodeKind};
use crate::input::{FieldErrors, Name, required};
use crate::product::handle::Handle;
use crate::product::image::NewImage;
use crate::product::input::parse_description;

/// Most products one call adds to or removes from a collection.
pub const MAX_PRODUCTS_PER_CALL: usize = 250;

/// The fields of a new collection.
#[derive(Debug, InputObject)]
pub struct CreateCollectionInput {
    /// The unique, URL-safe handle (`summer-sale`); made from the title when
    /// not given (with `-2`, `-3`, … when taken); a given one that is taken
    /// is `TAKEN`.
    pub handle: Option<String>,
    /// The title, 1 to 200 characters.
    pub title: String,
    /// An optional longer description, at most 5,000 characters.
    pub description: Option<String>,
    /// The URL of the collection's image: absolute `https://` or `http://`.
    pub image_url: Option<String>,
    /// Products to put in the collection at once (at most 250).
    #[graphql(default)]
    pub product_ids: Vec<ID>,
}

/// The fields to change on a collection. Fields left out keep their value.
#[derive(Debug, InputObject)]
pub struct UpdateCollectionInput {
    /// A new handle; `TAKEN` if another collection has it. Null is `INVALID`.
    pub handle: MaybeUndefined<String>,
    /// A new title, 1 to 200 characters. Null is `INVALID`. The handle stays.
    pub title: MaybeUndefined<String>,
    /// A new description; null removes it.
    pub description: MaybeUndefined<String>,
    /// A new image URL; null removes the image.
    pub image_url: MaybeUndefined<String>,
}

/// A collection to make, its fields parsed.
#[derive(Debug)]
pub struct NewCollection {
    title: Name,
    pub handle: Option<Handle>,
    description: Option<String>,
    pub image: Option<NewImage>,
    pub product_ids: Vec<i64>,
}

impl NewCollection {
    pub fn parse(input: CreateCollectionInput) -> Result<NewCollection, MutationError> {
        let mut errors = FieldErrors::default();
        let title = errors.check(Name::parse(&input.title, &["input", "title"]));
        let handle = errors.check(
            input
                .handle
                .as_deref()
                .map(|text| Handle::parse(text, &["input", "handle"]))
                .transpose(),
        );
        let description = errors
            .check(
                input
                    .description
                    .as_deref()
                    .map(|text| parse_description(text, &["input", "description"]))
                    .transpose(),
            )
            .map(Option::flatten);
        let image = errors.check(
            input
                .image_url
                .as_deref()
                .map(|url| NewImage::from_url(url, &["input", "imageUrl"]))
                .transpose(),
        );
        let product_ids = errors.check(parse_product_ids(
            &input.product_ids,
            &["input", "productIds"],
        ));
        match (title, handle, description, image, product_ids) {
            (Some(title), Some(handle), Some(description), Some(image), Some(product_ids)) => {
                Ok(NewCollection {
                    title,
                    handle,
                    description,
                    image,
                    product_ids,
                })
            }
            _ => Err(errors.into()),
        }
    }

    /// The handle the title makes, for when none was given.
    pub fn handle_from_title(&self) -> Handle {
        Handle::from_name(self.title.as_ref(), "collection")
    }

    pub fn into_row(self, handle: Handle) -> collection::ActiveModel {
        let now = Utc::now();
        collection::ActiveModel {
            handle: Set(handle.into()),
            title: Set(self.title.into()),
            description: Set(self.description),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

/// The changes to make to a collection; what is `None` keeps its value.
#[derive(Debug, Default)]
pub struct CollectionChanges {
    handle: Option<Handle>,
    title: Option<Name>,
    description: Option<Option<String>>,
    /// `Some(None)` removes the image.
    pub image: Option<Option<NewImage>>,
}

impl CollectionChanges {
    pub fn parse(input: UpdateCollectionInput) -> Result<CollectionChanges, MutationError> {
        let mut errors = FieldErrors::default();
        let mut changes = CollectionChanges::default();
        if let Some(Some(handle)) = errors.check(required(&input.handle, &["input", "handle"])) {
            changes.handle = errors.check(Handle::parse(handle, &["input", "handle"]));
        }
        if let Some(Some(title)) = errors.check(required(&input.title, &["input", "title"])) {
            changes.title = errors.check(Name::parse(title, &["input", "title"]));
        }
        match &input.description {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => changes.description = Some(None),
            MaybeUndefined::Value(text) => {
                changes.description =
                    errors.check(parse_description(text, &["input", "description"]));
            }
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

    /// The columns to write: only those changed.
    pub fn apply_to(self, row: &mut collection::ActiveModel) {
        if let Some(handle) = self.handle {
            row.handle = Set(handle.into());
        }
        if let Some(title) = self.title {
            row.title = Set(title.into());
        }
        if let Some(description) = self.description {
            row.description = Set(description);
        }
        row.updated_at = Set(Utc::now());
    }
}

/// Product IDs for a collection, in the order given: at most
/// [`MAX_PRODUCTS_PER_CALL`], each a product's.
pub fn parse_product_ids(ids: &[ID], field: &[&str]) -> Result<Vec<i64>, UserError> {
    if ids.len() > MAX_PRODUCTS_PER_CALL {
        return Err(UserError::new(
            field,
            UserErrorCode::TooMany,
            format!("At most {MAX_PRODUCTS_PER_CALL} products at a time"),
        ));
    }
    let mut keys = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let index = index.to_string();
        let mut at: Vec<&str> = field.to_vec();
        at.push(&index);
        let key = ids::decode_as(id, NodeKind::Product, "productIds")
            .map_err(|_| UserError::invalid(&at, "Not the ID of a product"))?;
        keys.push(key);
    }
    Ok(keys)
}
