use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customer::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Customer::Id))
                    .col(string_len(Customer::Email, 254))
                    .col(string_len(Customer::Name, 200))
                    .col(timestamp_with_time_zone(Customer::CreatedAt))
                    .col(timestamp_with_time_zone(Customer::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Emails are stored lower-cased by the API, so a plain unique index
        // is a case-insensitive uniqueness guarantee on both engines.
        manager
            .create_index(
                Index::create()
                    .name("customer_email_key")
                    .table(Customer::Table)
                    .col(Customer::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Customer::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    Email,
    Name,
    CreatedAt,
    UpdatedAt,
}
