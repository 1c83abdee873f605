//! Relay connection types: `PageInfo`, where `totalCount` comes from, and
//! the `connection!` macro that declares a list's connection and edge.

use std::future::Future;
use std::pin::Pin;

use async_graphql::{Context, SimpleObject};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, Select};

use crate::context::Shared;
use crate::error::ApiResult;

/// Information about the page of a connection.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether items exist after this page (more to read with `first`/`after`).
    pub has_next_page: bool,
    /// Whether items exist before this page (more to read with `last`/`before`).
    pub has_previous_page: bool,
    /// The cursor of the first edge, to continue backwards with `before`.
    pub start_cursor: Option<String>,
    /// The cursor of the last edge, to continue forwards with `after`.
    pub end_cursor: Option<String>,
}

/// A boxed future borrowing from the request context.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a connection's `totalCount` comes from. It is computed only when the
/// client asks for it.
pub trait TotalCount: Send + Sync {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>>;
}

impl TotalCount for Box<dyn TotalCount> {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        self.as_ref().total_count(ctx)
    }
}

/// Counts every row of a query (ignoring pagination) with one `COUNT(*)`.
pub struct CountRows<E: EntityTrait>(pub Select<E>);

impl<E> TotalCount for CountRows<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let db = ctx.shared::<DatabaseConnection>()?;
            Ok(self.0.clone().count(db).await?)
        })
    }
}

/// Declares `$connection` and `$edge`, the Relay connection types for `$node`,
/// each with its descriptions. `$total` (by default any boxed [`TotalCount`])
/// answers `totalCount`; `$extra` adds fields to the connection.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $singular:literal, $plural:literal) => {
        $crate::store::pagination::connection!(
            $connection,
            $edge,
            $node,
            $singular,
            $plural,
            Box<dyn $crate::store::pagination::TotalCount>,
            {}
        );
    };
    (
        $connection:ident,
        $edge:ident,
        $node:ty,
        $singular:literal,
        $plural:literal,
        $total:ty,
        { $($extra:tt)* }
    ) => {
        #[doc = concat!("A page of ", $plural, ", with the cursors to fetch the pages around it.")]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: $crate::store::pagination::PageInfo,
            pub total: $total,
        }

        #[async_graphql::Object]
        #[doc = concat!("A page of ", $plural, ", with the cursors to fetch the pages around it.")]
        impl $connection {
            #[doc = concat!("The ", $plural, " of this page, each with its cursor.")]
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            #[doc = concat!("The ", $plural, " of this page.")]
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|edge| &edge.node).collect()
            }

            /// Where this page lies in the whole list.
            async fn page_info(&self) -> &$crate::store::pagination::PageInfo {
                &self.page_info
            }

            /// The number of items in the whole list, across all pages.
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> $crate::error::ApiResult<u64> {
                $crate::store::pagination::TotalCount::total_count(&self.total, ctx).await
            }

            $($extra)*
        }

        #[doc = concat!("One ", $singular, " in a page, with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// An opaque cursor: pass it as `after` or `before` to page from here.
            pub cursor: String,
            #[doc = concat!("The ", $singular, ".")]
            pub node: $node,
        }

        impl $connection {
            /// Builds the connection for `slice`, whose rows become nodes by `to_node`.
            pub fn new<M, C>(
                slice: $crate::store::pagination::Slice<M, C>,
                to_node: impl Fn(M) -> $node,
                total: $total,
            ) -> Self
            where
                M: sea_orm::ModelTrait + $crate::store::pagination::Keyed,
                M::Entity: sea_orm::EntityTrait<Column = C>,
                C: sea_orm::ColumnTrait,
            {
                let cursors: Vec<String> = slice.rows.iter().map(|row| slice.cursor(row)).collect();
                let edges: Vec<$edge> = slice
                    .rows
                    .into_iter()
                    .zip(cursors)
                    .map(|(row, cursor)| $edge {
                        cursor,
                        node: to_node(row),
                    })
                    .collect();
                let page_info = $crate::store::pagination::PageInfo {
                    has_next_page: slice.has_next_page,
                    has_previous_page: slice.has_previous_page,
                    start_cursor: edges.first().map(|edge| edge.cursor.clone()),
                    end_cursor: edges.last().map(|edge| edge.cursor.clone()),
                };
                $connection {
                    edges,
                    page_info,
                    total,
                }
            }
        }
    };
}
pub(crate) use connection;
