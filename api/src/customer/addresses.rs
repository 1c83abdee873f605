//! A customer's address book: the mutations that keep it, and the rule
//! that a customer has at most one default address (the one checkout offers
//! first). A customer changes their own; staff anyone's. Another
//! customer's address reads like a missing one.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{customer, customer_address};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use std::sync::Arc;

use super::address::{Address, MAX_ADDRESSES, MailingAddress, MailingAddressInput};
use super::loaders::CustomerLoaders;
use super::types::Customer;
use crate::auth::{self, Viewer};
use crate::context::Shared;
use crate::error::{
    ApiResult, MutationError, UserError, UserErrorCode, into_payload, not_found_if_not_updated,
};
use crate::ids::{self, NodeKind};
use crate::store::write::{unwatched, write};

/// The result of a mutation of an address.
#[derive(SimpleObject)]
pub struct CustomerAddressPayload {
    /// The address after the change, or null if nothing changed.
    pub address: Option<MailingAddress>,
    /// The customer whose address it is (for `defaultAddress`), or null if
    /// nothing changed.
    pub customer: Option<Customer>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteCustomerAddress`.
#[derive(SimpleObject)]
pub struct DeleteCustomerAddressPayload {
    /// The ID of the deleted address, or null if nothing was deleted.
    pub deleted_id: Option<ID>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AddressMutation;

#[Object]
impl AddressMutation {
    /// Adds an address to a customer's address book (at most 50); the first
    /// one becomes their default. Customers add to their own; staff name
    /// the customer.
    async fn create_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address.")] address: MailingAddressInput,
        #[graphql(
            desc = "Whose address book: staff must name a customer; a customer may leave it out."
        )]
        customer_id: Option<ID>,
    ) -> ApiResult<CustomerAddressPayload> {
        let viewer = auth::viewer(ctx);
        let owner = match (&viewer, customer_id) {
            (Viewer::Customer { id, .. }, None) => *id,
            (_, Some(id)) => {
                let key = ids::decode_as(&id, NodeKind::Customer, "customerId")?;
                if !viewer.may_see_customer(key) {
                    return Ok(refused(UserError::not_found(&["customerId"], "Customer")));
                }
                key
            }
            (_, None) => {
                viewer.owner()?;
                return Ok(refused(UserError::invalid(
                    &["customerId"],
                    "Staff must name the customer",
                )));
            }
        };
        let outcome = async {
            let address = Address::parse(&address, &["address"])?;
            write(
                ctx,
                async |txn| create(txn, owner, address).await,
                unwatched,
            )
            .await
        }
        .await;
        payload(ctx, outcome).await
    }

    /// Changes an address; every field is replaced by the input's.
    async fn update_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to change.")] id: ID,
        #[graphql(desc = "The address as it is now.")] address: MailingAddressInput,
    ) -> ApiResult<CustomerAddressPayload> {
        let key = ids::decode_address(&id, "id")?;
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let outcome = async {
            let address = Address::parse(&address, &["address"])?;
            let update = async |txn: &sea_orm::DatabaseTransaction| {
                let current = owned(txn, &viewer, key).await?;
                let mut row: customer_address::ActiveModel = current.into();
                address.write_into(&mut row);
                row.update(txn)
                    .await
                    .map_err(|err| not_found_if_not_updated(err, &["id"], "Address"))
            };
            write(ctx, update, unwatched).await
        }
        .await;
        payload(ctx, outcome).await
    }

    /// Deletes an address. When it was the default, the customer's oldest
    /// remaining address becomes the default.
    async fn delete_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to delete.")] id: ID,
    ) -> ApiResult<DeleteCustomerAddressPayload> {
        let key = ids::decode_address(&id, "id")?;
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let delete = async |txn: &sea_orm::DatabaseTransaction| {
            let current = owned(txn, &viewer, key).await?;
            lock_address_book(txn, current.customer_id, "id").await?;
            customer_address::Entity::delete_by_id(key)
                .exec(txn)
                .await?;
            if current.is_default {
                let next = customer_address::Entity::find()
                    .filter(customer_address::Column::CustomerId.eq(current.customer_id))
                    .order_by_asc(customer_address::Column::Id)
                    .one(txn)
                    .await?;
                if let Some(next) = next {
                    make_default(txn, &next).await?;
                }
            }
            Ok(())
        };
        let outcome = write(ctx, delete, unwatched).await;
        let (deleted, user_errors) = into_payload(outcome)?;
        Ok(DeleteCustomerAddressPayload {
            deleted_id: deleted.map(|()| id),
            user_errors,
        })
    }

    /// Makes an address its customer's default.
    async fn set_default_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to make the default.")] id: ID,
    ) -> ApiResult<CustomerAddressPayload> {
        let key = ids::decode_address(&id, "id")?;
        let viewer = auth::viewer(ctx);
        viewer.owner()?;
        let set = async |txn: &sea_orm::DatabaseTransaction| {
            let current = owned(txn, &viewer, key).await?;
            make_default(txn, &current).await
        };
        let outcome = write(ctx, set, unwatched).await;
        payload(ctx, outcome).await
    }
}

fn refused(error: UserError) -> CustomerAddressPayload {
    CustomerAddressPayload {
        address: None,
        customer: None,
        user_errors: vec![error],
    }
}

async fn payload(
    ctx: &Context<'_>,
    outcome: Result<customer_address::Model, MutationError>,
) -> ApiResult<CustomerAddressPayload> {
    let (address, user_errors) = into_payload(outcome)?;
    let customer = match &address {
        Some(address) => {
            ctx.shared::<Arc<CustomerLoaders>>()?
                .by_id
                .load_one(address.customer_id)
                .await?
        }
        None => None,
    };
    Ok(CustomerAddressPayload {
        address: address.map(MailingAddress::from),
        customer: customer.map(Customer),
        user_errors,
    })
}

/// The address `key` if the viewer may change it; `NOT_FOUND` otherwise,
/// so another customer's address reads like a missing one.
async fn owned(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: i64,
) -> Result<customer_address::Model, MutationError> {
    customer_address::Entity::find_by_id(key)
        .one(db)
        .await?
        .filter(|row| viewer.may_see_customer(row.customer_id))
        .ok_or_else(|| UserError::not_found(&["id"], "Address").into())
}

/// Takes the customer's row lock (by touching the row, as cart changes
/// touch their cart), so changes to one address book run one after the
/// other on every engine and instance: the count below the cap and the one
/// default stay exact under racing calls. `NOT_FOUND` at `field` when the
/// customer is gone.
async fn lock_address_book(
    db: &impl ConnectionTrait,
    customer_id: i64,
    field: &str,
) -> Result<(), MutationError> {
    let touched = customer::Entity::update_many()
        .col_expr(customer::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(customer::Column::Id.eq(customer_id))
        .exec(db)
        .await?;
    if touched.rows_affected == 0 {
        return Err(UserError::not_found(&[field], "Customer").into());
    }
    Ok(())
}

async fn create(
    db: &impl ConnectionTrait,
    customer_id: i64,
    address: Address,
) -> Result<customer_address::Model, MutationError> {
    lock_address_book(db, customer_id, "customerId").await?;
    let held = customer_address::Entity::find()
        .filter(customer_address::Column::CustomerId.eq(customer_id))
        .count(db)
        .await?;
    if held >= MAX_ADDRESSES {
        return Err(UserError::new(
            &["address"],
            UserErrorCode::TooMany,
            format!("A customer keeps at most {MAX_ADDRESSES} addresses"),
        )
        .into());
    }
    let now = Utc::now();
    let mut row = customer_address::ActiveModel {
        customer_id: Set(customer_id),
        is_default: Set(held == 0),
        created_at: Set(now),
        ..Default::default()
    };
    address.write_into(&mut row);
    Ok(row.insert(db).await?)
}

/// Makes `address` the only default of its customer. The previous default
/// is cleared first: a partial unique index allows one default per
/// customer at any moment.
async fn make_default(
    db: &impl ConnectionTrait,
    address: &customer_address::Model,
) -> Result<customer_address::Model, MutationError> {
    lock_address_book(db, address.customer_id, "id").await?;
    customer_address::Entity::update_many()
        .col_expr(customer_address::Column::IsDefault, Expr::value(false))
        .filter(customer_address::Column::CustomerId.eq(address.customer_id))
        .filter(customer_address::Column::IsDefault.eq(true))
        .exec(db)
        .await?;
    let mut row: customer_address::ActiveModel = address.clone().into();
    row.is_default = Set(true);
    row.updated_at = Set(Utc::now());
    row.update(db)
        .await
        .map_err(|err| not_found_if_not_updated(err, &["id"], "Address"))
}
