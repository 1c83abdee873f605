use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CartProduct::Table)
                    .if_not_exists()
                    .col(big_integer(CartProduct::CartId))
                    .col(big_integer(CartProduct::ProductId))
                    .col(integer(CartProduct::Quantity))
                    // One line per product per cart; the key also serves
                    // lookups of a cart's lines (its leading column).
                    .primary_key(
                        Index::create()
                            .name("cart_product_pkey")
                            .col(CartProduct::CartId)
                            .col(CartProduct::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("cart_product_cart_id_fkey")
                            .from(CartProduct::Table, CartProduct::CartId)
                            .to(Cart::Table, Cart::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("cart_product_product_id_fkey")
                            .from(CartProduct::Table, CartProduct::ProductId)
                            .to(Product::Table, Product::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "cart_product_quantity_positive",
                        Expr::col(CartProduct::Quantity).gt(0),
                    ))
                    .to_owned(),
            )
            .await?;
        // The primary key covers cart_id; deleting a product cascades by
        // product_id, which needs its own index.
        manager
            .create_index(
                Index::create()
                    .name("cart_product_product_id_idx")
                    .table(CartProduct::Table)
                    .col(CartProduct::ProductId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CartProduct::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CartProduct {
    Table,
    CartId,
    ProductId,
    Quantity,
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
}
