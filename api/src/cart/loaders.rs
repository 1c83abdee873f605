//! What the cart module batch-loads: carts by id, their lines, and pages
//! and counts of customers' carts.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{cart, cart_line, product_variant};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::CartPredicate;
use super::filter as cart_filter;
use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::pagination::{Page, Slice};

by_id_loader!(CartById, cart);

/// The cart loaders of one request (in its data as `Arc<CartLoaders>`).
pub struct CartLoaders {
    pub by_id: Batcher<CartById>,
    pub lines: Batcher<LinesByCart>,
    pub of_customer: Batcher<CartPagesByCustomer>,
    pub count_of_customer: Batcher<CartCountByCustomer>,
}

impl CartLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        CartLoaders {
            by_id: Batcher::new(CartById(db.clone())),
            lines: Batcher::new(LinesByCart(db.clone())),
            of_customer: Batcher::new(CartPagesByCustomer(db.clone())),
            count_of_customer: Batcher::new(CartCountByCustomer(db.clone())),
        }
    }
}

impl StartBatches for CartLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
        batch::start(&self.lines, fetches);
        batch::start(&self.of_customer, fetches);
        batch::start(&self.count_of_customer, fetches);
    }
}

/// Loads the lines of carts with their variants, keyed by cart id, in
/// variant order: one joined statement per batch (a line's variant is what
/// every field of the line reads).
pub struct LinesByCart(pub DatabaseConnection);

/// A cart line and the variant it holds.
pub type LineWithVariant = (cart_line::Model, product_variant::Model);

impl BatchLoad for LinesByCart {
    type Key = i64;
    type Value = Arc<Vec<LineWithVariant>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = cart_line::Entity::find()
            .find_also_related(product_variant::Entity)
            .filter(cart_line::Column::CartId.is_in(keys.iter().copied()))
            .order_by_asc(cart_line::Column::CartId)
            .order_by_asc(cart_line::Column::VariantId)
            .all(&self.0)
            .await?;
        let mut lines: HashMap<i64, Vec<LineWithVariant>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        // A line's variant always exists (a foreign key); a row without
        // one could only be a line deleted with its variant meanwhile.
        for (line, variant) in rows {
            if let Some(variant) = variant {
                lines.entry(line.cart_id).or_default().push((line, variant));
            }
        }
        Ok(lines
            .into_iter()
            .map(|(cart, lines)| (cart, Arc::new(lines)))
            .collect())
    }
}

/// A page of one customer's carts that match a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CartPageKey {
    pub customer_id: i64,
    pub page: Page<cart::Column>,
    pub filter: Option<Arc<CartPredicate>>,
}

/// Loads pages of carts of many customers at once: one statement per
/// distinct page and filter, whatever the number of customers
/// ([`Page::fetch_per_parent`]).
pub struct CartPagesByCustomer(pub DatabaseConnection);

impl BatchLoad for CartPagesByCustomer {
    type Key = CartPageKey;
    type Value = Arc<Slice<cart::Model, cart::Column>>;

    async fn load(
        &self,
        keys: Vec<CartPageKey>,
    ) -> Result<HashMap<CartPageKey, Self::Value>, DbErr> {
        // Customers asking for the same page of the same filter share a
        // statement.
        type PageQuery = (Page<cart::Column>, Option<Arc<CartPredicate>>);
        let mut groups: HashMap<PageQuery, Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.page, key.filter))
                .or_default()
                .push(key.customer_id);
        }
        let mut pages = HashMap::new();
        for ((page, filter), customer_ids) in groups {
            let select = cart::Entity::find().filter(cart_filter::condition(filter.as_deref()));
            let slices = page
                .fetch_per_parent(&self.0, select, cart::Column::CustomerId, &customer_ids)
                .await?;
            for (customer_id, slice) in slices {
                let key = CartPageKey {
                    customer_id,
                    page: page.clone(),
                    filter: filter.clone(),
                };
                pages.insert(key, Arc::new(slice));
            }
        }
        Ok(pages)
    }
}

/// The carts of one customer that match a filter, to count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CartCountKey {
    pub customer_id: i64,
    pub filter: Option<Arc<CartPredicate>>,
}

/// Counts the carts of customers: one grouped `COUNT` per distinct filter.
pub struct CartCountByCustomer(pub DatabaseConnection);

impl BatchLoad for CartCountByCustomer {
    type Key = CartCountKey;
    type Value = u64;

    async fn load(&self, keys: Vec<CartCountKey>) -> Result<HashMap<CartCountKey, u64>, DbErr> {
        let mut groups: HashMap<Option<Arc<CartPredicate>>, Vec<i64>> = HashMap::new();
        for key in keys {
            groups.entry(key.filter).or_default().push(key.customer_id);
        }
        let mut result = HashMap::new();
        for (filter, customer_ids) in groups {
            let counts: Vec<(i64, i64)> = cart::Entity::find()
                .select_only()
                .column(cart::Column::CustomerId)
                .column_as(cart::Column::Id.count(), "count")
                .filter(cart::Column::CustomerId.is_in(customer_ids.iter().copied()))
                .filter(cart_filter::condition(filter.as_deref()))
                .group_by(cart::Column::CustomerId)
                .into_tuple()
                .all(&self.0)
                .await?;
            let mut per_customer: HashMap<i64, u64> =
                customer_ids.iter().map(|id| (*id, 0)).collect();
            for (customer_id, count) in counts {
                per_customer.insert(customer_id, u64::try_from(count).unwrap_or(0));
            }
            for (customer_id, count) in per_customer {
                let key = CartCountKey {
                    customer_id,
                    filter: filter.clone(),
                };
                result.insert(key, count);
            }
        }
        Ok(result)
    }
}
