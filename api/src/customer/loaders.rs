//! What the customer module batch-loads: customers by id.

use entity::customer;
use sea_orm::DatabaseConnection;

use crate::store::batch::{self, Batcher, BoxFuture, StartBatches, by_id_loader};

by_id_loader!(CustomerById, customer);

/// The customer loaders of one request (in its data as `Arc<CustomerLoaders>`).
pub struct CustomerLoaders {
    pub by_id: Batcher<CustomerById>,
}

impl CustomerLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        CustomerLoaders {
            by_id: Batcher::new(CustomerById(db.clone())),
        }
    }
}

impl StartBatches for CustomerLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
    }
}
