//! The staff mutations of collections. Each parses its input first, then
//! writes in one transaction ([`crate::store::write`]).

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{collection, collection_product, image, product};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::input::{
    CollectionChanges, CreateCollectionInput, MAX_PRODUCTS_PER_CALL, NewCollection,
    UpdateCollectionInput, parse_product_ids,
};
use super::types::Collection;
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated,
    not_found_on_foreign_key_violation, taken_on_unique_violation,
};
use crate::execute::limits;
use crate::ids::{self, NodeKind};
use crate::product::handle::free_handle;
use crate::product::image::NewImage;
use crate::store::write::{unwatched, write};

const HANDLE_TAKEN: &str = "Another collection has this handle";

/// The result of a mutation that makes or changes a collection.
#[derive(SimpleObject)]
pub struct CollectionPayload {
    /// The collection after the change, or null if nothing changed.
    pub collection: Option<Collection>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteCollection`.
#[derive(SimpleObject)]
pub struct DeleteCollectionPayload {
    /// The ID of the deleted collection, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Makes a collection, with the products given. Staff only.
    #[graphql(complexity = "limits::ROW_WRITE * (2 + input.product_ids.len()) + child_complexity")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new collection's fields.")] input: CreateCollectionInput,
    ) -> ApiResult<CollectionPayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = async {
            let new = NewCollection::parse(input)?;
            write(ctx, async |txn| insert(txn, new).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Changes some fields of a collection; the others keep their value.
    /// Staff only.
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection to change.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateCollectionInput,
    ) -> ApiResult<CollectionPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::Collection, "id")?;
        let outcome = async {
            let changes = CollectionChanges::parse(input)?;
            write(ctx, async |txn| update(txn, key, changes).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Deletes a collection; its products stay in the catalogue. Staff only.
    async fn delete_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection to delete.")] id: ID,
    ) -> ApiResult<DeleteCollectionPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&id, NodeKind::Collection, "id")?;
        let delete = async |txn: &sea_orm::DatabaseTransaction| {
            let deleted = collection::Entity::delete_by_id(key).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(UserError::not_found(&["id"], "Collection").into());
            }
            Ok(())
        };
        let outcome = write(ctx, delete, unwatched).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteCollectionPayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }

    /// Puts products in a collection (at most 250 a call); those already
    /// in it stay as they are. Staff only.
    #[graphql(complexity = "limits::ROW_WRITE * product_ids.len() + child_complexity")]
    async fn add_products_to_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection.")] collection_id: ID,
        #[graphql(desc = "The products to add (at most 250).")] product_ids: Vec<ID>,
    ) -> ApiResult<CollectionPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&collection_id, NodeKind::Collection, "collectionId")?;
        let outcome = async {
            let products = parse_product_ids(&product_ids, &["productIds"])?;
            let add = async |txn: &sea_orm::DatabaseTransaction| {
                let collection = existing(txn, key, "collectionId").await?;
                add_products(txn, key, &products, "productIds").await?;
                Ok(collection)
            };
            write(ctx, add, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Takes products out of a collection (at most 250 a call); the
    /// products stay in the catalogue. Staff only.
    #[graphql(complexity = "limits::ROW_WRITE * product_ids.len() + child_complexity")]
    async fn remove_products_from_collection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The collection.")] collection_id: ID,
        #[graphql(desc = "The products to take out (at most 250).")] product_ids: Vec<ID>,
    ) -> ApiResult<CollectionPayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_as(&collection_id, NodeKind::Collection, "collectionId")?;
        let outcome = async {
            let products = parse_product_ids(&product_ids, &["productIds"])?;
            let remove = async |txn: &sea_orm::DatabaseTransaction| {
                let collection = existing(txn, key, "collectionId").await?;
                collection_product::Entity::delete_many()
                    .filter(collection_product::Column::CollectionId.eq(key))
                    .filter(collection_product::Column::ProductId.is_in(products.iter().copied()))
                    .exec(txn)
                    .await?;
                Ok(collection)
            };
            write(ctx, remove, unwatched).await
        }
        .await;
        payload(outcome)
    }
}

fn payload(outcome: Result<collection::Model, MutationError>) -> ApiResult<CollectionPayload> {
    let (collection, user_errors) = into_payload(outcome)?;
    Ok(CollectionPayload {
        collection: collection.map(Collection),
        user_errors,
    })
}

/// The collection `key`, or `NOT_FOUND` at `field`.
async fn existing(
    db: &impl ConnectionTrait,
    key: i64,
    field: &str,
) -> Result<collection::Model, MutationError> {
    collection::Entity::find_by_id(key)
        .one(db)
        .await?
        .ok_or_else(|| UserError::not_found(&[field], "Collection").into())
}

async fn insert(
    db: &impl ConnectionTrait,
    mut new: NewCollection,
) -> Result<collection::Model, MutationError> {
    let handle = match new.handle.take() {
        Some(handle) => handle,
        None => {
            free_handle::<collection::Entity>(
                db,
                collection::Column::Handle,
                new.handle_from_title(),
            )
            .await?
        }
    };
    let image = new.image.take();
    let products = std::mem::take(&mut new.product_ids);
    let row = new
        .into_row(handle)
        .insert(db)
        .await
        .map_err(|err| taken_on_unique_violation(err, &["input", "handle"], HANDLE_TAKEN))?;
    set_image(db, row.id, image).await?;
    add_products(db, row.id, &products, "input.productIds").await?;
    Ok(row)
}

async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    mut changes: CollectionChanges,
) -> Result<collection::Model, MutationError> {
    let current = existing(db, key, "id").await?;
    let image = changes.image.take();
    let mut row: collection::ActiveModel = current.into();
    changes.apply_to(&mut row);
    let updated = row.update(db).await.map_err(|err| match err {
        sea_orm::DbErr::RecordNotUpdated => not_found_if_not_updated(err, &["id"], "Collection"),
        err => taken_on_unique_violation(err, &["input", "handle"], HANDLE_TAKEN),
    })?;
    if let Some(image) = image {
        set_image(db, key, image).await?;
    }
    Ok(updated)
}

/// Makes `image` the collection's image (none: it has none).
async fn set_image(
    db: &impl ConnectionTrait,
    collection_id: i64,
    image: Option<NewImage>,
) -> Result<(), MutationError> {
    image::Entity::delete_many()
        .filter(image::Column::CollectionId.eq(collection_id))
        .exec(db)
        .await?;
    if let Some(image) = image {
        image
            .into_row(None, Some(collection_id), 0)
            .insert(db)
            .await?;
    }
    Ok(())
}

/// Links `products` to the collection; each must exist (`NOT_FOUND` at
/// `field` and its index otherwise). Links already there stay.
async fn add_products(
    db: &impl ConnectionTrait,
    collection_id: i64,
    products: &[i64],
    field: &str,
) -> Result<(), MutationError> {
    if products.is_empty() {
        return Ok(());
    }
    debug_assert!(products.len() <= MAX_PRODUCTS_PER_CALL);
    let found: Vec<i64> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Id.is_in(products.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let missing: Vec<UserError> = products
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(index, _)| {
            let path: Vec<String> = field
                .split('.')
                .map(str::to_owned)
                .chain([index.to_string()])
                .collect();
            UserError::not_found(&path, "Product")
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing.into());
    }
    let mut unique = products.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let links = unique
        .iter()
        .map(|product_id| collection_product::ActiveModel {
            collection_id: sea_orm::ActiveValue::Set(collection_id),
            product_id: sea_orm::ActiveValue::Set(*product_id),
        });
    collection_product::Entity::insert_many(links)
        .on_conflict(
            OnConflict::columns([
                collection_product::Column::CollectionId,
                collection_product::Column::ProductId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(|err| not_found_on_foreign_key_violation(err, &[field], "Product"))?;
    Ok(())
}
