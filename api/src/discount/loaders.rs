//! What the discount module batch-loads: the collections of codes, the
//! codes entered on carts, and the collections of products (which lines a
//! code limited to collections reaches).

use std::collections::HashMap;
use std::sync::Arc;

use entity::{
    cart_discount_code, collection_product, discount_code, discount_code_collection,
    discount_code_use,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches};

/// The discount loaders of one request (in its data as `Arc<DiscountLoaders>`).
pub struct DiscountLoaders {
    pub collections: Batcher<CollectionsOfCode>,
    pub codes_of_cart: Batcher<CodesOfCart>,
    pub collections_of_product: Batcher<CollectionsOfProduct>,
    pub used_by_buyer: Batcher<CodesUsedBy>,
}

impl DiscountLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        DiscountLoaders {
            collections: Batcher::new(CollectionsOfCode(db.clone())),
            codes_of_cart: Batcher::new(CodesOfCart(db.clone())),
            collections_of_product: Batcher::new(CollectionsOfProduct(db.clone())),
            used_by_buyer: Batcher::new(CodesUsedBy(db.clone())),
        }
    }
}

impl StartBatches for DiscountLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.collections, fetches);
        batch::start(&self.codes_of_cart, fetches);
        batch::start(&self.collections_of_product, fetches);
        batch::start(&self.used_by_buyer, fetches);
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

/// The codes entered on carts, in the order they were entered: one joined
/// statement per batch.
pub struct CodesOfCart(pub DatabaseConnection);

impl BatchLoad for CodesOfCart {
    type Key = i64;
    type Value = Arc<Vec<discount_code::Model>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = cart_discount_code::Entity::find()
            .find_also_related(discount_code::Entity)
            .filter(cart_discount_code::Column::CartId.is_in(keys.iter().copied()))
            .order_by_asc(cart_discount_code::Column::CreatedAt)
            .order_by_asc(cart_discount_code::Column::DiscountCodeId)
            .all(&self.0)
            .await?;
        let mut per_cart: HashMap<i64, Vec<discount_code::Model>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (link, code) in rows {
            if let Some(code) = code {
                per_cart.entry(link.cart_id).or_default().push(code);
            }
        }
        Ok(per_cart
            .into_iter()
            .map(|(cart, codes)| (cart, Arc::new(codes)))
            .collect())
    }
}

/// The once-per-customer codes each buyer (a key of
/// [`super::rules::buyer_keys`]) has used; every buyer asked for has an
/// entry.
pub struct CodesUsedBy(pub DatabaseConnection);

impl BatchLoad for CodesUsedBy {
    type Key = String;
    type Value = Arc<Vec<i64>>;

    async fn load(&self, keys: Vec<String>) -> Result<HashMap<String, Self::Value>, DbErr> {
        let rows: Vec<(String, i64)> = discount_code_use::Entity::find()
            .select_only()
            .column(discount_code_use::Column::Buyer)
            .column(discount_code_use::Column::DiscountCodeId)
            .filter(discount_code_use::Column::Buyer.is_in(keys.iter().cloned()))
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut per_buyer: HashMap<String, Vec<i64>> =
            keys.into_iter().map(|key| (key, Vec::new())).collect();
        for (buyer, code) in rows {
            per_buyer.entry(buyer).or_default().push(code);
        }
        Ok(per_buyer
            .into_iter()
            .map(|(buyer, codes)| (buyer, Arc::new(codes)))
            .collect())
    }
}

/// The collection ids of products: every product asked for has an entry.
pub struct CollectionsOfProduct(pub DatabaseConnection);

impl BatchLoad for CollectionsOfProduct {
    type Key = i64;
    type Value = Arc<Vec<i64>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows: Vec<(i64, i64)> = collection_product::Entity::find()
            .select_only()
            .column(collection_product::Column::ProductId)
            .column(collection_product::Column::CollectionId)
            .filter(collection_product::Column::ProductId.is_in(keys.iter().copied()))
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut per_product: HashMap<i64, Vec<i64>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (product, collection) in rows {
            per_product.entry(product).or_default().push(collection);
        }
        Ok(per_product
            .into_iter()
            .map(|(product, ids)| (product, Arc::new(ids)))
            .collect())
    }
}
