//! What checkout will charge beyond the goods: shipping zones (a name and
//! the countries it covers, each country in at most one zone) with their
//! rates (a title, a price, optional bounds on the subtotal), and tax rates
//! per country and, where set, province. Staff configure them; checkout
//! applies them.
//!
//! A tax rate is stored in parts per million of the taxed amount (8.25 % is
//! 82,500), so any rate with up to four decimals of a percent is exact.
//! `province_code` is `''` for a whole country rather than NULL, so that
//! the unique key (country, province) holds on both engines (NULLs are
//! distinct in a unique index).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShippingZone::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShippingZone::Id))
                    .col(string_len(ShippingZone::Name, 200))
                    .col(timestamp_with_time_zone(ShippingZone::CreatedAt))
                    .col(timestamp_with_time_zone(ShippingZone::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShippingZoneCountry::Table)
                    .if_not_exists()
                    // A country is in one zone at most: the key alone.
                    .col(string_len(ShippingZoneCountry::CountryCode, 2).primary_key())
                    .col(big_integer(ShippingZoneCountry::ZoneId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("shipping_zone_country_zone_id_fkey")
                            .from(ShippingZoneCountry::Table, ShippingZoneCountry::ZoneId)
                            .to(ShippingZone::Table, ShippingZone::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shipping_zone_country_zone_id_idx")
                    .table(ShippingZoneCountry::Table)
                    .col(ShippingZoneCountry::ZoneId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShippingRate::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShippingRate::Id))
                    .col(big_integer(ShippingRate::ZoneId))
                    .col(integer(ShippingRate::Position))
                    .col(string_len(ShippingRate::Title, 200))
                    .col(big_integer(ShippingRate::Price))
                    .col(big_integer_null(ShippingRate::MinSubtotal))
                    .col(big_integer_null(ShippingRate::MaxSubtotal))
                    .foreign_key(
                        ForeignKey::create()
                            .name("shipping_rate_zone_id_fkey")
                            .from(ShippingRate::Table, ShippingRate::ZoneId)
                            .to(ShippingZone::Table, ShippingZone::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "shipping_rate_amounts_valid",
                        Expr::cust(
                            r#""price" >= 0 AND ("min_subtotal" IS NULL OR "min_subtotal" >= 0) AND ("max_subtotal" IS NULL OR "max_subtotal" >= COALESCE("min_subtotal", 0))"#,
                        ),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shipping_rate_zone_id_position_idx")
                    .table(ShippingRate::Table)
                    .col(ShippingRate::ZoneId)
                    .col(ShippingRate::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaxRate::Table)
                    .if_not_exists()
                    .col(big_pk_auto(TaxRate::Id))
                    .col(string_len(TaxRate::CountryCode, 2))
                    .col(string_len(TaxRate::ProvinceCode, 10))
                    .col(integer(TaxRate::RatePpm))
                    .col(string_len(TaxRate::Title, 200))
                    .col(timestamp_with_time_zone(TaxRate::UpdatedAt))
                    .check(Check::named(
                        "tax_rate_rate_valid",
                        Expr::cust(r#""rate_ppm" >= 0 AND "rate_ppm" <= 1000000"#),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tax_rate_country_code_province_code_key")
                    .table(TaxRate::Table)
                    .col(TaxRate::CountryCode)
                    .col(TaxRate::ProvinceCode)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TaxRate::Table.into_iden(),
            ShippingRate::Table.into_iden(),
            ShippingZoneCountry::Table.into_iden(),
            ShippingZone::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ShippingZone {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShippingZoneCountry {
    Table,
    CountryCode,
    ZoneId,
}

#[derive(DeriveIden)]
enum ShippingRate {
    Table,
    Id,
    ZoneId,
    Position,
    Title,
    Price,
    MinSubtotal,
    MaxSubtotal,
}

#[derive(DeriveIden)]
enum TaxRate {
    Table,
    Id,
    CountryCode,
    ProvinceCode,
    RatePpm,
    Title,
    UpdatedAt,
}
