//! What the collection module batch-loads: collections by id, the image of
//! each, and pages of each one's products.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{collection, image, product};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};

use crate::product::filter::{self as product_filter, ProductPredicate};
use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::pagination::{Page, Slice};

by_id_loader!(CollectionById, collection);

/// The collection loaders of one request (in its data as
/// `Arc<CollectionLoaders>`).
pub struct CollectionLoaders {
    pub by_id: Batcher<CollectionById>,
    pub image: Batcher<ImageOfCollection>,
    pub products: Batcher<ProductPagesByCollection>,
}

impl CollectionLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        CollectionLoaders {
            by_id: Batcher::new(CollectionById(db.clone())),
            image: Batcher::new(ImageOfCollection(db.clone())),
            products: Batcher::new(ProductPagesByCollection(db.clone())),
        }
    }
}

impl StartBatches for CollectionLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
        batch::start(&self.image, fetches);
        batch::start(&self.products, fetches);
    }
}

/// Loads the image of collections, keyed by collection id.
pub struct ImageOfCollection(pub DatabaseConnection);

impl BatchLoad for ImageOfCollection {
    type Key = i64;
    type Value = image::Model;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, image::Model>, DbErr> {
        let rows = image::Entity::find()
            .filter(image::Column::CollectionId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.collection_id?, row)))
            .collect())
    }
}

/// A page of one collection's products that match a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductPageKey {
    pub collection_id: i64,
    pub page: Page<product::Column>,
    pub filter: Option<Arc<ProductPredicate>>,
}

/// Loads pages of the products of many collections at once, through
/// `collection_product`: one statement per distinct page and filter
/// ([`Page::fetch_per_linked_parent`]).
pub struct ProductPagesByCollection(pub DatabaseConnection);

impl BatchLoad for ProductPagesByCollection {
    type Key = ProductPageKey;
    type Value = Arc<Slice<product::Model, product::Column>>;

    async fn load(
        &self,
        keys: Vec<ProductPageKey>,
    ) -> Result<HashMap<ProductPageKey, Self::Value>, DbErr> {
        type PageQuery = (Page<product::Column>, Option<Arc<ProductPredicate>>);
        let mut groups: HashMap<PageQuery, Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.page, key.filter))
                .or_default()
                .push(key.collection_id);
        }
        let mut pages = HashMap::new();
        for ((page, filter), collection_ids) in groups {
            let select = product::Entity::find()
                .join(
                    JoinType::InnerJoin,
                    product::Relation::CollectionProduct.def(),
                )
                .filter(product_filter::predicate_condition(filter.as_deref()));
            let slices = page
                .fetch_per_linked_parent(
                    &self.0,
                    select,
                    ("collection_product", "collection_id"),
                    &collection_ids,
                )
                .await?;
            for (collection_id, slice) in slices {
                let key = ProductPageKey {
                    collection_id,
                    page: page.clone(),
                    filter: filter.clone(),
                };
                pages.insert(key, Arc::new(slice));
            }
        }
        Ok(pages)
    }
}
