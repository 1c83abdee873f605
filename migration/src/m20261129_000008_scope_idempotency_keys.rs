//! Idempotency keys belong to a customer: the key of a checkout is unique
//! per customer (the cart's), not across the shop. A global key told one
//! customer, through `IDEMPOTENCY_KEY_REUSED`, that another had used it,
//! and let one customer's key block another's checkout (Stripe scopes its
//! keys per account for the same reasons).
//!
//! `up` copies every key with its cart's customer into a table keyed by
//! (customer, key), then puts it in the old table's place. `down` goes
//! back to one key for the whole shop: where customers share a key, the
//! earliest use keeps it, and the later ones are forgotten (a replay of
//! theirs would then be refused as `IDEMPOTENCY_KEY_REUSED`, as before this
//! migration).
//!
//! Tables cannot change their primary key in SQLite, so both directions
//! build the new table beside the old one; the names of constraints and
//! indexes are those a fresh table of that shape gets. Each direction runs
//! in a transaction of its own: all of it happens on one connection (on a
//! pool, SQLite's `RENAME` once ran on a connection that had not yet seen
//! the `DROP`), and a failure leaves the old table as it was.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table being built, renamed to `checkout` once filled.
const BUILDING: &str = "checkout_building";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, outer: &SchemaManager) -> Result<(), DbErr> {
        let manager = outer.begin().await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new(BUILDING))
                    .col(big_integer(Checkout::CustomerId))
                    .col(string_len(Checkout::IdempotencyKey, 255))
                    .col(big_integer(Checkout::CartId))
                    .col(timestamp_with_time_zone(Checkout::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Checkout::CustomerId)
                            .col(Checkout::IdempotencyKey),
                    )
                    .foreign_key(&mut cart_foreign_key())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO {BUILDING} (customer_id, idempotency_key, cart_id, created_at) \
                 SELECT cart.customer_id, checkout.idempotency_key, checkout.cart_id, checkout.created_at \
                 FROM checkout JOIN cart ON cart.id = checkout.cart_id"
            ))
            .await?;
        replace_checkout(&manager).await?;
        manager.commit().await
    }

    async fn down(&self, outer: &SchemaManager) -> Result<(), DbErr> {
        let manager = outer.begin().await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new(BUILDING))
                    .col(string_len(Checkout::IdempotencyKey, 255).primary_key())
                    .col(big_integer(Checkout::CartId))
                    .col(timestamp_with_time_zone(Checkout::CreatedAt))
                    .foreign_key(&mut cart_foreign_key())
                    .to_owned(),
            )
            .await?;
        // The earliest use of each key (ties broken by cart).
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO {BUILDING} (idempotency_key, cart_id, created_at) \
                 SELECT k.idempotency_key, k.cart_id, k.created_at FROM checkout k \
                 WHERE NOT EXISTS (SELECT 1 FROM checkout o \
                   WHERE o.idempotency_key = k.idempotency_key \
                   AND (o.created_at < k.created_at OR (o.created_at = k.created_at AND o.cart_id < k.cart_id)))"
            ))
            .await?;
        replace_checkout(&manager).await?;
        manager.commit().await
    }
}

fn cart_foreign_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("checkout_cart_id_fkey")
        .from(Alias::new(BUILDING), Checkout::CartId)
        .to(Cart::Table, Cart::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Drops `checkout` and puts the table being built in its place, with the
/// index the cascade from cart deletes needs.
async fn replace_checkout(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(Checkout::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(Alias::new(BUILDING), Checkout::Table)
                .to_owned(),
        )
        .await?;
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        // PostgreSQL keeps the primary key's index name through a rename.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "ALTER INDEX {BUILDING}_pkey RENAME TO checkout_pkey"
            ))
            .await?;
    }
    manager
        .create_index(
            Index::create()
                .name("checkout_cart_id_idx")
                .table(Checkout::Table)
                .col(Checkout::CartId)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Checkout {
    Table,
    CustomerId,
    IdempotencyKey,
    CartId,
    CreatedAt,
}
