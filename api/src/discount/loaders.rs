//! What the discount module batch-loads: the collections of codes.

use std::collections::HashMap;
use std::sync::Arc;

use entity::discount_code_collection;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches};

/// The discount loaders of one request (in its data as `Arc<DiscountLoaders>`).
pub struct DiscountLoaders {
    pub collections: Batcher<CollectionsOfCode>,
}

impl DiscountLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        DiscountLoaders {
            collections: Batcher::new(CollectionsOfCode(db.clone())),
        }
    }
}

impl StartBatches for DiscountLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.collections, fetches);
    }
}

/// The collection ids of codes, in id order.
pub struct CollectionsOfCode(pub DatabaseConnection);

impl BatchLoad for CollectionsOfCode {
    type Key = i64;
    type Value = Arc<Vec<i64>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = discount_code_collection::Entity::find()
            .filter(discount_code_collection::Column::DiscountCodeId.is_in(keys.iter().copied()))
            .order_by_asc(discount_code_collection::Column::CollectionId)
            .all(&self.0)
            .await?;
        let mut per_code: HashMap<i64, Vec<i64>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            per_code
                .entry(row.discount_code_id)
                .or_default()
                .push(row.collection_id);
        }
        Ok(per_code
            .into_iter()
            .map(|(code, ids)| (code, Arc::new(ids)))
            .collect())
    }
}
