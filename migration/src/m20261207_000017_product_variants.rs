//! Variants: a product is sold as one or more variants (a T-shirt in "M /
//! Blue"), each with its own price, stock and SKU.
//!
//! - `product_option` and `product_option_value`: a product's options
//!   ("Size", "Color") in order, each with its values in order.
//! - `product_variant`: what is sold. `option_key` is the variant's option
//!   value ids in option order (`"12,40"`; empty without options), unique
//!   per product, so the database itself refuses two variants with the
//!   same combination, even from racing writers. SKUs are unique when given.
//! - `product_variant_value`: which option values a variant has, for
//!   filters and facets.
//! - `cart_line` replaces `cart_product`: a cart holds variants, one line
//!   per variant.
//! - `order_line` gains the variant sold and snapshots of its SKU, title
//!   and options. `variant_id` has no foreign key on purpose: an order line
//!   is a record of a sale and is never written again, so a deleted
//!   variant leaves a dangling id (ids are never reused), which reads as
//!   no variant.
//! - `product.price` and `product.stock` stay, now as the lowest variant
//!   price and the units of all variants together (for sorting and
//!   filtering lists), kept by the server's writes. The sum of many
//!   variants' stock can pass 32 bits, so PostgreSQL's `stock` becomes a
//!   `bigint` (SQLite's integers are 64-bit already).
//!
//! Every existing product gets one variant, "Default Title", carrying its
//! price and stock, and every cart line and order line points at it.
//! `down` goes back only while every product has exactly one variant (the
//! old schema cannot hold more without losing data) and refuses otherwise,
//! saying so.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The title of the one variant of a product without options.
const DEFAULT_TITLE: &str = "Default Title";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductOption::Table)
                    .col(big_pk_auto(ProductOption::Id))
                    .col(big_integer(ProductOption::ProductId))
                    .col(integer(ProductOption::Position))
                    .col(string_len(ProductOption::Name, 255))
                    .foreign_key(&mut cascade(
                        "product_option_product_id_fkey",
                        (ProductOption::Table, ProductOption::ProductId),
                        (Product::Table, Product::Id),
                    ))
                    .index(
                        Index::create()
                            .name("product_option_product_id_name_key")
                            .col(ProductOption::ProductId)
                            .col(ProductOption::Name)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductOptionValue::Table)
                    .col(big_pk_auto(ProductOptionValue::Id))
                    .col(big_integer(ProductOptionValue::OptionId))
                    .col(big_integer(ProductOptionValue::ProductId))
                    .col(integer(ProductOptionValue::Position))
                    .col(string_len(ProductOptionValue::Value, 255))
                    .foreign_key(&mut cascade(
                        "product_option_value_option_id_fkey",
                        (ProductOptionValue::Table, ProductOptionValue::OptionId),
                        (ProductOption::Table, ProductOption::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "product_option_value_product_id_fkey",
                        (ProductOptionValue::Table, ProductOptionValue::ProductId),
                        (Product::Table, Product::Id),
                    ))
                    .index(
                        Index::create()
                            .name("product_option_value_option_id_value_key")
                            .col(ProductOptionValue::OptionId)
                            .col(ProductOptionValue::Value)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "product_option_value_product_id_idx",
            ProductOptionValue::Table,
            ProductOptionValue::ProductId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProductVariant::Table)
                    .col(big_pk_auto(ProductVariant::Id))
                    .col(big_integer(ProductVariant::ProductId))
                    .col(string_len(ProductVariant::Title, 1024))
                    .col(string_len_null(ProductVariant::Sku, 255))
                    // Money in minor units (cents): integers never round.
                    .col(big_integer(ProductVariant::Price))
                    .col(big_integer_null(ProductVariant::CompareAtPrice))
                    .col(integer(ProductVariant::Stock))
                    .col(big_integer_null(ProductVariant::ImageId))
                    .col(string_len(ProductVariant::OptionKey, 1024))
                    .col(timestamp_with_time_zone(ProductVariant::CreatedAt))
                    .col(timestamp_with_time_zone(ProductVariant::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "product_variant_product_id_fkey",
                        (ProductVariant::Table, ProductVariant::ProductId),
                        (Product::Table, Product::Id),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("product_variant_image_id_fkey")
                            .from(ProductVariant::Table, ProductVariant::ImageId)
                            .to(Image::Table, Image::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("product_variant_product_id_option_key_key")
                            .col(ProductVariant::ProductId)
                            .col(ProductVariant::OptionKey)
                            .unique(),
                    )
                    .index(
                        Index::create()
                            .name("product_variant_sku_key")
                            .col(ProductVariant::Sku)
                            .unique(),
                    )
                    .check(Check::named(
                        "product_variant_price_non_negative",
                        Expr::col(ProductVariant::Price).gte(0),
                    ))
                    .check(Check::named(
                        "product_variant_compare_at_price_non_negative",
                        Expr::col(ProductVariant::CompareAtPrice).gte(0),
                    ))
                    .check(Check::named(
                        "product_variant_stock_non_negative",
                        Expr::col(ProductVariant::Stock).gte(0),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "product_variant_image_id_idx",
            ProductVariant::Table,
            ProductVariant::ImageId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProductVariantValue::Table)
                    .col(big_integer(ProductVariantValue::VariantId))
                    .col(big_integer(ProductVariantValue::OptionValueId))
                    .primary_key(
                        Index::create()
                            .name("product_variant_value_pkey")
                            .col(ProductVariantValue::VariantId)
                            .col(ProductVariantValue::OptionValueId),
                    )
                    .foreign_key(&mut cascade(
                        "product_variant_value_variant_id_fkey",
                        (ProductVariantValue::Table, ProductVariantValue::VariantId),
                        (ProductVariant::Table, ProductVariant::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "product_variant_value_option_value_id_fkey",
                        (
                            ProductVariantValue::Table,
                            ProductVariantValue::OptionValueId,
                        ),
                        (ProductOptionValue::Table, ProductOptionValue::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "product_variant_value_option_value_id_idx",
            ProductVariantValue::Table,
            ProductVariantValue::OptionValueId,
        )
        .await?;

        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(r#"ALTER TABLE product ALTER COLUMN stock TYPE bigint"#)
                .await?;
        }
        db.execute_unprepared(&format!(
            r#"INSERT INTO product_variant (product_id, title, sku, price, compare_at_price, stock, image_id, option_key, created_at, updated_at)
               SELECT id, '{DEFAULT_TITLE}', NULL, price, NULL, stock, NULL, '', created_at, updated_at FROM product ORDER BY id"#
        ))
        .await?;

        create_lines_table(manager, LineKind::Variant).await?;
        db.execute_unprepared(
            r#"INSERT INTO cart_line (cart_id, variant_id, quantity)
               SELECT cart_product.cart_id, product_variant.id, cart_product.quantity
               FROM cart_product JOIN product_variant ON product_variant.product_id = cart_product.product_id"#,
        )
        .await?;
        manager
            .drop_table(Table::drop().table(CartProduct::Table).to_owned())
            .await?;

        for column in [
            big_integer_null(OrderLine::VariantId),
            string_len_null(OrderLine::Sku, 255),
            string_len(OrderLine::VariantTitle, 1024)
                .default(DEFAULT_TITLE)
                .to_owned(),
            text(OrderLine::SelectedOptions).default("[]").to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(OrderLine::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared(
            r#"UPDATE order_line SET variant_id =
                 (SELECT product_variant.id FROM product_variant WHERE product_variant.product_id = order_line.product_id)"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let several = db
            .query_one(
                &Query::select()
                    .column(ProductVariant::ProductId)
                    .from(ProductVariant::Table)
                    .group_by_col(ProductVariant::ProductId)
                    .and_having(Expr::col(ProductVariant::Id).count().gt(1))
                    .limit(1)
                    .to_owned(),
            )
            .await?;
        if let Some(row) = several {
            let product: i64 = row.try_get("", "product_id")?;
            return Err(DbErr::Migration(format!(
                "product {product} (and maybe others) has more than one variant; below this migration a product is one price and one stock, so going down would lose variants: delete the extra variants first"
            )));
        }
        db.execute_unprepared(
            r#"UPDATE product SET
                 price = (SELECT product_variant.price FROM product_variant WHERE product_variant.product_id = product.id),
                 stock = (SELECT product_variant.stock FROM product_variant WHERE product_variant.product_id = product.id)
               WHERE EXISTS (SELECT 1 FROM product_variant WHERE product_variant.product_id = product.id)"#,
        )
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(r#"ALTER TABLE product ALTER COLUMN stock TYPE integer"#)
                .await?;
        }
        create_lines_table(manager, LineKind::Product).await?;
        db.execute_unprepared(
            r#"INSERT INTO cart_product (cart_id, product_id, quantity)
               SELECT cart_line.cart_id, product_variant.product_id, cart_line.quantity
               FROM cart_line JOIN product_variant ON product_variant.id = cart_line.variant_id"#,
        )
        .await?;
        manager
            .drop_table(Table::drop().table(CartLine::Table).to_owned())
            .await?;
        for column in [
            OrderLine::VariantId,
            OrderLine::Sku,
            OrderLine::VariantTitle,
            OrderLine::SelectedOptions,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrderLine::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            ProductVariantValue::Table.into_iden(),
            ProductVariant::Table.into_iden(),
            ProductOptionValue::Table.into_iden(),
            ProductOption::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Which table of cart lines: by variant (`cart_line`, from here on) or by
/// product (`cart_product`, as it was before).
enum LineKind {
    Variant,
    Product,
}

/// Creates the cart lines table of `kind`: one line per cart and variant
/// (or product), a positive quantity, gone with its cart or what it holds.
async fn create_lines_table(manager: &SchemaManager<'_>, kind: LineKind) -> Result<(), DbErr> {
    let (table, held, held_table, prefix) = match kind {
        LineKind::Variant => (
            CartLine::Table.into_iden(),
            CartLine::VariantId.into_iden(),
            ProductVariant::Table.into_iden(),
            "cart_line",
        ),
        LineKind::Product => (
            CartProduct::Table.into_iden(),
            CartProduct::ProductId.into_iden(),
            Product::Table.into_iden(),
            "cart_product",
        ),
    };
    manager
        .create_table(
            Table::create()
                .table(table.clone())
                .col(big_integer(CartLine::CartId))
                .col(big_integer(held.clone()))
                .col(integer(CartLine::Quantity))
                // The key also serves lookups of a cart's lines (its
                // leading column).
                .primary_key(
                    Index::create()
                        .name(format!("{prefix}_pkey"))
                        .col(CartLine::CartId)
                        .col(held.clone()),
                )
                .foreign_key(&mut cascade(
                    &format!("{prefix}_cart_id_fkey"),
                    (table.clone(), CartLine::CartId.into_iden()),
                    (Cart::Table.into_iden(), Cart::Id.into_iden()),
                ))
                .foreign_key(&mut cascade(
                    &format!("{prefix}_{}_fkey", held),
                    (table.clone(), held.clone()),
                    (held_table, Product::Id.into_iden()),
                ))
                .check(Check::named(
                    format!("{prefix}_quantity_positive"),
                    Expr::col(CartLine::Quantity).gt(0),
                ))
                .to_owned(),
        )
        .await?;
    // Deleting a variant (or product) cascades by its column, which needs
    // its own index.
    manager
        .create_index(
            Index::create()
                .name(format!("{prefix}_{}_idx", held))
                .table(table)
                .col(held)
                .to_owned(),
        )
        .await
}

/// A foreign key that goes with the row it points at.
fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Image {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductOption {
    Table,
    Id,
    ProductId,
    Position,
    Name,
}

#[derive(DeriveIden)]
enum ProductOptionValue {
    Table,
    Id,
    OptionId,
    ProductId,
    Position,
    Value,
}

#[derive(DeriveIden)]
enum ProductVariant {
    Table,
    Id,
    ProductId,
    Title,
    Sku,
    Price,
    CompareAtPrice,
    Stock,
    ImageId,
    OptionKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductVariantValue {
    Table,
    VariantId,
    OptionValueId,
}

#[derive(DeriveIden)]
enum CartLine {
    Table,
    CartId,
    VariantId,
    Quantity,
}

#[derive(DeriveIden)]
enum CartProduct {
    Table,
    ProductId,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    VariantId,
    Sku,
    VariantTitle,
    SelectedOptions,
}
