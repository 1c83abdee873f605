//! `createProductVariant`, `updateProductVariant`, `deleteProductVariant`:
//! staff change what a product sells. Each locks the variant it changes,
//! then the product ([`super::write::refresh_product`]).

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{product, product_variant};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::input::{
    CreateProductVariantInput, NewVariant, UpdateProductVariantInput, VariantChanges,
};
use super::loaders::load_options;
use super::write::{
    carts_holding, image_of_product, insert_variant, refresh_product, unique_violation,
};
use crate::auth;
use crate::error::{ApiResult, MutationError, UserError, into_payload};
use crate::ids::{self, NodeKind};
use crate::product::types::{Product, ProductVariant};
use crate::store::events::Event;
use crate::store::write::write;

/// The result of `createProductVariant`.
#[derive(SimpleObject)]
pub struct CreateProductVariantPayload {
    /// The new variant, or null if it was not created.
    pub product_variant: Option<ProductVariant>,
    /// Its product, with its price range and stock as they now are.
    pub product: Option<Product>,
    /// Why the variant was not created; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `updateProductVariant`.
#[derive(SimpleObject)]
pub struct UpdateProductVariantPayload {
    /// The variant after the update, or null if it was not updated.
    pub product_variant: Option<ProductVariant>,
    /// Its product, with its price range and stock as they now are.
    pub product: Option<Product>,
    /// Why the variant was not updated; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteProductVariant`.
#[derive(SimpleObject)]
pub struct DeleteProductVariantPayload {
    /// The ID of the deleted variant, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Its product, with its price range and stock as they now are.
    pub product: Option<Product>,
    /// Why the variant was not deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A variant written and its product as refreshed.
struct Written {
    variant: product_variant::Model,
    product: product::Model,
    /// Carts holding the variant whose subscribers hear of the change.
    carts: Vec<i64>,
}

fn changed(written: &Written) -> Vec<Event> {
    let carts = written.carts.iter().map(|cart| Event::Cart(*cart));
    std::iter::once(Event::Product(written.product.id))
        .chain(carts)
        .collect()
}

#[derive(Default)]
pub struct VariantMutation;

#[Object]
impl VariantMutation {
    /// Adds a variant to a product. A value an option does not have yet is
    /// added to it; the product's existing combinations are refused
    /// (`DUPLICATE_VARIANT`). Staff only.
    async fn create_product_variant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to add a variant to.")] product_id: ID,
        #[graphql(desc = "The new variant's fields.")] input: CreateProductVariantInput,
    ) -> ApiResult<CreateProductVariantPayload> {
        auth::viewer(ctx).require_admin()?;
        let product_key = ids::decode_as(&product_id, NodeKind::Product, "productId")?;
        let outcome = async {
            let variant =
                NewVariant::parse(&input, &["input".to_owned()]).map_err(MutationError::from)?;
            write(
                ctx,
                async |txn| create(txn, product_key, variant).await,
                changed,
            )
            .await
        }
        .await;
        let (written, user_errors) = into_payload(outcome)?;
        let (variant, product) = split(written);
        Ok(CreateProductVariantPayload {
            product_variant: variant,
            product,
            user_errors,
        })
    }

    /// Changes some fields of a variant; the others keep their value. Carts
    /// holding it hear of a new price (`cartUpdated`). Staff only.
    async fn update_product_variant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The variant to change.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateProductVariantInput,
    ) -> ApiResult<UpdateProductVariantPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::ProductVariant, "id")?;
        let outcome = async {
            let changes = VariantChanges::parse(input)?;
            write(ctx, async |txn| update(txn, key, changes).await, changed).await
        }
        .await;
        let (written, user_errors) = into_payload(outcome)?;
        let (variant, product) = split(written);
        Ok(UpdateProductVariantPayload {
            product_variant: variant,
            product,
            user_errors,
        })
    }

    /// Deletes a variant, and the cart lines holding it (their carts hear
    /// of it: `cartUpdated`); orders keep what they sold. A product keeps
    /// at least one variant: deleting its last is `INVALID` (delete the
    /// product instead). Staff only.
    async fn delete_product_variant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The variant to delete.")] id: ID,
    ) -> ApiResult<DeleteProductVariantPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::ProductVariant, "id")?;
        let outcome = write(ctx, async |txn| delete(txn, key).await, changed).await;
        let (written, user_errors) = into_payload(outcome)?;
        Ok(DeleteProductVariantPayload {
            deleted_id: written.as_ref().map(|_| id),
            product: written.map(|written| Product(written.product)),
            user_errors,
        })
    }
}

