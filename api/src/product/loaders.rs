//! What the product module batch-loads: products by id.

use entity::product;
use sea_orm::DatabaseConnection;

use crate::store::batch::{self, Batcher, BoxFuture, StartBatches, by_id_loader};

by_id_loader!(ProductById, product);

/// The product loaders of one request (in its data as `Arc<ProductLoaders>`).
pub struct ProductLoaders {
    pub by_id: Batcher<ProductById>,
}

impl ProductLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        ProductLoaders {
            by_id: Batcher::new(ProductById(db.clone())),
        }
    }
}

impl StartBatches for ProductLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
    }
}
