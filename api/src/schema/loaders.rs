//! A request's loaders: every relation the schema resolves goes through
//! one, so a request costs a fixed number of SQL statements however many
//! objects it returns (no N+1). How keys are collected and when a batch
//! runs is [`crate::store::batch`]'s business; each domain module says what
//! its batches load (`product::loaders`, `customer::loaders`, …).
//!
//! This is where they meet: one set per request, fresh, so nothing is
//! cached across requests; the gate gets them through [`make`] without
//! naming a domain.

use std::sync::Arc;

use async_graphql::Data;
use sea_orm::DatabaseConnection;

use crate::cart::loaders::CartLoaders;
use crate::collection::loaders::CollectionLoaders;
use crate::customer::loaders::CustomerLoaders;
use crate::discount::loaders::DiscountLoaders;
use crate::order::loaders::OrderLoaders;
use crate::product::loaders::ProductLoaders;
use crate::shipping::loaders::ShippingLoaders;
use crate::store::batch::{BoxFuture, MakeLoaders, RequestLoaders, StartBatches};
use crate::tax::loaders::TaxLoaders;

/// Every domain's loaders for one request; `node(id:)` reads them all.
pub struct Loaders {
    pub product: Arc<ProductLoaders>,
    pub collection: Arc<CollectionLoaders>,
    pub customer: Arc<CustomerLoaders>,
    pub cart: Arc<CartLoaders>,
    pub order: Arc<OrderLoaders>,
    pub shipping: Arc<ShippingLoaders>,
    pub tax: Arc<TaxLoaders>,
    pub discount: Arc<DiscountLoaders>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            product: Arc::new(ProductLoaders::new(db)),
            collection: Arc::new(CollectionLoaders::new(db)),
            customer: Arc::new(CustomerLoaders::new(db)),
            cart: Arc::new(CartLoaders::new(db)),
            order: Arc::new(OrderLoaders::new(db)),
            shipping: Arc::new(ShippingLoaders::new(db)),
            tax: Arc::new(TaxLoaders::new(db)),
            discount: Arc::new(DiscountLoaders::new(db)),
        }
    }
}

impl StartBatches for Loaders {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        self.product.start_batches(fetches);
        self.collection.start_batches(fetches);
        self.customer.start_batches(fetches);
        self.cart.start_batches(fetches);
        self.order.start_batches(fetches);
        self.shipping.start_batches(fetches);
        self.tax.start_batches(fetches);
        self.discount.start_batches(fetches);
    }
}

/// Each domain finds its own loaders by type; `node(id:)` finds them all.
struct Registered(Arc<Loaders>);

impl StartBatches for Registered {
    fn start_batches(&self, fetches: &mut Vec<BoxFuture<()>>) {
        self.0.start_batches(fetches);
    }
}

impl RequestLoaders for Registered {
    fn add_to(&self, data: &mut Data) {
        data.insert(self.0.product.clone());
        data.insert(self.0.collection.clone());
        data.insert(self.0.customer.clone());
        data.insert(self.0.cart.clone());
        data.insert(self.0.order.clone());
        data.insert(self.0.shipping.clone());
        data.insert(self.0.tax.clone());
        data.insert(self.0.discount.clone());
        data.insert(self.0.clone());
    }
}

/// What makes each request's loaders over `db`, for the gate and the
/// WebSocket connections.
pub fn make(db: DatabaseConnection) -> MakeLoaders {
    Arc::new(move || Arc::new(Registered(Arc::new(Loaders::new(&db)))) as Arc<dyn RequestLoaders>)
}
