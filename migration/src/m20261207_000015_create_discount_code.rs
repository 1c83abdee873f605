//! Discount codes, as staff define them: a code (unique ignoring case, by
//! `code_key`, its lower-case form), a kind with its value (a percentage in
//! parts per million, or an amount in minor units; nothing for free
//! shipping), an optional window, minimum subtotal and usage limit, and the
//! collections it is limited to (`discount_code_collection`; none: every
//! product). `used_count` is what checkout will count uses against,
//! exactly, with a conditional update.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DiscountCode::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DiscountCode::Id))
                    .col(string_len(DiscountCode::Code, 64))
                    .col(string_len_uniq(DiscountCode::CodeKey, 64))
                    .col(string_len(DiscountCode::Kind, 20))
                    .col(integer_null(DiscountCode::PercentPpm))
                    .col(big_integer_null(DiscountCode::Amount))
                    .col(big_integer_null(DiscountCode::MinimumSubtotal))
                    .col(timestamp_with_time_zone_null(DiscountCode::StartsAt))
                    .col(timestamp_with_time_zone_null(DiscountCode::EndsAt))
                    .col(integer_null(DiscountCode::UsageLimit))
                    .col(integer(DiscountCode::UsedCount).default(0))
                    .col(boolean(DiscountCode::OncePerCustomer))
                    .col(timestamp_with_time_zone(DiscountCode::CreatedAt))
                    .col(timestamp_with_time_zone(DiscountCode::UpdatedAt))
                    .check(Check::named(
                        "discount_code_value_fits_kind",
                        Expr::cust(
                            r#"("kind" = 'PERCENTAGE' AND "percent_ppm" BETWEEN 1 AND 1000000 AND "amount" IS NULL)
                            OR ("kind" = 'FIXED_AMOUNT' AND "amount" > 0 AND "percent_ppm" IS NULL)
                            OR ("kind" = 'FREE_SHIPPING' AND "amount" IS NULL AND "percent_ppm" IS NULL)"#,
                        ),
                    ))
                    .check(Check::named(
                        "discount_code_uses_counted",
                        Expr::cust(
                            r#""used_count" >= 0 AND ("usage_limit" IS NULL OR ("usage_limit" >= 1 AND "used_count" <= "usage_limit"))"#,
                        ),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiscountCodeCollection::Table)
                    .if_not_exists()
                    .col(big_integer(DiscountCodeCollection::DiscountCodeId))
                    .col(big_integer(DiscountCodeCollection::CollectionId))
                    .primary_key(
                        Index::create()
                            .name("discount_code_collection_pkey")
                            .col(DiscountCodeCollection::DiscountCodeId)
                            .col(DiscountCodeCollection::CollectionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("discount_code_collection_discount_code_id_fkey")
                            .from(
                                DiscountCodeCollection::Table,
                                DiscountCodeCollection::DiscountCodeId,
                            )
                            .to(DiscountCode::Table, DiscountCode::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("discount_code_collection_collection_id_fkey")
                            .from(
                                DiscountCodeCollection::Table,
                                DiscountCodeCollection::CollectionId,
                            )
                            .to(Collection::Table, Collection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("discount_code_collection_collection_id_idx")
                    .table(DiscountCodeCollection::Table)
                    .col(DiscountCodeCollection::CollectionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DiscountCodeCollection::Table.into_iden(),
            DiscountCode::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DiscountCode {
    Table,
    Id,
    Code,
    CodeKey,
    Kind,
    PercentPpm,
    Amount,
    MinimumSubtotal,
    StartsAt,
    EndsAt,
    UsageLimit,
    UsedCount,
    OncePerCustomer,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DiscountCodeCollection {
    Table,
    DiscountCodeId,
    CollectionId,
}

#[derive(DeriveIden)]
enum Collection {
    Table,
    Id,
}
