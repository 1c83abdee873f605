//! The catalogue's first shape beyond one row per product: handles, images
//! and collections.
//!
//! - `product.handle`: a unique, URL-safe name (`espresso-beans`) for
//!   storefront links. Existing products get one made from their names the
//!   way the server makes them ([`handle_from`]), with `-2`, `-3`, … when
//!   two names make the same handle, in product order.
//! - `image`: pictures hosted elsewhere (a URL, alt text, optional size),
//!   each either a product's (in `position` order) or a collection's.
//! - `collection` and `collection_product`: named groups of products.
//!
//! `down` drops the new tables and the column; the images and collections
//! are lost, which is what going below this migration means.

use std::collections::HashSet;

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The longest handle.
const MAX_HANDLE_CHARS: usize = 255;

/// The handle a name makes: ASCII letters (others transliterated: "Café"
/// → "cafe") and digits in lower case, runs of anything else as one `-`,
/// none at either end, at most [`MAX_HANDLE_CHARS`]; `product` when
/// nothing is left. The server makes new products' handles the same way.
fn handle_from(name: &str) -> String {
    let mut handle = slug::slugify(name);
    if handle.len() > MAX_HANDLE_CHARS {
        handle.truncate(MAX_HANDLE_CHARS);
        handle = handle.trim_end_matches('-').to_owned();
    }
    if handle.is_empty() {
        "product".to_owned()
    } else {
        handle
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // A default only so that existing rows can take the column; every
        // row gets its own handle below, and the server always writes one.
        db.execute_unprepared(
            r#"ALTER TABLE "product" ADD COLUMN "handle" varchar(255) NOT NULL DEFAULT ''"#,
        )
        .await?;
        let rows = db
            .query_all(
                &Query::select()
                    .columns([Product::Id, Product::Name])
                    .from(Product::Table)
                    .order_by(Product::Id, Order::Asc)
                    .to_owned(),
            )
            .await?;
        let mut taken = HashSet::new();
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let base = handle_from(&name);
            let mut handle = base.clone();
            let mut n = 2;
            while !taken.insert(handle.clone()) {
                handle = with_suffix(&base, n);
                n += 1;
            }
            db.execute(
                &Query::update()
                    .table(Product::Table)
                    .value(Product::Handle, handle)
                    .and_where(Expr::col(Product::Id).eq(id))
                    .to_owned(),
            )
            .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("product_handle_key")
                    .table(Product::Table)
                    .col(Product::Handle)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Collection::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Collection::Id))
                    .col(string_len_uniq(Collection::Handle, 255))
                    .col(string_len(Collection::Title, 255))
                    .col(text_null(Collection::Description))
                    .col(timestamp_with_time_zone(Collection::CreatedAt))
                    .col(timestamp_with_time_zone(Collection::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CollectionProduct::Table)
                    .if_not_exists()
                    .col(big_integer(CollectionProduct::CollectionId))
                    .col(big_integer(CollectionProduct::ProductId))
                    // The key serves a collection's products; the index
                    // below a product's collections.
                    .primary_key(
                        Index::create()
                            .name("collection_product_pkey")
                            .col(CollectionProduct::CollectionId)
                            .col(CollectionProduct::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("collection_product_collection_id_fkey")
                            .from(CollectionProduct::Table, CollectionProduct::CollectionId)
                            .to(Collection::Table, Collection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("collection_product_product_id_fkey")
                            .from(CollectionProduct::Table, CollectionProduct::ProductId)
                            .to(Product::Table, Product::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("collection_product_product_id_collection_id_idx")
                    .table(CollectionProduct::Table)
                    .col(CollectionProduct::ProductId)
                    .col(CollectionProduct::CollectionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Image::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Image::Id))
                    .col(big_integer_null(Image::ProductId))
                    .col(big_integer_null(Image::CollectionId))
                    .col(integer(Image::Position))
                    .col(string_len(Image::Url, 2048))
                    .col(string_len_null(Image::AltText, 512))
                    .col(integer_null(Image::Width))
                    .col(integer_null(Image::Height))
                    .foreign_key(
                        ForeignKey::create()
                            .name("image_product_id_fkey")
                            .from(Image::Table, Image::ProductId)
                            .to(Product::Table, Product::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("image_collection_id_fkey")
                            .from(Image::Table, Image::CollectionId)
                            .to(Collection::Table, Collection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Each image is a product's or a collection's.
                    .check(Check::named(
                        "image_owner_one",
                        Expr::cust(
                            r#"("product_id" IS NULL) <> ("collection_id" IS NULL)"#,
                        ),
                    ))
                    .check(Check::named(
                        "image_size_positive",
                        Expr::cust(
                            r#"("width" IS NULL OR "width" > 0) AND ("height" IS NULL OR "height" > 0)"#,
                        ),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("image_product_id_position_id_idx", Image::ProductId),
            ("image_collection_id_position_id_idx", Image::CollectionId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Image::Table)
                        .col(column)
                        .col(Image::Position)
                        .col(Image::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Image::Table.into_iden(),
            CollectionProduct::Table.into_iden(),
            Collection::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("product_handle_key")
                    .table(Product::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(r#"ALTER TABLE "product" DROP COLUMN "handle""#)
            .await?;
        Ok(())
    }
}

/// `base` with `-n`, shortened so that the whole stays within
/// [`MAX_HANDLE_CHARS`].
fn with_suffix(base: &str, n: usize) -> String {
    let suffix = format!("-{n}");
    let mut stem = base.to_owned();
    stem.truncate(MAX_HANDLE_CHARS - suffix.len());
    format!("{}{suffix}", stem.trim_end_matches('-'))
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
    Name,
    Handle,
}

#[derive(DeriveIden)]
enum Collection {
    Table,
    Id,
    Handle,
    Title,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CollectionProduct {
    Table,
    CollectionId,
    ProductId,
}

#[derive(DeriveIden)]
enum Image {
    Table,
    Id,
    ProductId,
    CollectionId,
    Position,
    Url,
    AltText,
    Width,
    Height,
}
