//! What the customer module batch-loads: customers by id, and per customer
//! pages and counts of their addresses and their default address.

use std::collections::HashMap;

use entity::{customer, customer_address};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::children::{CountByParent, PagesByParent};

by_id_loader!(CustomerById, customer);

/// The customer loaders of one request (in its data as `Arc<CustomerLoaders>`).
pub struct CustomerLoaders {
    pub by_id: Batcher<CustomerById>,
    pub addresses: Batcher<PagesByParent<customer_address::Entity>>,
    pub address_count: Batcher<CountByParent<customer_address::Entity>>,
    pub default_address: Batcher<DefaultAddress>,
}

impl CustomerLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        CustomerLoaders {
            by_id: Batcher::new(CustomerById(db.clone())),
            addresses: Batcher::new(PagesByParent::new(db, customer_address::Column::CustomerId)),
            address_count: Batcher::new(CountByParent::new(
                db,
                customer_address::Column::CustomerId,
            )),
            default_address: Batcher::new(DefaultAddress(db.clone())),
        }
    }
}

impl StartBatches for CustomerLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
        batch::start(&self.addresses, fetches);
        batch::start(&self.address_count, fetches);
        batch::start(&self.default_address, fetches);
    }
}

/// Loads customers' default addresses, keyed by customer id.
pub struct DefaultAddress(pub DatabaseConnection);

impl BatchLoad for DefaultAddress {
    type Key = i64;
    type Value = customer_address::Model;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, customer_address::Model>, DbErr> {
        let rows = customer_address::Entity::find()
            .filter(customer_address::Column::CustomerId.is_in(keys.iter().copied()))
            .filter(customer_address::Column::IsDefault.eq(true))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|row| (row.customer_id, row)).collect())
    }
}
