use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Product::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Product::Id))
                    .col(string_len(Product::Name, 200))
                    .col(text_null(Product::Description))
                    // Money in minor units (cents): integers never round.
                    .col(big_integer(Product::Price))
                    .col(integer(Product::Stock))
                    .col(timestamp_with_time_zone(Product::CreatedAt))
                    .col(timestamp_with_time_zone(Product::UpdatedAt))
                    .check(Check::named(
                        "product_price_non_negative",
                        Expr::col(Product::Price).gte(0),
                    ))
                    .check(Check::named(
                        "product_stock_non_negative",
                        Expr::col(Product::Stock).gte(0),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Product::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
    Name,
    Description,
    Price,
    Stock,
    CreatedAt,
    UpdatedAt,
}
