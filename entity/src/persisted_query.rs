//! An automatic persisted query: a query's SHA-256 and its text, shared by
//! every server instance.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_query")]
pub struct Model {
    /// The SHA-256 of `query`, in lower-case hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub query: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
