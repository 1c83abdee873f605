//! What the order module batch-loads: orders by id, their lines, and pages
//! and counts of customers' orders.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{order, order_line};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::store::batch::{self, BatchLoad, Batcher, BoxFuture, StartBatches, by_id_loader};
use crate::store::pagination::{Page, Slice};

by_id_loader!(OrderById, order);

/// The order loaders of one request (in its data as `Arc<OrderLoaders>`).
pub struct OrderLoaders {
    pub by_id: Batcher<OrderById>,
    pub lines: Batcher<LinesByOrder>,
    pub of_customer: Batcher<OrderPagesByCustomer>,
    pub count_of_customer: Batcher<OrderCountByCustomer>,
}

impl OrderLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        OrderLoaders {
            by_id: Batcher::new(OrderById(db.clone())),
            lines: Batcher::new(LinesByOrder(db.clone())),
            of_customer: Batcher::new(OrderPagesByCustomer(db.clone())),
            count_of_customer: Batcher::new(OrderCountByCustomer(db.clone())),
        }
    }
}

impl StartBatches for OrderLoaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.by_id, fetches);
        batch::start(&self.lines, fetches);
        batch::start(&self.of_customer, fetches);
        batch::start(&self.count_of_customer, fetches);
    }
}

/// Loads the lines of orders, keyed by order id, in the order they were
/// written (the cart's product order).
pub struct LinesByOrder(pub DatabaseConnection);

impl BatchLoad for LinesByOrder {
    type Key = i64;
    type Value = Arc<Vec<order_line::Model>>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let rows = order_line::Entity::find()
            .filter(order_line::Column::OrderId.is_in(keys.iter().copied()))
            .order_by_asc(order_line::Column::OrderId)
            .order_by_asc(order_line::Column::Id)
            .all(&self.0)
            .await?;
        let mut lines: HashMap<i64, Vec<order_line::Model>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            lines.entry(row.order_id).or_default().push(row);
        }
        Ok(lines
            .into_iter()
            .map(|(order, lines)| (order, Arc::new(lines)))
            .collect())
    }
}

/// A page of one customer's orders.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderPageKey {
    pub customer_id: i64,
    pub page: Page<order::Column>,
}

/// Loads pages of orders of many customers at once: one statement per
/// distinct page ([`Page::fetch_per_parent`]).
pub struct OrderPagesByCustomer(pub DatabaseConnection);

impl BatchLoad for OrderPagesByCustomer {
    type Key = OrderPageKey;
    type Value = Arc<Slice<order::Model, order::Column>>;

    async fn load(
        &self,
        keys: Vec<OrderPageKey>,
    ) -> Result<HashMap<OrderPageKey, Self::Value>, DbErr> {
        let mut groups: HashMap<Page<order::Column>, Vec<i64>> = HashMap::new();
        for key in keys {
            groups.entry(key.page).or_default().push(key.customer_id);
        }
        let mut pages = HashMap::new();
        for (page, customer_ids) in groups {
            let slices = page
                .fetch_per_parent(
                    &self.0,
                    order::Entity::find(),
                    order::Column::CustomerId,
                    &customer_ids,
                )
                .await?;
            for (customer_id, slice) in slices {
                let key = OrderPageKey {
                    customer_id,
                    page: page.clone(),
                };
                pages.insert(key, Arc::new(slice));
            }
        }
        Ok(pages)
    }
}

/// Counts the orders of customers with one grouped `COUNT`.
pub struct OrderCountByCustomer(pub DatabaseConnection);

impl BatchLoad for OrderCountByCustomer {
    type Key = i64;
    type Value = u64;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, u64>, DbErr> {
        let counts: Vec<(Option<i64>, i64)> = order::Entity::find()
            .select_only()
            .column(order::Column::CustomerId)
            .column_as(order::Column::Id.count(), "count")
            .filter(order::Column::CustomerId.is_in(keys.iter().copied()))
            .group_by(order::Column::CustomerId)
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut per_customer: HashMap<i64, u64> = keys.iter().map(|id| (*id, 0)).collect();
        for (customer_id, count) in counts {
            if let Some(customer_id) = customer_id {
                per_customer.insert(customer_id, u64::try_from(count).unwrap_or(0));
            }
        }
        Ok(per_customer)
    }
}
