use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cart::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Cart::Id))
                    .col(big_integer(Cart::CustomerId))
                    .col(timestamp_with_time_zone(Cart::CreatedAt))
                    .col(timestamp_with_time_zone(Cart::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("cart_customer_id_fkey")
                            .from(Cart::Table, Cart::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Neither engine indexes a foreign key by itself; `Customer.carts`
        // and the cascade on customer delete both look carts up by customer.
        manager
            .create_index(
                Index::create()
                    .name("cart_customer_id_idx")
                    .table(Cart::Table)
                    .col(Cart::CustomerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Cart::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
    CustomerId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}
