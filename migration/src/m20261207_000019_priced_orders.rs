//! Orders that record what was charged: the shipping address, the
//! shipping line, the discount codes, the taxes and the total, each as it
//! was at checkout; each line's share of the discount and of the tax. Also:
//!
//! - `product_variant.requires_shipping` (true for every existing variant:
//!   until now everything sold was goods);
//! - `order.token_hash`: a guest's order is read with a secret token, kept
//!   as its SHA-256; `order.idempotency_key`: the key a guest's checkout
//!   came with (a customer's keys are in `checkout`);
//! - `discount_code_use`: who used a code limited to one use per customer,
//!   one row per (code, buyer) — the primary key is what makes "once"
//!   exact under racing checkouts.
//!
//! Existing orders get `total = subtotal` (they charged nothing else).
//! `down` refuses while an order records shipping, a discount, tax or a
//! guest: below this migration an order cannot hold them, and records of
//! sales are not thrown away by a schema change.

use sea_orm_migration::sea_orm::Statement;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDER_COLUMNS: [(&str, &str); 11] = [
    ("shipping_address", "text NULL"),
    ("shipping_title", "varchar(255) NULL"),
    ("shipping_price", "bigint NOT NULL DEFAULT 0"),
    ("shipping_tax", "bigint NOT NULL DEFAULT 0"),
    ("discount", "bigint NOT NULL DEFAULT 0"),
    ("tax", "bigint NOT NULL DEFAULT 0"),
    ("total", "bigint NOT NULL DEFAULT 0"),
    ("taxes_included", "boolean NOT NULL DEFAULT false"),
    ("discount_codes", "text NOT NULL DEFAULT '[]'"),
    ("tax_lines", "text NOT NULL DEFAULT '[]'"),
    ("token_hash", "varchar(64) NULL"),
];

const ORDER_LINE_COLUMNS: [(&str, &str); 2] = [
    ("discount_allocation", "bigint NOT NULL DEFAULT 0"),
    ("tax", "bigint NOT NULL DEFAULT 0"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"ALTER TABLE "product_variant" ADD COLUMN "requires_shipping" boolean NOT NULL DEFAULT true"#,
        )
        .await?;
        for (name, ty) in ORDER_COLUMNS {
            db.execute_unprepared(&format!(r#"ALTER TABLE "order" ADD COLUMN "{name}" {ty}"#))
                .await?;
        }
        db.execute_unprepared(
            r#"ALTER TABLE "order" ADD COLUMN "idempotency_key" varchar(255) NULL"#,
        )
        .await?;
        db.execute_unprepared(r#"UPDATE "order" SET "total" = "subtotal""#)
            .await?;
        for (name, ty) in ORDER_LINE_COLUMNS {
            db.execute_unprepared(&format!(
                r#"ALTER TABLE "order_line" ADD COLUMN "{name}" {ty}"#
            ))
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DiscountCodeUse::Table)
                    .col(big_integer(DiscountCodeUse::DiscountCodeId))
                    .col(string_len(DiscountCodeUse::Buyer, 300))
                    .col(big_integer(DiscountCodeUse::OrderId))
                    .primary_key(
                        Index::create()
                            .name("discount_code_use_pkey")
                            .col(DiscountCodeUse::DiscountCodeId)
                            .col(DiscountCodeUse::Buyer),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("discount_code_use_discount_code_id_fkey")
                            .from(DiscountCodeUse::Table, DiscountCodeUse::DiscountCodeId)
                            .to(DiscountCode::Table, DiscountCode::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("discount_code_use_order_id_fkey")
                            .from(DiscountCodeUse::Table, DiscountCodeUse::OrderId)
                            .to(Order::Table, Order::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deleting an order cascades by its column, which needs its own index.
        manager
            .create_index(
                Index::create()
                    .name("discount_code_use_order_id_idx")
                    .table(DiscountCodeUse::Table)
                    .col(DiscountCodeUse::OrderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let priced = db
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                r#"SELECT id FROM "order" WHERE total <> subtotal OR shipping_address IS NOT NULL OR token_hash IS NOT NULL LIMIT 1"#,
            ))
            .await?;
        if let Some(row) = priced {
            let order: i64 = row.try_get("", "id")?;
            return Err(DbErr::Migration(format!(
                "order {order} (and maybe others) records shipping, a discount, tax or a guest; below this migration an order cannot hold them, so going down would lose records of sales"
            )));
        }
        manager
            .drop_table(Table::drop().table(DiscountCodeUse::Table).to_owned())
            .await?;
        for (name, _) in ORDER_LINE_COLUMNS.iter().rev() {
            db.execute_unprepared(&format!(r#"ALTER TABLE "order_line" DROP COLUMN "{name}""#))
                .await?;
        }
        db.execute_unprepared(r#"ALTER TABLE "order" DROP COLUMN "idempotency_key""#)
            .await?;
        for (name, _) in ORDER_COLUMNS.iter().rev() {
            db.execute_unprepared(&format!(r#"ALTER TABLE "order" DROP COLUMN "{name}""#))
                .await?;
        }
        db.execute_unprepared(r#"ALTER TABLE "product_variant" DROP COLUMN "requires_shipping""#)
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DiscountCodeUse {
    Table,
    DiscountCodeId,
    Buyer,
    OrderId,
}

#[derive(DeriveIden)]
enum DiscountCode {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Order {
    Table,
    Id,
}
