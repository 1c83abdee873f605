use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{cart, customer, order, session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::input::{CreateCustomerInput, CustomerChanges, NewCustomer, UpdateCustomerInput};
use super::types::Customer;
use crate::auth;
use crate::error::{
    ApiResult, MutationError, UserError, into_payload, not_found_if_not_updated,
    taken_on_unique_violation,
};
use crate::ids::{self, NodeKind};
use crate::store::events::Event;
use crate::store::write::{unwatched, write};

const EMAIL_TAKEN: &str = "Email is already used by another customer";

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
        let outcome = async {
            let customer = NewCustomer::parse(&input.email, &input.name)?;
            write(ctx, async |txn| insert(txn, customer).await, unwatched).await
        }
        .await;
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
        let outcome = async {
            let changes = CustomerChanges::parse(input)?;
            write(ctx, async |txn| update(txn, key, changes).await, unwatched).await
        }
        .await;
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
        // Subscribers of the customer's carts learn they are gone, and the
        // customer's WebSockets close with their sessions, on every instance.
        let changed = |deleted: &Deleted| {
            let carts = deleted.carts.iter().map(|cart| Event::Cart(*cart));
            let sessions = deleted
                .sessions
                .iter()
                .map(|session| Event::Session(*session));
            carts.chain(sessions).collect()
        };
        let outcome = write(ctx, async |txn| delete(txn, key).await, changed).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteCustomerPayload {
            deleted_id: deleted.map(|_| id),
            user_errors,
        })
    }
}

/// What deleting a customer took with it.
struct Deleted {
    carts: Vec<i64>,
    sessions: Vec<i64>,
}

/// Deletes a customer (their carts and lines, and their login sessions,
/// go by the foreign keys' ON DELETE CASCADE) and returns the carts and
/// sessions they had. Their orders stay in the shop's books with the
/// personal data erased: the email snapshot here, the customer link by
/// the foreign key's ON DELETE SET NULL.
async fn delete(db: &impl ConnectionTrait, key: i64) -> Result<Deleted, MutationError> {
    let carts: Vec<i64> = cart::Entity::find()
        .select_only()
        .column(cart::Column::Id)
        .filter(cart::Column::CustomerId.eq(key))
        .into_tuple()
        .all(db)
        .await?;
    let sessions: Vec<i64> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::CustomerId.eq(key))
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
    Ok(Deleted { carts, sessions })
}

/// Whether the viewer may change customer `key`: staff, or the customer
/// themselves. Anyone else is told the customer does not exist, so IDs leak
/// nothing; anonymous callers must log in.
fn may_change(ctx: &Context<'_>, key: i64) -> ApiResult<bool> {
    let viewer = auth::viewer(ctx);
    viewer.owner()?;
    Ok(viewer.may_see_customer(key))
}

/// Inserts `customer`; an email already used is `TAKEN`.
pub(super) async fn insert(
    db: &impl ConnectionTrait,
    customer: NewCustomer,
) -> Result<customer::Model, MutationError> {
    customer
        .into_row()
        .insert(db)
        .await
        .map_err(|err| taken_on_unique_violation(err, &["input", "email"], EMAIL_TAKEN))
}

async fn update(
    db: &impl ConnectionTrait,
    key: i64,
    changes: CustomerChanges,
) -> Result<customer::Model, MutationError> {
    let Some(current) = customer::Entity::find_by_id(key).one(db).await? else {
        return Err(UserError::not_found(&["id"], "Customer").into());
    };
    let mut row: customer::ActiveModel = current.into();
    changes.apply_to(&mut row);
    row.update(db).await.map_err(|err| match err {
        DbErr::RecordNotUpdated => not_found_if_not_updated(err, &["id"], "Customer"),
        err => taken_on_unique_violation(err, &["input", "email"], EMAIL_TAKEN),
    })
}
