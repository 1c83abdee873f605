use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::Utc;
use entity::{cart, customer, order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::Customer;
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated,
    taken_on_unique_violation,
};
use crate::ids::{self, NodeKind};
use crate::input::{Email, FieldErrors, Name, required};
use crate::store::events::Event;
use crate::store::write::{unwatched, write};

const EMAIL_TAKEN: &str = "Email is already used by another customer";

/// The fields of a new customer.
#[derive(Debug, InputObject)]
pub struct CreateCustomerInput {
    /// The email address; must be valid and not used by another customer.
    pub email: String,
    /// The name, 1 to 200 characters.
    pub name: String,
}

/// The fields to change on a customer. Fields left out keep their value.
#[derive(Debug, InputObject)]
pub struct UpdateCustomerInput {
    /// A new email address; must be valid and not used by another customer.
    /// Leave it out to keep the email; null is `INVALID` (it is required).
    pub email: MaybeUndefined<String>,
    /// A new name, 1 to 200 characters. Leave it out to keep the name;
    /// null is `INVALID` (it is required).
    pub name: MaybeUndefined<String>,
}

/// The result of `createCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    /// The new customer, or null if it was not created.
    pub customer: Option<Customer>,
    /// Why the customer was not created; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `updateCustomer`.
#[derive(SimpleObject)]
pub struct UpdateCustomerPayload {
    /// The customer after the update, or null if it was not updated.
    pub customer: Option<Customer>,
    /// Why the customer was not updated; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteCustomer`.
#[derive(SimpleObject)]
pub struct DeleteCustomerPayload {
    /// The ID of the deleted customer, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why the customer was not deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Registers a customer.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new customer's fields.")] input: CreateCustomerInput,
    ) -> ApiResult<CreateCustomerPayload> {
        auth::viewer(ctx).require_admin()?;
        let outcome = write(ctx, async |txn| create(txn, input, None).await, unwatched).await;
        let (customer, user_errors) = into_payload(outcome)?;
        Ok(CreateCustomerPayload {
            customer: customer.map(Customer),
            user_errors,
        })
    }

    /// Changes some fields of a customer; the others keep their value.
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer to change.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateCustomerInput,
    ) -> ApiResult<UpdateCustomerPayload> {
        let key = ids::decode_as(&id, NodeKind::Customer, "id")?;
        if !may_change(ctx, key)? {
            return Ok(UpdateCustomerPayload {
                customer: None,
                user_errors: vec![UserError::not_found(&["id"], "Customer")],
            });
        }
        let outcome = write(ctx, async |txn| update(txn, key, input).await, unwatched).await;
        let (customer, user_errors) = into_payload(outcome)?;
        Ok(UpdateCustomerPayload {
            customer: customer.map(Customer),
            user_errors,
        })
    }

    /// Deletes a customer together with all of their carts.
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer to delete.")] id: ID,
    ) -> ApiResult<DeleteCustomerPayload> {
        let key = ids::decode_as(&id, NodeKind::Customer, "id")?;
        if !may_change(ctx, key)? {
            return Ok(DeleteCustomerPayload {
                deleted_id: None,
                user_errors: vec![UserError::not_found(&["id"], "Customer")],
            });
        }
        // Subscribers of the customer's carts learn they are gone.
        let changed = |carts: &Vec<i64>| carts.iter().map(|cart| Event::Cart(*cart)).collect();
        let outcome = write(ctx, async |txn| delete(txn, key).await, changed).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteCustomerPayload {
            deleted_id: deleted.map(|_| id),
            user_errors,
        })
    }
}

/// Deletes a customer (their carts and lines go by the foreign keys' ON
/// DELETE CASCADE) and returns the carts they had. Their orders stay in the
/// shop's books with the personal data erased: the email snapshot here,
/// the customer link by the foreign key's ON DELETE SET NULL.
async fn delete(db: &impl ConnectionTrait, key: i64) -> Result<Vec<i64>, MutationError> {
    let carts: Vec<i64> = cart::Entity::find()
        .select_only()
        .column(cart::Column::Id)
        .filter(cart::Column::CustomerId.eq(key))
        .into_tuple()
        .all(db)
        .await?;
    order::Entity::update_many()
        .col_expr(order::Column::Email, Expr::value(Option::<String>::None))
        .filter(order::Column::CustomerId.eq(key))
        .exec(db)
        .await?;
    let deleted = customer::Entity::delete_by_id(key).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(UserError::not_found(&["id"], "Customer").into());
    }
    Ok(carts)
}

/// Whether the viewer may change customer `key`: staff, or the customer
/// themselves. Anyone else is told the customer does not exist, so IDs leak
/// nothing; anonymous callers must log in.
fn may_change(ctx: &Context<'_>, key: i64) -> ApiResult<bool> {
    let viewer = auth::viewer(ctx);
    viewer.owner()?;
    Ok(viewer.may_see_customer(key))
}

/// Creates a customer, with a password hash when they signed up themselves.
pub(super) async fn create(
    db: &impl ConnectionTrait,
    input: CreateCustomerInput,
    password_hash: Option<String>,
) -> Result<customer::Model, MutationError> {
    let mut errors = FieldErrors::default();
    let email = errors.check(Email::parse(&input.email, &["input", "email"]));
    let name = errors.check(Name::parse(&input.name, &["input", "name"]));
    let (Some(email), Some(name)) = (email, name) else {
        return Err(errors.into());
    };
    let now = Utc::now();
    customer::ActiveModel {
        email: Set(email.into()),
        name: Set(name.into()),
        created_at: Set(now),
        updated_at: Set(now),
        password_hash: Set(password_hash),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| taken_on_unique_violation(err, &["input", "email"], EMAIL_TAKEN))
}

async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    input: UpdateCustomerInput,
) -> Result<customer::Model, MutationError> {
    let Some(current) = customer::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "Customer").into());
    };
    let mut row: customer::ActiveModel = current.into();
    let mut errors = FieldErrors::default();
    let email = required(&input.email, &["input", "email"]);
    if let Some(Some(email)) = errors.check(email)
        && let Some(email) = errors.check(Email::parse(email, &["input", "email"]))
    {
        row.email = Set(email.into());
    }
    let name = required(&input.name, &["input", "name"]);
    if let Some(Some(name)) = errors.check(name)
        && let Some(name) = errors.check(Name::parse(name, &["input", "name"]))
    {
        row.name = Set(name.into());
    }
    errors.finish()?;
    row.updated_at = Set(Utc::now());
    row.update(db).await.map_err(|err| match err {
        DbErr::RecordNotUpdated => not_found_if_not_updated(err, &["id"], "Customer"),
        err => taken_on_unique_violation(err, &["input", "email"], EMAIL_TAKEN),
    })
}
