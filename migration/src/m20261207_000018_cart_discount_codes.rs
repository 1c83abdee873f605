//! Discount codes on carts: `cart_discount_code` links a cart to the codes
//! its shopper entered (each once). A code that does not apply now stays
//! on the cart, shown with the reason, so the shopper sees why; a deleted
//! code or cart takes its links with it. `down` drops the table: carts
//! lose their codes, which is what going below this migration means.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CartDiscountCode::Table)
                    .col(big_integer(CartDiscountCode::CartId))
                    .col(big_integer(CartDiscountCode::DiscountCodeId))
                    .col(timestamp_with_time_zone(CartDiscountCode::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("cart_discount_code_pkey")
                            .col(CartDiscountCode::CartId)
                            .col(CartDiscountCode::DiscountCodeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("cart_discount_code_cart_id_fkey")
                            .from(CartDiscountCode::Table, CartDiscountCode::CartId)
                            .to(Cart::Table, Cart::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("cart_discount_code_discount_code_id_fkey")
                            .from(CartDiscountCode::Table, CartDiscountCode::DiscountCodeId)
                            .to(DiscountCode::Table, DiscountCode::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deleting a code cascades by its column, which needs its own index.
        manager
            .create_index(
                Index::create()
                    .name("cart_discount_code_discount_code_id_idx")
                    .table(CartDiscountCode::Table)
                    .col(CartDiscountCode::DiscountCodeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CartDiscountCode::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CartDiscountCode {
    Table,
    CartId,
    DiscountCodeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DiscountCode {
    Table,
    Id,
}
