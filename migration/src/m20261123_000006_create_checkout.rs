//! Checkout: a cart is checked out once (`cart.checked_out_at`), and a
//! checkout may carry an idempotency key, remembered with its cart so that a
//! retried request is answered, not executed again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cart::Table)
                    .add_column(timestamp_with_time_zone_null(Cart::CheckedOutAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Checkout::Table)
                    .if_not_exists()
                    .col(string_len(Checkout::IdempotencyKey, 255).primary_key())
                    .col(big_integer(Checkout::CartId))
                    .col(timestamp_with_time_zone(Checkout::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("checkout_cart_id_fkey")
                            .from(Checkout::Table, Checkout::CartId)
                            .to(Cart::Table, Cart::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The cascade from cart deletes looks checkouts up by cart.
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Checkout::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cart::Table)
                    .drop_column(Cart::CheckedOutAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
    CheckedOutAt,
}

#[derive(DeriveIden)]
enum Checkout {
    Table,
    IdempotencyKey,
    CartId,
    CreatedAt,
}
