//! The staff mutations of discount codes.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{collection, discount_code, discount_code_collection};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::fields::DiscountCode;
use super::input::{DiscountCodeInput, NewCode};
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated,
    taken_on_unique_violation,
};
use crate::ids;
use crate::store::write::{unwatched, write};

const CODE_TAKEN: &str = "Another discount code is the same, ignoring case";

/// The result of a mutation that makes or changes a discount code.
#[derive(SimpleObject)]
pub struct DiscountCodePayload {
    /// The code after the change, or null if nothing changed.
    pub discount_code: Option<DiscountCode>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteDiscountCode`.
#[derive(SimpleObject)]
pub struct DeleteDiscountCodePayload {
    /// The ID of the deleted code, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct DiscountMutation;

#[Object]
impl DiscountMutation {
    /// Makes a discount code. Staff only.
    async fn create_discount_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code and its rules.")] input: DiscountCodeInput,
    ) -> ApiResult<DiscountCodePayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = async {
            let code = NewCode::parse(input)?;
            write(ctx, async |txn| save(txn, None, code).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Replaces a discount code's rules (its uses so far stay; a usage
    /// limit below them is `INVALID`). Staff only.
    async fn update_discount_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code to change.")] id: ID,
        #[graphql(desc = "The code and its rules, as they are now.")] input: DiscountCodeInput,
    ) -> ApiResult<DiscountCodePayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_other(&id, "DiscountCode", "id")?;
        let outcome = async {
            let code = NewCode::parse(input)?;
            write(ctx, async |txn| save(txn, Some(key), code).await, unwatched).await
        }
        .await;
        payload(outcome)
    }

    /// Deletes a discount code; orders that carried it keep it. Staff only.
    async fn delete_discount_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code to delete.")] id: ID,
    ) -> ApiResult<DeleteDiscountCodePayload> {
        auth::viewer(ctx).require_admin()?;
        let key = ids::decode_other(&id, "DiscountCode", "id")?;
        let delete = async |txn: &sea_orm::DatabaseTransaction| {
            let deleted = discount_code::Entity::delete_by_id(key).exec(txn).await?;
            if deleted.rows_affected == 0 {
                return Err(UserError::not_found(&["id"], "Discount code").into());
            }
            Ok(())
        };
        let outcome = write(ctx, delete, unwatched).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteDiscountCodePayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }
}

fn payload(outcome: Result<discount_code::Model, MutationError>) -> ApiResult<DiscountCodePayload> {
    let (code, user_errors) = into_payload(outcome)?;
    Ok(DiscountCodePayload {
        discount_code: code.map(DiscountCode),
        user_errors,
    })
}

/// Writes `code` as a new code (`key` None) or over code `key`, with its
/// collections (each must exist: `NOT_FOUND` at its index).
async fn save(
    db: &impl ConnectionTrait,
    key: Option<i64>,
    code: NewCode,
) -> Result<discount_code::Model, MutationError> {
    let found: Vec<i64> = collection::Entity::find()
        .select_only()
        .column(collection::Column::Id)
        .filter(collection::Column::Id.is_in(code.collections.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let missing: Vec<UserError> = code
        .collections
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(index, _)| {
            UserError::not_found(
                &["input", "collectionIds", &index.to_string()],
                "Collection",
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing.into());
    }
    let taken = |err| taken_on_unique_violation(err, &["input", "code"], CODE_TAKEN);
    let row = match key {
        None => code.row().insert(db).await.map_err(taken)?,
        Some(key) => {
            let Some(current) = discount_code::Entity::find_by_id(key).one(db).await? else {
                return Err(UserError::not_found(&["id"], "Discount code").into());
            };
            if code
                .usage_limit
                .is_some_and(|limit| limit < current.used_count)
            {
                return Err(UserError::invalid(
                    &["input", "usageLimit"],
                    format!("The code was used {} times already", current.used_count),
                )
                .into());
            }
            let mut row = code.row();
            row.id = Set(key);
            row.used_count = Set(current.used_count);
            row.created_at = Set(current.created_at);
            row.updated_at = Set(Utc::now());
            let row = row.update(db).await.map_err(|err| match err {
                sea_orm::DbErr::RecordNotUpdated => {
                    not_found_if_not_updated(err, &["id"], "Discount code")
                }
                err => taken(err),
            })?;
            discount_code_collection::Entity::delete_many()
                .filter(discount_code_collection::Column::DiscountCodeId.eq(key))
                .exec(db)
                .await?;
            row
        }
    };
    if !code.collections.is_empty() {
        let links =
            code.collections
                .iter()
                .map(|collection_id| discount_code_collection::ActiveModel {
                    discount_code_id: Set(row.id),
                    collection_id: Set(*collection_id),
                });
        discount_code_collection::Entity::insert_many(links)
            .exec_without_returning(db)
            .await?;
    }
    Ok(row)
}
