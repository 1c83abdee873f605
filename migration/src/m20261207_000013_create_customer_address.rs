//! Customers' address books: `customer_address`, each row one customer's,
//! with at most one default per customer (a partial unique index, so two
//! racing "make this my default" calls cannot leave two). Deleting a
//! customer deletes their addresses.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerAddress::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CustomerAddress::Id))
                    .col(big_integer(CustomerAddress::CustomerId))
                    .col(boolean(CustomerAddress::IsDefault))
                    .col(string_len_null(CustomerAddress::FirstName, 100))
                    .col(string_len_null(CustomerAddress::LastName, 100))
                    .col(string_len_null(CustomerAddress::Company, 100))
                    .col(string_len(CustomerAddress::Address1, 255))
                    .col(string_len_null(CustomerAddress::Address2, 255))
                    .col(string_len(CustomerAddress::City, 100))
                    .col(string_len_null(CustomerAddress::ProvinceCode, 10))
                    .col(string_len_null(CustomerAddress::Zip, 20))
                    .col(string_len(CustomerAddress::CountryCode, 2))
                    .col(string_len_null(CustomerAddress::Phone, 30))
                    .col(timestamp_with_time_zone(CustomerAddress::CreatedAt))
                    .col(timestamp_with_time_zone(CustomerAddress::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("customer_address_customer_id_fkey")
                            .from(CustomerAddress::Table, CustomerAddress::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customer_address_customer_id_id_idx")
                    .table(CustomerAddress::Table)
                    .col(CustomerAddress::CustomerId)
                    .col(CustomerAddress::Id)
                    .to_owned(),
            )
            .await?;
        // One default per customer (both engines have partial indexes).
        manager
            .get_connection()
            .execute_unprepared(
                r#"CREATE UNIQUE INDEX "customer_address_one_default" ON "customer_address" ("customer_id") WHERE "is_default""#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerAddress::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CustomerAddress {
    Table,
    Id,
    CustomerId,
    IsDefault,
    FirstName,
    LastName,
    Company,
    Address1,
    Address2,
    City,
    ProvinceCode,
    Zip,
    CountryCode,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}
