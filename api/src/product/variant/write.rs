//! How variants are written, inside a mutation's transaction: a new
//! product's options, variants with their combination, SKU and picture, and
//! the product's summary of its variants.
//!
//! Lock order: a write locks the variants it changes first and its product
//! after, the order checkout takes them in, so the two never deadlock.
//! `product.price` (lowest variant price) and `product.stock` (units of all
//! variants) are recomputed by [`refresh_product`] only once the product
//! row is locked, in a statement of their own: on PostgreSQL that
//! statement's snapshot then holds every committed change to the product's
//! variants, and a checkout still running applies its own decrement after
//! (it takes `stock - n`, not a computed total).

use chrono::{DateTime, Utc};
use entity::{
    image, product, product_option, product_option_value, product_variant, product_variant_value,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr, SubQueryStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};

use super::input::{MAX_VARIANTS, NewVariant};
use super::options::{OptionOfProduct, ProductOptions, Selection};
use crate::error::{MutationError, UserError, UserErrorCode};
use crate::product::image::{MAX_IMAGES, NewImage};

/// Writes a new product's options and their values, in order.
pub async fn insert_options(
    db: &impl ConnectionTrait,
    product_id: i64,
    options: Vec<(String, Vec<String>)>,
) -> Result<ProductOptions, DbErr> {
    let mut stored = ProductOptions::default();
    for (position, (name, values)) in options.into_iter().enumerate() {
        let option = product_option::Entity::insert(product_option::ActiveModel {
            id: NotSet,
            product_id: Set(product_id),
            position: Set(position as i32),
            name: Set(name),
        })
        .exec_with_returning(db)
        .await?;
        let rows = values.into_iter().enumerate().map(|(position, value)| {
            product_option_value::ActiveModel {
                id: NotSet,
                option_id: Set(option.id),
                product_id: Set(product_id),
                position: Set(position as i32),
                value: Set(value),
            }
        });
        let values = product_option_value::Entity::insert_many(rows)
            .exec_with_returning(db)
            .await?;
        stored.0.push(OptionOfProduct {
            id: option.id,
            name: option.name,
            values: values
                .into_iter()
                .map(|value| (value.id, value.value))
                .collect(),
        });
    }
    Ok(stored)
}

/// Adds `variant` to the product `product_id` whose options are `options`.
/// With `new_values`, a value an option does not have yet is added to it
/// (and to `options`); without, it is `INVALID`. Refuses a combination
/// another variant has (`DUPLICATE_VARIANT`), a SKU another variant has
/// (`TAKEN`) and a product at [`MAX_VARIANTS`] (`TOO_MANY`); user errors at
/// `field`.
pub async fn insert_variant(
    db: &impl ConnectionTrait,
    product_id: i64,
    options: &mut ProductOptions,
    variant: NewVariant,
    field: &[String],
    new_values: bool,
    now: DateTime<Utc>,
) -> Result<product_variant::Model, MutationError> {
    let at = |name: &str| {
        let mut path = field.to_vec();
        path.push(name.to_owned());
        path
    };
    let value_ids = match options.select(&variant.selected, &at("selectedOptions"))? {
        Selection::Known(ids) => ids,
        Selection::NewValues(new) if new_values => {
            add_values(db, product_id, options, new).await?;
            match options.select(&variant.selected, &at("selectedOptions"))? {
                Selection::Known(ids) => ids,
                Selection::NewValues(_) => {
                    return Err(crate::error::ApiError::from(anyhow::anyhow!(
                        "option values of product {product_id} were not added"
                    ))
                    .into());
                }
            }
        }
        Selection::NewValues(new) => {
            let (index, value) = &new[0];
            return Err(UserError::invalid(
                &at("selectedOptions"),
                format!(
                    "\u{201c}{value}\u{201d} is not a value of the option \u{201c}{}\u{201d}",
                    options.0[*index].name
                ),
            )
            .into());
        }
    };
    let (option_key, title) = options.combination(&value_ids);
    // Another variant with this combination, or with this SKU.
    let mut taken = Condition::any().add(
        product_variant::Column::ProductId
            .eq(product_id)
            .and(product_variant::Column::OptionKey.eq(option_key.as_str())),
    );
    if let Some(sku) = &variant.sku {
        taken = taken.add(product_variant::Column::Sku.eq(sku.as_str()));
    }
    let clash = product_variant::Entity::find().filter(taken);
    if let Some(other) = clash.one(db).await? {
        return Err(
            if other.option_key == option_key && other.product_id == product_id {
                duplicate(&at("selectedOptions"), &title)
            } else {
                sku_taken(&at("sku"))
            }
            .into(),
        );
    }
    let count = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(product_id))
        .count(db)
        .await?;
    if count >= MAX_VARIANTS as u64 {
        return Err(UserError::new(
            field,
            UserErrorCode::TooMany,
            format!("A product has at most {MAX_VARIANTS} variants"),
        )
        .into());
    }
    let image_id = match variant.image {
        Some(image) => Some(image_of_product(db, product_id, image).await?),
        None => None,
    };
    let row = product_variant::Entity::insert(product_variant::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        title: Set(title.clone()),
        sku: Set(variant.sku),
        price: Set(variant.price),
        compare_at_price: Set(variant.compare_at_price),
        stock: Set(variant.stock),
        image_id: Set(image_id),
        option_key: Set(option_key),
        requires_shipping: Set(variant.requires_shipping),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(db)
    .await
    .map_err(|err| unique_violation(err, &at("sku"), &at("selectedOptions"), &title))?;
    if !value_ids.is_empty() {
        let links = value_ids
            .iter()
            .map(|value| product_variant_value::ActiveModel {
                variant_id: Set(row.id),
                option_value_id: Set(*value),
            });
        product_variant_value::Entity::insert_many(links)
            .exec_without_returning(db)
            .await?;
    }
    Ok(row)
}

