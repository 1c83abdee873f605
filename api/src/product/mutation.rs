use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{cart_line, image, product, product_variant};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::handle::free_handle;
use super::image::NewImage;
use super::input::{CreateProductInput, NewProduct, ProductChanges, UpdateProductInput};
use super::types::Product;
use super::variant::write::{carts_holding, insert_options, insert_variant, refresh_product};
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated,
    taken_on_unique_violation,
};
use crate::ids::{self, NodeKind};
use crate::store::events::Event;
use crate::store::write::{unwatched, write};

/// The result of `createProduct`.
#[derive(SimpleObject)]
pub struct CreateProductPayload {
    /// The new product, or null if it was not created.
    pub product: Option<Product>,
    /// Why the product was not created; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `updateProduct`.
#[derive(SimpleObject)]
pub struct UpdateProductPayload {
    /// The product after the update, or null if it was not updated.
    pub product: Option<Product>,
    /// Why the product was not updated; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteProduct`.
#[derive(SimpleObject)]
pub struct DeleteProductPayload {
    /// The ID of the deleted product, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why the product was not deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Adds a product to the catalogue, with its options and variants.
    /// Staff only. (Charged per row it writes: the product, its images,
    /// option values and variants.)
    #[graphql(
        complexity = "crate::execute::limits::ROW_WRITE * (1 + input.images.len() + input.options.iter().map(|option| 1 + option.values.len()).sum::<usize>() + 2 * input.variants.len().max(1)) + child_complexity"
    )]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new product's fields.")] input: CreateProductInput,
    ) -> ApiResult<CreateProductPayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = async {
            let product = NewProduct::parse(input)?;
            write(ctx, async |txn| insert(txn, product).await, unwatched).await
        }
        .await;
        let (product, user_errors) = into_payload(outcome)?;
        Ok(CreateProductPayload {
            product: product.map(Product),
            user_errors,
        })
    }

    /// Changes some fields of a product; the others keep their value. Staff only.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to change.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateProductInput,
    ) -> ApiResult<UpdateProductPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::Product, "id")?;
        let changed = |(product, carts): &(product::Model, Vec<i64>)| {
            let carts = carts.iter().map(|cart| Event::Cart(*cart));
            std::iter::once(Event::Product(product.id))
                .chain(carts)
                .collect()
        };
        let outcome = async {
            let changes = ProductChanges::parse(input)?;
            write(ctx, async |txn| update(txn, key, changes).await, changed).await
        }
        .await;
        let (product, user_errors) = into_payload(outcome)?;
        Ok(UpdateProductPayload {
            product: product.map(|(product, _)| Product(product)),
            user_errors,
        })
    }

    /// Removes a product from the catalogue, and from every cart holding it.
    /// Staff only.
    async fn delete_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to delete.")] id: ID,
    ) -> ApiResult<DeleteProductPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::Product, "id")?;
        // The product's subscribers learn it is gone, and so do those of
        // the carts that held it.
        let changed = |carts: &Vec<i64>| {
            let carts = carts.iter().map(|cart| Event::Cart(*cart));
            std::iter::once(Event::Product(key)).chain(carts).collect()
        };
        let outcome = write(ctx, async |txn| delete(txn, key).await, changed).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteProductPayload {
            deleted_id: deleted.map(|_| id),
            user_errors,
        })
    }
}

/// The message of a handle another product has.
const HANDLE_TAKEN: &str = "Another product has this handle";

/// Inserts a product with its handle (the one asked for, or a free one
/// made from its name), its images, options and variants.
async fn insert(
    db: &impl ConnectionTrait,
    mut product: NewProduct,
) -> Result<product::Model, MutationError> {
    let now = Utc::now();
    let handle = match product.handle.take() {
        Some(handle) => handle,
        None => {
            free_handle::<product::Entity>(db, product::Column::Handle, product.handle_from_name())
                .await?
        }
    };
    let images = std::mem::take(&mut product.images);
    let row = product
        .into_row(handle)
        .insert(db)
        .await
        .map_err(|err| taken_on_unique_violation(err, &["input", "handle"], HANDLE_TAKEN))?;
    replace_images(db, row.id, images).await?;
    let mut options = insert_options(db, row.id, std::mem::take(&mut product.options)).await?;
    for (index, variant) in std::mem::take(&mut product.variants)
        .into_iter()
        .enumerate()
    {
        let field = ["input".to_owned(), "variants".to_owned(), index.to_string()];
        insert_variant(db, row.id, &mut options, variant, &field, false, now).await?;
    }
    // A variant's picture may have added an image; the row stays as
    // inserted (its price and stock were computed from the variants).
    Ok(row)
}

