//! The shop's database schema, as an ordered list of migrations.
//!
//! This crate stands alone on purpose: it does not depend on `entity`, so a
//! landed migration keeps meaning what it meant when it was written, whatever
//! the entities look like later. One file per change, never edited once landed.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_customer;
mod m20261123_000002_create_product;
mod m20261123_000003_create_cart;
mod m20261123_000004_create_cart_product;
mod m20261123_000005_create_list_indexes;
mod m20261123_000006_create_checkout;
mod m20261123_000007_create_session;
mod m20261129_000008_scope_idempotency_keys;
mod m20261204_000009_create_order;
mod m20261204_000010_guest_carts;
mod m20261205_000011_create_persisted_query;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_customer::Migration),
            Box::new(m20261123_000002_create_product::Migration),
            Box::new(m20261123_000003_create_cart::Migration),
            Box::new(m20261123_000004_create_cart_product::Migration),
            Box::new(m20261123_000005_create_list_indexes::Migration),
            Box::new(m20261123_000006_create_checkout::Migration),
            Box::new(m20261123_000007_create_session::Migration),
            Box::new(m20261129_000008_scope_idempotency_keys::Migration),
            Box::new(m20261204_000009_create_order::Migration),
            Box::new(m20261204_000010_guest_carts::Migration),
            Box::new(m20261205_000011_create_persisted_query::Migration),
        ]
    }
}