/// Appends values new to their options (`(option index, value)`), in the
/// order given.
async fn add_values(
    db: &impl ConnectionTrait,
    product_id: i64,
    options: &mut ProductOptions,
    new: Vec<(usize, String)>,
) -> Result<(), MutationError> {
    for (index, value) in new {
        let option = &mut options.0[index];
        if option.values.len() >= super::options::MAX_OPTION_VALUES {
            return Err(UserError::new(
                &["input", "selectedOptions"],
                UserErrorCode::TooMany,
                format!(
                    "The option \u{201c}{}\u{201d} has {} values, the most it may have",
                    option.name,
                    option.values.len()
                ),
            )
            .into());
        }
        let row = product_option_value::Entity::insert(product_option_value::ActiveModel {
            id: NotSet,
            option_id: Set(option.id),
            product_id: Set(product_id),
            position: Set(option.values.len() as i32),
            value: Set(value),
        })
        .exec_with_returning(db)
        .await?;
        option.values.push((row.id, row.value));
    }
    Ok(())
}

/// The id of the product's image at `image`'s URL, added after its other
/// images when it has none there.
pub async fn image_of_product(
    db: &impl ConnectionTrait,
    product_id: i64,
    image: NewImage,
) -> Result<i64, MutationError> {
    let images = image::Entity::find()
        .filter(image::Column::ProductId.eq(product_id))
        .order_by_asc(image::Column::Position)
        .all(db)
        .await?;
    if let Some(found) = images.iter().find(|row| row.url == image.url()) {
        return Ok(found.id);
    }
    if images.len() >= MAX_IMAGES {
        return Err(UserError::new(
            &["input", "imageUrl"],
            UserErrorCode::TooMany,
            format!("A product has at most {MAX_IMAGES} images"),
        )
        .into());
    }
    let position = images.last().map_or(0, |last| last.position + 1);
    let row = image::Entity::insert(image.into_row(Some(product_id), None, position))
        .exec_with_returning(db)
        .await?;
    Ok(row.id)
}

/// Recomputes the product's lowest price and total stock from its
/// variants, after locking its row (see the module's note), and marks it
/// changed. `None` when the product is gone.
pub async fn refresh_product(
    db: &impl ConnectionTrait,
    product_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<product::Model>, DbErr> {
    let locked = product::Entity::update_many()
        .col_expr(product::Column::UpdatedAt, Expr::value(now))
        .filter(product::Column::Id.eq(product_id))
        .exec(db)
        .await?;
    if locked.rows_affected == 0 {
        return Ok(None);
    }
    // A product always has a variant; 0 only stands in while a new
    // product's first variant is being written.
    let of_variants = |aggregate: SimpleExpr| -> SimpleExpr {
        let select = Query::select()
            .expr(Func::coalesce([aggregate, Expr::value(0)]))
            .from(product_variant::Entity)
            .and_where(
                Expr::col((product_variant::Entity, product_variant::Column::ProductId))
                    .eq(product_id),
            )
            .to_owned();
        Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(select)))
    };
    let refreshed = product::Entity::update_many()
        .col_expr(
            product::Column::Price,
            of_variants(Func::min(Expr::col(product_variant::Column::Price)).into()),
        )
        .col_expr(
            product::Column::Stock,
            of_variants(Func::sum(Expr::col(product_variant::Column::Stock)).into()),
        )
        .filter(product::Column::Id.eq(product_id))
        .exec_with_returning(db)
        .await?;
    Ok(refreshed.into_iter().next())
}

/// The carts holding a variant, to tell their subscribers.
pub async fn carts_holding(db: &impl ConnectionTrait, variant_id: i64) -> Result<Vec<i64>, DbErr> {
    entity::cart_line::Entity::find()
        .select_only()
        .column(entity::cart_line::Column::CartId)
        .filter(entity::cart_line::Column::VariantId.eq(variant_id))
        .into_tuple()
        .all(db)
        .await
}

fn duplicate(field: &[String], title: &str) -> UserError {
    UserError::new(
        field,
        UserErrorCode::DuplicateVariant,
        format!("The product already has a variant \u{201c}{title}\u{201d}"),
    )
}

pub fn sku_taken(field: &[String]) -> UserError {
    UserError::new(field, UserErrorCode::Taken, "Another variant has this SKU")
}

/// A unique violation from a writer that raced past the checks: the SKU's
/// index or the combination's, told apart by the index the database names.
pub fn unique_violation(
    err: DbErr,
    sku_field: &[String],
    options_field: &[String],
    title: &str,
) -> MutationError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("sku") => {
            sku_taken(sku_field).into()
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => duplicate(options_field, title).into(),
        _ => err.into(),
    }
}
