//! Automatic persisted queries shared by every instance: a query registered
//! on one (its SHA-256 and its text) is found by hash on the others, so a
//! client behind a load balancer is not asked for the text again on each.
//! Rows are deleted 30 days after registration (a client whose hash is
//! gone just sends the text again, as the protocol expects).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedQuery::Table)
                    .if_not_exists()
                    .col(string_len(PersistedQuery::Hash, 64).primary_key())
                    .col(text(PersistedQuery::Query))
                    .col(timestamp_with_time_zone(PersistedQuery::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("persisted_query_created_at_idx")
                    .table(PersistedQuery::Table)
                    .col(PersistedQuery::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedQuery::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersistedQuery {
    Table,
    Hash,
    Query,
    CreatedAt,
}
