//! Indexes for every ordering the API lists rows in.
//!
//! Lists page by seeking on `(sort column, id)` (see `api::pagination`), so
//! each ordering gets a composite index ending in the primary key: a page is
//! then one index range scan, as cheap on page 500 as on page 1, read
//! forwards or backwards. `Customer.carts` reads carts grouped by customer,
//! so the cart indexes lead with `customer_id`; the index on `customer_id`
//! alone becomes redundant and is dropped.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, columns).
const INDEXES: &[(&str, &str, &[&str])] = &[
    ("product_name_id_idx", "product", &["name", "id"]),
    ("product_price_id_idx", "product", &["price", "id"]),
    ("product_stock_id_idx", "product", &["stock", "id"]),
    (
        "product_created_at_id_idx",
        "product",
        &["created_at", "id"],
    ),
    ("customer_name_id_idx", "customer", &["name", "id"]),
    ("customer_email_id_idx", "customer", &["email", "id"]),
    (
        "customer_created_at_id_idx",
        "customer",
        &["created_at", "id"],
    ),
    ("cart_created_at_id_idx", "cart", &["created_at", "id"]),
    ("cart_customer_id_id_idx", "cart", &["customer_id", "id"]),
    (
        "cart_customer_id_created_at_id_idx",
        "cart",
        &["customer_id", "created_at", "id"],
    ),
];

/// The index of the first migration that the composite cart indexes replace.
const REPLACED: (&str, &str, &[&str]) = ("cart_customer_id_idx", "cart", &["customer_id"]);

fn create((name, table, columns): (&str, &str, &[&str])) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

fn drop((name, table, _): (&str, &str, &[&str])) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in INDEXES {
            manager.create_index(create(*index)).await?;
        }
        manager.drop_index(drop(REPLACED)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(create(REPLACED)).await?;
        for index in INDEXES.iter().rev() {
            manager.drop_index(drop(*index)).await?;
        }
        Ok(())
    }
}
