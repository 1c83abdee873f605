use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::Utc;
use entity::{cart_product, product};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::{Product, parse_description, parse_price, parse_stock};
use crate::auth;
use crate::error::{ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated};
use crate::ids::{self, NodeKind};
use crate::input::{FieldErrors, Name, required};
use crate::money::Decimal;
use crate::store::events::Event;
use crate::store::write::{unwatched, write};

/// The fields of a new product.
#[derive(Debug, InputObject)]
pub struct CreateProductInput {
    /// The name, 1 to 200 characters (surrounding spaces are trimmed).
    pub name: String,
    /// An optional longer description, at most 5,000 characters.
    pub description: Option<String>,
    /// The unit price in the shop's currency, as a decimal string with at most
    /// two decimal places, e.g. `"12.50"`. Must not be negative.
    pub price: Decimal,
    /// Units available, 0 or more. Defaults to 0.
    #[graphql(default)]
    pub stock: i32,
}

/// The fields to change on a product. Fields left out keep their value.
#[derive(Debug, InputObject)]
pub struct UpdateProductInput {
    /// A new name, 1 to 200 characters. Null is `INVALID` (it is required).
    pub name: MaybeUndefined<String>,
    /// A new description; null removes it.
    pub description: MaybeUndefined<String>,
    /// A new unit price, e.g. `"12.50"`. Null is `INVALID` (it is required).
    pub price: MaybeUndefined<Decimal>,
    /// A new stock level, 0 or more. Null is `INVALID` (it is required).
    pub stock: MaybeUndefined<i32>,
}

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
    /// Adds a product to the catalogue. Staff only.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new product's fields.")] input: CreateProductInput,
    ) -> ApiResult<CreateProductPayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = write(ctx, async |txn| create(txn, input).await, unwatched).await;
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
        let changed = |product: &product::Model| vec![Event::Product(product.id)];
        let outcome = write(ctx, async |txn| update(txn, key, input).await, changed).await;
        let (product, user_errors) = into_payload(outcome)?;
        Ok(UpdateProductPayload {
            product: product.map(Product),
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

async fn create(
    db: &impl ConnectionTrait,
    input: CreateProductInput,
) -> Result<product::Model, MutationError> {
    let mut errors = FieldErrors::default();
    let name = errors.check(Name::parse(&input.name, &["input", "name"]));
    let description = errors.check(
        input
            .description
            .as_deref()
            .map(|text| parse_description(text, &["input", "description"]))
            .transpose(),
    );
    let price = errors.check(parse_price(input.price, &["input", "price"]));
    let stock = errors.check(parse_stock(input.stock, &["input", "stock"]));
    let (Some(name), Some(description), Some(price), Some(stock)) =
        (name, description, price, stock)
    else {
        return Err(errors.into());
    };
    let now = Utc::now();
    let row = product::ActiveModel {
        name: Set(name.into()),
        description: Set(description.flatten()),
        price: Set(price),
        stock: Set(stock),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

/// Deletes a product (its cart lines go by ON DELETE CASCADE) and returns
/// the carts that held it.
async fn delete(db: &impl ConnectionTrait, key: i64) -> Result<Vec<i64>, MutationError> {
    let carts: Vec<i64> = cart_product::Entity::find()
        .select_only()
        .column(cart_product::Column::CartId)
        .filter(cart_product::Column::ProductId.eq(key))
        .into_tuple()
        .all(db)
        .await?;
    let deleted = product::Entity::delete_by_id(key).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(UserError::not_found(&["id"], "Product").into());
    }
    Ok(carts)
}

async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    input: UpdateProductInput,
) -> Result<product::Model, MutationError> {
    let Some(current) = product::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "Product").into());
    };
    let mut row: product::ActiveModel = current.into();
    let mut errors = FieldErrors::default();
    if let Some(Some(name)) = errors.check(required(&input.name, &["input", "name"]))
        && let Some(name) = errors.check(Name::parse(name, &["input", "name"]))
    {
        row.name = Set(name.into());
    }
    match &input.description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => row.description = Set(None),
        MaybeUndefined::Value(text) => {
            if let Some(text) = errors.check(parse_description(text, &["input", "description"])) {
                row.description = Set(text);
            }
        }
    }
    if let Some(Some(price)) = errors.check(required(&input.price, &["input", "price"]))
        && let Some(price) = errors.check(parse_price(*price, &["input", "price"]))
    {
        row.price = Set(price);
    }
    if let Some(Some(stock)) = errors.check(required(&input.stock, &["input", "stock"]))
        && let Some(stock) = errors.check(parse_stock(*stock, &["input", "stock"]))
    {
        row.stock = Set(stock);
    }
    errors.finish()?;
    // Only the columns set above are written, so a concurrent update of
    // other fields is not overwritten with the values read here.
    row.updated_at = Set(Utc::now());
    row.update(db)
        .await
        .map_err(|err| not_found_if_not_updated(err, &["id"], "Product"))
}