fn split(written: Option<Written>) -> (Option<ProductVariant>, Option<Product>) {
    match written {
        Some(written) => (
            Some(ProductVariant(written.variant)),
            Some(Product(written.product)),
        ),
        None => (None, None),
    }
}

async fn create(
    db: &impl ConnectionTrait,
    product_id: i64,
    variant: NewVariant,
) -> Result<Written, MutationError> {
    let now = Utc::now();
    if product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(UserError::not_found(&["productId"], "Product").into());
    }
    let mut options = load_options(db, &[product_id])
        .await?
        .remove(&product_id)
        .unwrap_or_default();
    let variant = insert_variant(
        db,
        product_id,
        &mut options,
        variant,
        &["input".to_owned()],
        true,
        now,
    )
    .await?;
    let product = refreshed(db, product_id, now).await?;
    Ok(Written {
        variant,
        product,
        carts: Vec::new(),
    })
}

async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    changes: VariantChanges,
) -> Result<Written, MutationError> {
    let now = Utc::now();
    let Some(current) = product_variant::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "ProductVariant").into());
    };
    let mut update = product_variant::Entity::update_many()
        .col_expr(product_variant::Column::UpdatedAt, Expr::value(now))
        .filter(product_variant::Column::Id.eq(key));
    if let Some(sku) = changes.sku {
        update = update.col_expr(product_variant::Column::Sku, Expr::value(sku));
    }
    if let Some(price) = changes.price {
        update = update.col_expr(product_variant::Column::Price, Expr::value(price));
    }
    if let Some(price) = changes.compare_at_price {
        update = update.col_expr(product_variant::Column::CompareAtPrice, Expr::value(price));
    }
    if let Some(stock) = changes.stock {
        update = update.col_expr(product_variant::Column::Stock, Expr::value(stock));
    }
    if let Some(ships) = changes.requires_shipping {
        update = update.col_expr(
            product_variant::Column::RequiresShipping,
            Expr::value(ships),
        );
    }
    if let Some(image) = changes.image {
        let image_id = match image {
            Some(image) => Some(image_of_product(db, current.product_id, image).await?),
            None => None,
        };
        update = update.col_expr(product_variant::Column::ImageId, Expr::value(image_id));
    }
    let sku = ["input".to_owned(), "sku".to_owned()];
    let variant = update
        .exec_with_returning(db)
        .await
        .map_err(|err| unique_violation(err, &sku, &sku, &current.title))?
        .into_iter()
        .next()
        .ok_or_else(|| UserError::not_found(&["id"], "ProductVariant"))?;
    let carts = if variant.price != current.price {
        carts_holding(db, key).await?
    } else {
        Vec::new()
    };
    let product = refreshed(db, variant.product_id, now).await?;
    Ok(Written {
        variant,
        product,
        carts,
    })
}

async fn delete(db: &impl ConnectionTrait, key: i64) -> Result<Written, MutationError> {
    let now = Utc::now();
    let Some(variant) = product_variant::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "ProductVariant").into());
    };
    let carts = carts_holding(db, key).await?;
    let deleted = product_variant::Entity::delete_by_id(key).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(UserError::not_found(&["id"], "ProductVariant").into());
    }
    // Counted once the product is locked: two deletes racing for a
    // product's last two variants cannot both see one left.
    let product = refreshed(db, variant.product_id, now).await?;
    let left = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(variant.product_id))
        .count(db)
        .await?;
    if left == 0 {
        return Err(UserError::invalid(
            &["id"],
            "A product keeps at least one variant: this is its last; delete the product instead",
        )
        .into());
    }
    Ok(Written {
        variant,
        product,
        carts,
    })
}

/// The product refreshed from its variants; a product deleted meanwhile
/// took the variant with it.
async fn refreshed(
    db: &impl ConnectionTrait,
    product_id: i64,
    now: chrono::DateTime<Utc>,
) -> Result<product::Model, MutationError> {
    refresh_product(db, product_id, now)
        .await?
        .ok_or_else(|| UserError::not_found(&["productId"], "Product").into())
}
