//! The batch loaders: every relation the schema resolves goes through one,
//! so a request costs a fixed number of SQL statements however many objects
//! it returns (no N+1). How keys are collected and when a batch runs is
//! [`crate::store::batch`]'s business; this module says what each batch loads.
//!
//! Each domain module owns its loaders (`product::loaders`,
//! `customer::loaders`, `cart::loaders`, `order::loaders`); this is the registry a request
//! gets, fresh, so nothing is cached across requests.

use sea_orm::DatabaseConnection;

use crate::cart::loaders::{CartById, CartCountByCustomer, CartPagesByCustomer, LinesByCart};
use crate::customer::loaders::CustomerById;
use crate::order::loaders::{LinesByOrder, OrderById, OrderCountByCustomer, OrderPagesByCustomer};
use crate::product::loaders::ProductById;
use crate::store::batch::{self, Batcher, BoxFuture, StartBatches};

/// The loaders of one request.
pub struct Loaders {
    pub product: Batcher<ProductById>,
    pub customer: Batcher<CustomerById>,
    pub cart: Batcher<CartById>,
    pub cart_lines: Batcher<LinesByCart>,
    pub carts_of_customer: Batcher<CartPagesByCustomer>,
    pub cart_count: Batcher<CartCountByCustomer>,
    pub order: Batcher<OrderById>,
    pub order_lines: Batcher<LinesByOrder>,
    pub orders_of_customer: Batcher<OrderPagesByCustomer>,
    pub order_count: Batcher<OrderCountByCustomer>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            product: Batcher::new(ProductById(db.clone())),
            customer: Batcher::new(CustomerById(db.clone())),
            cart: Batcher::new(CartById(db.clone())),
            cart_lines: Batcher::new(LinesByCart(db.clone())),
            carts_of_customer: Batcher::new(CartPagesByCustomer(db.clone())),
            cart_count: Batcher::new(CartCountByCustomer(db.clone())),
            order: Batcher::new(OrderById(db.clone())),
            order_lines: Batcher::new(LinesByOrder(db.clone())),
            orders_of_customer: Batcher::new(OrderPagesByCustomer(db.clone())),
            order_count: Batcher::new(OrderCountByCustomer(db.clone())),
        }
    }
}

impl StartBatches for Loaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        batch::start(&self.product, fetches);
        batch::start(&self.customer, fetches);
        batch::start(&self.cart, fetches);
        batch::start(&self.cart_lines, fetches);
        batch::start(&self.carts_of_customer, fetches);
        batch::start(&self.cart_count, fetches);
        batch::start(&self.order, fetches);
        batch::start(&self.order_lines, fetches);
        batch::start(&self.orders_of_customer, fetches);
        batch::start(&self.order_count, fetches);
    }
}

/// Declares `$name`, which loads rows of `$entity` by primary key with one
/// `WHERE id IN (…)`.
macro_rules! by_id_loader {
    ($name:ident, $entity:ident) => {
        #[doc = concat!("Loads `", stringify!($entity), "` rows by id.")]
        pub struct $name(pub sea_orm::DatabaseConnection);

        impl $crate::store::batch::BatchLoad for $name {
            type Key = i64;
            type Value = $entity::Model;

            async fn load(
                &self,
                keys: Vec<i64>,
            ) -> Result<std::collections::HashMap<i64, Self::Value>, sea_orm::DbErr> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row)).collect())
            }
        }
    };
}

pub(crate) use by_id_loader;