/// Makes `images` the product's images, in order, in place of any it had.
async fn replace_images(
    db: &impl ConnectionTrait,
    product_id: i64,
    images: Vec<NewImage>,
) -> Result<(), MutationError> {
    image::Entity::delete_many()
        .filter(image::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    if images.is_empty() {
        return Ok(());
    }
    let rows = images
        .into_iter()
        .enumerate()
        .map(|(position, image)| image.into_row(Some(product_id), None, position as i32));
    image::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Deletes a product (its variants and their cart lines go by ON DELETE
/// CASCADE) and returns the carts that held it. Its variants are locked
/// first, in id order, as checkout locks them: the cascade would otherwise
/// take them after the product, the other way round, and a checkout of
/// one of them would deadlock with it (PostgreSQL; SQLite's writers take
/// turns).
async fn delete(db: &impl ConnectionTrait, key: i64) -> Result<Vec<i64>, MutationError> {
    let _locked: Vec<i64> = product_variant::Entity::find()
        .select_only()
        .column(product_variant::Column::Id)
        .filter(product_variant::Column::ProductId.eq(key))
        .order_by_asc(product_variant::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(db)
        .await?;
    let carts: Vec<i64> = cart_line::Entity::find()
        .select_only()
        .column(cart_line::Column::CartId)
        .distinct()
        .join(
            JoinType::InnerJoin,
            cart_line::Relation::ProductVariant.def(),
        )
        .filter(product_variant::Column::ProductId.eq(key))
        .into_tuple()
        .all(db)
        .await?;
    let deleted = product::Entity::delete_by_id(key).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(UserError::not_found(&["id"], "Product").into());
    }
    Ok(carts)
}

/// Updates a product; the deprecated `price` and `stock` change its one
/// variant first (variants are locked before their product, as checkout
/// locks them). Returns the product and the carts to tell of a new price.
async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    mut changes: ProductChanges,
) -> Result<(product::Model, Vec<i64>), MutationError> {
    let (price, stock) = (changes.price.take(), changes.stock.take());
    let carts = if price.is_some() || stock.is_some() {
        update_only_variant(db, key, price, stock).await?
    } else {
        Vec::new()
    };
    let Some(current) = product::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "Product").into());
    };
    let images = changes.images.take();
    let mut row: product::ActiveModel = current.into();
    changes.apply_to(&mut row);
    let updated = row.update(db).await.map_err(|err| match err {
        sea_orm::DbErr::RecordNotUpdated => not_found_if_not_updated(err, &["id"], "Product"),
        err => taken_on_unique_violation(err, &["input", "handle"], HANDLE_TAKEN),
    })?;
    if let Some(images) = images {
        replace_images(db, key, images).await?;
    }
    if price.is_none() && stock.is_none() {
        return Ok((updated, carts));
    }
    let refreshed = refresh_product(db, key, updated.updated_at)
        .await?
        .ok_or_else(|| UserError::not_found(&["id"], "Product"))?;
    Ok((refreshed, carts))
}

/// Sets the price and stock of a product's only variant; `INVALID` when it
/// has several. Returns the carts holding it when its price changed.
async fn update_only_variant(
    db: &impl ConnectionTrait,
    key: i64,
    price: Option<i64>,
    stock: Option<i32>,
) -> Result<Vec<i64>, MutationError> {
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(key))
        .limit(2)
        .all(db)
        .await?;
    let [only] = variants.as_slice() else {
        if variants.is_empty() {
            return Err(UserError::not_found(&["id"], "Product").into());
        }
        let field = if price.is_some() { "price" } else { "stock" };
        return Err(UserError::invalid(
            &["input", field],
            "The product has several variants: change each with `updateProductVariant`",
        )
        .into());
    };
    let mut update = product_variant::Entity::update_many()
        .col_expr(product_variant::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(product_variant::Column::Id.eq(only.id));
    if let Some(price) = price {
        update = update.col_expr(product_variant::Column::Price, Expr::value(price));
    }
    if let Some(stock) = stock {
        update = update.col_expr(product_variant::Column::Stock, Expr::value(stock));
    }
    update.exec(db).await?;
    if price.is_some_and(|price| price != only.price) {
        Ok(carts_holding(db, only.id).await?)
    } else {
        Ok(Vec::new())
    }
}
