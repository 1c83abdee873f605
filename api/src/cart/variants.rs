//! The variants cart lines hold: read with their product's name, found by
//! the variant's ID or, for clients written before variants, by the ID of
//! a product that has exactly one.

use std::collections::HashMap;

use entity::{product, product_variant};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::input::LineTarget;
use crate::error::{UserError, UserErrorCode};
use crate::product::variant::options::DEFAULT_TITLE;

/// A variant with its product's name, as lines and messages show it.
#[derive(Debug, Clone)]
pub struct LineVariant {
    pub variant: product_variant::Model,
    pub product_name: String,
}

impl LineVariant {
    /// How the shop's text names it: the product, and the variant's title
    /// when the product has options.
    pub fn label(&self) -> String {
        if self.variant.title == DEFAULT_TITLE {
            self.product_name.clone()
        } else {
            format!("{} ({})", self.product_name, self.variant.title)
        }
    }
}

/// What a line's target turned out to be.
#[derive(Debug, Clone)]
pub enum Resolved {
    Found(LineVariant),
    /// No such variant, or no such product.
    Missing,
    /// A product named by `productId` that has several variants.
    Several,
}

impl Resolved {
    /// The variant, or the user error at `field` saying why there is none.
    pub fn found(&self, field: &[String], target: LineTarget) -> Result<&LineVariant, UserError> {
        match self {
            Resolved::Found(found) => Ok(found),
            Resolved::Missing => Err(UserError::not_found(
                field,
                match target {
                    LineTarget::Variant(_) => "ProductVariant",
                    LineTarget::Product(_) => "Product",
                },
            )),
            Resolved::Several => Err(UserError::invalid(
                field,
                "The product has several variants: name the one you want with `variantId`",
            )),
        }
    }
}

/// The variants `targets` name, with their products' names: one
/// statement, however many targets.
pub async fn resolve(
    db: &impl ConnectionTrait,
    targets: &[LineTarget],
) -> Result<HashMap<LineTarget, Resolved>, DbErr> {
    let variant_ids = targets.iter().filter_map(|target| match target {
        LineTarget::Variant(id) => Some(*id),
        LineTarget::Product(_) => None,
    });
    let product_ids = targets.iter().filter_map(|target| match target {
        LineTarget::Product(id) => Some(*id),
        LineTarget::Variant(_) => None,
    });
    let rows = product_variant::Entity::find()
        .find_also_related(product::Entity)
        .filter(
            Condition::any()
                .add(product_variant::Column::Id.is_in(variant_ids))
                .add(product_variant::Column::ProductId.is_in(product_ids)),
        )
        .all(db)
        .await?;
    let found: Vec<LineVariant> = rows
        .into_iter()
        .filter_map(|(variant, product)| {
            product.map(|product| LineVariant {
                variant,
                product_name: product.name,
            })
        })
        .collect();
    Ok(targets
        .iter()
        .map(|target| {
            let resolved = match target {
                LineTarget::Variant(id) => found
                    .iter()
                    .find(|row| row.variant.id == *id)
                    .cloned()
                    .map_or(Resolved::Missing, Resolved::Found),
                LineTarget::Product(id) => {
                    let mut of_product = found.iter().filter(|row| row.variant.product_id == *id);
                    match (of_product.next(), of_product.next()) {
                        (None, _) => Resolved::Missing,
                        (Some(only), None) => Resolved::Found(only.clone()),
                        (Some(_), Some(_)) => Resolved::Several,
                    }
                }
            };
            (*target, resolved)
        })
        .collect())
}

/// The one way every cart mutation and checkout says a line asks more
/// than is in stock: the variant by name (in typographic quotes, as it is
/// the shop's text, not an identifier), its stock and what the line needs.
pub fn insufficient_stock(field: &[impl AsRef<str>], item: &LineVariant, wanted: i32) -> UserError {
    UserError::new(
        field,
        UserErrorCode::InsufficientStock,
        format!(
            "Only {} of \u{201c}{}\u{201d} in stock; the line needs {wanted}",
            item.variant.stock,
            item.label()
        ),
    )
}
