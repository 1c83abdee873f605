//! Relay cursor connections with keyset pagination.
//!
//! Lists are ordered by primary key and cursors encode that key, so a page is
//! `WHERE id > after ORDER BY id LIMIT n + 1` — an index range scan that costs
//! the same on page 500 as on page 1 (no OFFSET), and stays correct when rows
//! are inserted or deleted between page fetches. The extra row tells whether
//! another page follows.

use std::future::Future;
use std::pin::Pin;

use async_graphql::{Context, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{ApiError, ApiResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated request for one page: which keys bound it, how many rows, and
/// from which end (`last`/`before` pages are read backwards, then reversed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub size: u64,
    pub backward: bool,
}

impl Page {
    /// Validates Relay's `first`/`after`/`last`/`before` arguments.
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Self> {
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "give either `first` or `last`, not both",
            ));
        }
        let size = |name: &str, value: i32| -> ApiResult<u64> {
            match u64::try_from(value) {
                Ok(size) if size <= MAX_PAGE_SIZE => Ok(size),
                Ok(_) => Err(ApiError::bad_input(format!(
                    "`{name}` must be at most {MAX_PAGE_SIZE}"
                ))),
                Err(_) => Err(ApiError::bad_input(format!(
                    "`{name}` must not be negative"
                ))),
            }
        };
        let (size, backward) = match (first, last) {
            (Some(first), _) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        Ok(Page {
            after: after
                .as_deref()
                .map(|c| decode_cursor(c, "after"))
                .transpose()?,
            before: before
                .as_deref()
                .map(|c| decode_cursor(c, "before"))
                .transpose()?,
            size,
            backward,
        })
    }

    /// Restricts `select` to this page's keys, in the order it reads them,
    /// one row beyond the page.
    pub fn apply<E, C>(&self, mut select: Select<E>, key: C) -> Select<E>
    where
        E: EntityTrait,
        C: ColumnTrait,
    {
        if let Some(after) = self.after {
            select = select.filter(key.gt(after));
        }
        if let Some(before) = self.before {
            select = select.filter(key.lt(before));
        }
        let select = if self.backward {
            select.order_by_desc(key)
        } else {
            select.order_by_asc(key)
        };
        select.limit(self.size + 1)
    }

    /// Cuts rows read by [`Page::apply`] (in reading order) down to the page,
    /// in ascending key order, and works out `pageInfo`'s flags.
    pub fn slice<M>(&self, mut rows: Vec<M>) -> Slice<M> {
        let more = rows.len() as u64 > self.size;
        rows.truncate(self.size as usize);
        if self.backward {
            rows.reverse();
        }
        // Beyond the end we read, `more` is known exactly; on the other side
        // a cursor given by the client means rows existed there.
        let (has_previous_page, has_next_page) = if self.backward {
            (more, self.before.is_some())
        } else {
            (self.after.is_some(), more)
        };
        Slice {
            rows,
            has_previous_page,
            has_next_page,
        }
    }

    /// Fetches this page of `select`, keyed by the primary-key column `key`.
    pub async fn fetch<E, C, Db>(
        &self,
        db: &Db,
        select: Select<E>,
        key: C,
    ) -> Result<Slice<E::Model>, DbErr>
    where
        E: EntityTrait,
        C: ColumnTrait,
        Db: ConnectionTrait,
    {
        let rows = self.apply(select, key).all(db).await?;
        Ok(self.slice(rows))
    }
}

/// One page of rows, in ascending key order.
#[derive(Debug, Clone)]
pub struct Slice<M> {
    pub rows: Vec<M>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

pub fn encode_cursor(key: i64) -> String {
    STANDARD.encode(format!("cursor:{key}"))
}

fn decode_cursor(cursor: &str, argument: &str) -> ApiResult<i64> {
    STANDARD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("cursor:")?.parse::<i64>().ok())
        .ok_or_else(|| ApiError::bad_input(format!("`{argument}` is not a valid cursor")))
}

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

/// Counts every row of a query (ignoring pagination) with one `COUNT(*)`.
pub struct CountRows<E: EntityTrait>(pub Select<E>);

impl<E> TotalCount for CountRows<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move {
            let db = crate::db::from_context(ctx)?;
            Ok(self.0.clone().count(db).await?)
        })
    }
}

/// Declares `$connection` and `$edge`, the Relay connection types for `$node`,
/// each with its descriptions.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $singular:literal, $plural:literal) => {
        #[doc = concat!("A page of ", $plural, ", with the cursors to fetch the pages around it.")]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: $crate::pagination::PageInfo,
            pub total: Box<dyn $crate::pagination::TotalCount>,
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
            async fn page_info(&self) -> &$crate::pagination::PageInfo {
                &self.page_info
            }

            /// The number of items in the whole list, across all pages.
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> $crate::error::ApiResult<u64> {
                self.total.total_count(ctx).await
            }
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
            pub fn new<M>(
                slice: $crate::pagination::Slice<M>,
                key: impl Fn(&M) -> i64,
                to_node: impl Fn(M) -> $node,
                total: impl $crate::pagination::TotalCount + 'static,
            ) -> Self {
                let edges: Vec<$edge> = slice
                    .rows
                    .into_iter()
                    .map(|row| $edge {
                        cursor: $crate::pagination::encode_cursor(key(&row)),
                        node: to_node(row),
                    })
                    .collect();
                let page_info = $crate::pagination::PageInfo {
                    has_next_page: slice.has_next_page,
                    has_previous_page: slice.has_previous_page,
                    start_cursor: edges.first().map(|edge| edge.cursor.clone()),
                    end_cursor: edges.last().map(|edge| edge.cursor.clone()),
                };
                $connection {
                    edges,
                    page_info,
                    total: Box::new(total),
                }
            }
        }
    };
}
pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(17), "after").unwrap(), 17);
        assert!(decode_cursor("bm9wZQ==", "after").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(
            Page::parse(None, None, None, None).unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert!(Page::parse(Some(-1), None, None, None).is_err());
        assert!(Page::parse(Some(101), None, None, None).is_err());
        assert!(Page::parse(Some(1), None, Some(1), None).is_err());
    }

    #[test]
    fn slices_forward_and_backward() {
        let forward = Page::parse(Some(2), None, None, None).unwrap();
        let slice = forward.slice(vec![1, 2, 3]);
        assert_eq!(slice.rows, vec![1, 2]);
        assert!(slice.has_next_page && !slice.has_previous_page);

        let backward = Page::parse(None, None, Some(2), None).unwrap();
        let slice = backward.slice(vec![9, 8, 7]);
        assert_eq!(slice.rows, vec![8, 9]);
        assert!(slice.has_previous_page && !slice.has_next_page);
    }
}
