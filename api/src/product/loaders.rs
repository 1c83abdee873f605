//! What the product module batch-loads: products by id, and per product
//! pages and counts of its images and of its links to collections.

use entity::{collection_product, image, product};
use sea_orm::DatabaseConnection;

use crate::store::batch::{self, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::children::{CountByParent, PagesByParent};

by_id_loader!(ProductById, product);

/// The product loaders of one request (in its data as `Arc<ProductLoaders>`).
pub struct ProductLoaders {
    pub by_id: Batcher<ProductById>,
    pub images: Batcher<PagesByParent<image::Entity>>,
    pub image_count: Batcher<CountByParent<image::Entity>>,
    pub collection_links: Batcher<PagesByParent<collection_product::Entity>>,
    pub collection_count: Batcher<CountByParent<collection_product::Entity>>,
}

impl ProductLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        ProductLoaders {
            by_id: Batcher::new(ProductById(db.clone())),
            images: Batcher::new(PagesByParent::new(db, image::Column::ProductId)),
            image_count: Batcher::new(CountByParent::new(db, image::Column::ProductId)),
            collection_links: Batcher::new(PagesByParent::new(
                db,
                collection_product::Column::ProductId,
            )),
            collection_count: Batcher::new(CountByParent::new(
                db,
                collection_product::Column::ProductId,
            )),
        }
    }
}

impl StartBatches for ProductLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
        batch::start(&self.images, fetches);
        batch::start(&self.image_count, fetches);
        batch::start(&self.collection_links, fetches);
        batch::start(&self.collection_count, fetches);
    }
}
