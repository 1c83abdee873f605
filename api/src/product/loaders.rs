//! What the product module batch-loads: products and variants by id, per
//! product pages and counts of its images, variants and links to
//! collections, and what variants need ([`super::variant::loaders`]).

use entity::{collection_product, image, product, product_variant};
use sea_orm::DatabaseConnection;

use crate::store::batch::{self, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::children::{CountByParent, PagesByParent};

use super::variant::loaders::{
    MaxPriceByProduct, OptionsByProduct, SelectedOptionsByVariant, VariantByOptionKey,
};

by_id_loader!(ProductById, product);
by_id_loader!(VariantById, product_variant);
by_id_loader!(ImageById, image);

/// The product loaders of one request (in its data as `Arc<ProductLoaders>`).
pub struct ProductLoaders {
    pub by_id: Batcher<ProductById>,
    pub images: Batcher<PagesByParent<image::Entity>>,
    pub image_count: Batcher<CountByParent<image::Entity>>,
    pub collection_links: Batcher<PagesByParent<collection_product::Entity>>,
    pub collection_count: Batcher<CountByParent<collection_product::Entity>>,
    pub variant_by_id: Batcher<VariantById>,
    pub variants: Batcher<PagesByParent<product_variant::Entity>>,
    pub variant_count: Batcher<CountByParent<product_variant::Entity>>,
    pub variant_by_option_key: Batcher<VariantByOptionKey>,
    pub options: Batcher<OptionsByProduct>,
    pub selected_options: Batcher<SelectedOptionsByVariant>,
    pub max_price: Batcher<MaxPriceByProduct>,
    pub image_by_id: Batcher<ImageById>,
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
            variant_by_id: Batcher::new(VariantById(db.clone())),
            variants: Batcher::new(PagesByParent::new(db, product_variant::Column::ProductId)),
            variant_count: Batcher::new(CountByParent::new(db, product_variant::Column::ProductId)),
            variant_by_option_key: Batcher::new(VariantByOptionKey(db.clone())),
            options: Batcher::new(OptionsByProduct(db.clone())),
            selected_options: Batcher::new(SelectedOptionsByVariant(db.clone())),
            max_price: Batcher::new(MaxPriceByProduct(db.clone())),
            image_by_id: Batcher::new(ImageById(db.clone())),
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
        batch::start(&self.variant_by_id, fetches);
        batch::start(&self.variants, fetches);
        batch::start(&self.variant_count, fetches);
        batch::start(&self.variant_by_option_key, fetches);
        batch::start(&self.options, fetches);
        batch::start(&self.selected_options, fetches);
        batch::start(&self.max_price, fetches);
        batch::start(&self.image_by_id, fetches);
    }
}
