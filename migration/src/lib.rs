//! The shop's database schema, as an ordered list of migrations.
//!
//! This crate stands alone on purpose: it does not depend on `entity`, so a
//! landed migration keeps meaning what it meant when it was written, whatever
//! the entities look like later. One file per change, never edited once landed.
//!
//! Migrations read nothing from the environment: what a data migration
//! needs to know about the shop comes in [`Settings`], which the server
//! passes from its configuration ([`up`]); run without them (the bare
//! `Migrator`), the documented defaults apply.

pub use sea_orm_migration::MigrationStatus;
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
mod m20261207_000012_handles_images_collections;
mod m20261207_000013_create_customer_address;
mod m20261207_000014_shipping_zones_and_tax_rates;
mod m20261207_000015_create_discount_code;
mod m20261207_000016_cart_shipping;
mod m20261207_000017_product_variants;
mod m20261207_000018_cart_discount_codes;
mod m20261207_000019_priced_orders;

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
            Box::new(m20261207_000012_handles_images_collections::Migration),
            Box::new(m20261207_000013_create_customer_address::Migration),
            Box::new(m20261207_000014_shipping_zones_and_tax_rates::Migration),
            Box::new(m20261207_000015_create_discount_code::Migration),
            Box::new(m20261207_000016_cart_shipping::Migration),
            Box::new(m20261207_000017_product_variants::Migration),
            Box::new(m20261207_000018_cart_discount_codes::Migration),
            Box::new(m20261207_000019_priced_orders::Migration),
        ]
    }
}

/// What data migrations need to know about the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The shop's currency (ISO 4217, three upper-case letters): the
    /// currency of the orders `m20261204_000009_create_order` makes of carts
    /// checked out before orders existed. [`Settings::DEFAULT_CURRENCY`]
    /// when not given, as the server's own default.
    pub currency: String,
}

impl Settings {
    /// The server's default currency (`--currency`).
    pub const DEFAULT_CURRENCY: &str = "USD";
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency: Settings::DEFAULT_CURRENCY.to_owned(),
        }
    }
}

tokio::task_local! {
    static SETTINGS: Settings;
}

/// Applies every pending migration, with `settings` for the data
/// migrations that need them.
pub async fn up(
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
    settings: Settings,
) -> Result<(), DbErr> {
    SETTINGS.scope(settings, Migrator::up(db, None)).await
}

/// The settings of the running [`up`], or the defaults.
fn settings() -> Settings {
    SETTINGS.try_with(Settings::clone).unwrap_or_default()
}
