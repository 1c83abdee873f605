//! Relay cursor connections with keyset (seek) pagination.
//!
//! A list is ordered by one sort column and then by primary key, which makes
//! the order total. A cursor encodes that ordering together with the row's
//! sort value and id, so a page is `WHERE (col, id) > (v, id) ORDER BY col, id
//! LIMIT n + 1`: an index range scan (see the indexes migration) that costs
//! the same on page 500 as on page 1 (no OFFSET) and stays correct when rows
//! are inserted or deleted between page fetches. The extra row tells whether
//! another page follows.

mod connection;
mod cursor;
mod order;

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

pub(crate) use connection::connection;
pub use connection::{BoxFuture, CountRows, PageInfo, TotalCount};
pub use cursor::{Position, SortValue};
pub use order::{Order, OrderDirection, SortColumn, SortKind};

use crate::error::{ApiError, ApiResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

impl<C: ColumnTrait> std::hash::Hash for Order<C> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}
/// A validated request for one page: its ordering, which positions bound it,
/// how many rows, and from which end (`last`/`before` pages are read
/// backwards, then reversed).
#[derive(Debug, Clone)]
pub struct Page<C: ColumnTrait> {
    pub order: Order<C>,
    pub after: Option<Position>,
    pub before: Option<Position>,
    pub size: u64,
    pub backward: bool,
}

// By hand: columns have no `Eq` of their own, so `derive` cannot (pages
// key the batch loads of `Customer.carts`).
impl<C: ColumnTrait> PartialEq for Page<C> {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.order,
            &self.after,
            &self.before,
            self.size,
            self.backward,
        ) == (
            &other.order,
            &other.after,
            &other.before,
            other.size,
            other.backward,
        )
    }
}

impl<C: ColumnTrait> Eq for Page<C> {}

impl<C: ColumnTrait> std::hash::Hash for Page<C> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            &self.order,
            &self.after,
            &self.before,
            self.size,
            self.backward,
        )
            .hash(state);
    }
}

impl<C: ColumnTrait> Page<C> {
    /// Validates Relay's `first`/`after`/`last`/`before` arguments for a
    /// list in `order`.
    pub fn parse(
        order: Order<C>,
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
        let position = |cursor: Option<String>, argument: &str| {
            cursor
                .map(|cursor| Position::decode(&cursor, &order, argument))
                .transpose()
        };
        Ok(Page {
            after: position(after, "after")?,
            before: position(before, "before")?,
            order,
            size,
            backward,
        })
    }

    /// Whether rows are read largest first: descending lists read forwards,
    /// or ascending ones read backwards.
    fn reads_descending(&self) -> bool {
        self.order.descending() != self.backward
    }

    /// Restricts `select` to this page's positions, in the order it reads
    /// them; the caller reads one row beyond the page.
    fn apply_unlimited<E: EntityTrait<Column = C>>(&self, mut select: Select<E>) -> Select<E> {
        let columns = self.order.columns();
        let descending = self.order.descending();
        if let Some(after) = &self.after {
            select = select.filter(seek(&columns, after, !descending));
        }
        if let Some(before) = &self.before {
            select = select.filter(seek(&columns, before, descending));
        }
        let order = if self.reads_descending() {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        for column in columns {
            select = select.order_by(column, order.clone());
        }
        select
    }

    /// The `ORDER BY` list of [`Page::apply`], as SQL, for window functions.
    pub fn order_sql(&self) -> String {
        let direction = if self.reads_descending() {
            "DESC"
        } else {
            "ASC"
        };
        self.order
            .columns()
            .iter()
            .map(|column| format!(r#""{}" {direction}"#, column.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Cuts rows read by [`Page::apply`] (in reading order) down to the page,
    /// in list order, and works out `pageInfo`'s flags.
    pub fn slice<M>(&self, mut rows: Vec<M>) -> Slice<M, C> {
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
            order: self.order,
            has_previous_page,
            has_next_page,
        }
    }

    /// Fetches this page of `select`.
    pub async fn fetch<E, Db>(
        &self,
        db: &Db,
        select: Select<E>,
    ) -> Result<Slice<E::Model, C>, DbErr>
    where
        E: EntityTrait<Column = C>,
        Db: ConnectionTrait,
    {
        // The limit is written into the SQL rather than sent as a parameter:
        // PostgreSQL plans a statement with `LIMIT $n` afresh on every
        // execution (its generic plan, costed for an unknown limit, never
        // wins against a custom one), which cost it 36 µs per page of
        // products, more than running it (18 µs). The size is ours and
        // bounded (at most `MAX_PAGE_SIZE`), so a connection prepares at most
        // one statement per size and list.
        let mut statement = db
            .get_database_backend()
            .build(&self.apply_unlimited(select).into_query());
        statement.sql += &format!(" LIMIT {}", self.size + 1);
        let rows = E::Model::find_by_statement(statement).all(db).await?;
        Ok(self.slice(rows))
    }
}

impl<C: ColumnTrait> Page<C> {
    /// Fetches this page of `select` for each of `parents` at once (a page
    /// of carts per customer, of orders per customer), where `parent` is a
    /// column of the listed rows. See [`Page::fetch_per_linked_parent`].
    pub async fn fetch_per_parent<E, Db>(
        &self,
        db: &Db,
        select: Select<E>,
        parent: C,
        parents: &[i64],
    ) -> Result<HashMap<i64, Slice<E::Model, C>>, DbErr>
    where
        E: EntityTrait<Column = C>,
        E::Model: FromQueryResult,
        Db: ConnectionTrait,
    {
        let table = E::default().table_name().to_owned();
        self.fetch_per_linked_parent(db, select, (&table, parent.as_str()), parents)
            .await
    }

    /// Fetches this page of `select` for each of `parents` at once, where
    /// the parent is `parent` (`(table, column)`): a column of the listed
    /// rows, or of a table `select` joins (a collection's products, through
    /// `collection_product`). Each parent gets its own page, so the rows are
    /// numbered per parent with a window function (`ROW_NUMBER() OVER
    /// (PARTITION BY parent ORDER BY …)`, supported by SQLite and
    /// PostgreSQL) and cut at the page size: one statement, whatever the
    /// number of parents.
    pub async fn fetch_per_linked_parent<E, Db>(
        &self,
        db: &Db,
        select: Select<E>,
        parent: (&str, &str),
        parents: &[i64],
    ) -> Result<HashMap<i64, Slice<E::Model, C>>, DbErr>
    where
        E: EntityTrait<Column = C>,
        E::Model: FromQueryResult,
        Db: ConnectionTrait,
    {
        let (table, column) = parent;
        let parent_column = Expr::col((Alias::new(table), Alias::new(column)));
        let numbered = self
            .apply_unlimited(select.filter(parent_column.clone().is_in(parents.iter().copied())))
            .expr_as(parent_column, PARENT_KEY)
            .expr_as(
                Expr::cust(format!(
                    r#"ROW_NUMBER() OVER (PARTITION BY "{table}"."{column}" ORDER BY {})"#,
                    self.order_sql()
                )),
                "row_number",
            )
            .into_query();
        let query = Query::select()
            .column(Asterisk)
            .from_subquery(numbered, Alias::new("numbered"))
            .and_where(Expr::col(Alias::new("row_number")).lte(self.size as i64 + 1))
            .order_by(Alias::new("row_number"), sea_orm::Order::Asc)
            .to_owned();
        let rows =
            WithParent::<E::Model>::find_by_statement(db.get_database_backend().build(&query))
                .all(db)
                .await?;
        let mut per_parent: HashMap<i64, Vec<E::Model>> =
            parents.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            per_parent.entry(row.parent).or_default().push(row.row);
        }
        Ok(per_parent
            .into_iter()
            .map(|(parent, rows)| (parent, self.slice(rows)))
            .collect())
    }
}

/// The column a row's parent is read from in [`Page::fetch_per_linked_parent`].
const PARENT_KEY: &str = "parent_key";

/// A listed row and its parent's key.
struct WithParent<M> {
    row: M,
    parent: i64,
}

impl<M: FromQueryResult> FromQueryResult for WithParent<M> {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(WithParent {
            row: M::from_query_result(res, pre)?,
            parent: res.try_get(pre, PARENT_KEY)?,
        })
    }
}

/// The rows strictly after (`later`) or before `position` on `columns`: a
/// row-value comparison, `(col, id) > (v, id)`, which both engines answer
/// with one index range scan.
fn seek<C: ColumnTrait>(columns: &[C], position: &Position, later: bool) -> Expr {
    let mut keys: Vec<Expr> = columns.iter().map(|column| column.into_expr()).collect();
    let mut values: Vec<Expr> = position
        .value
        .clone()
        .into_iter()
        .map(SortValue::into_expr)
        .chain([Expr::val(position.id)])
        .collect();
    let (key, value) = if keys.len() == 1 {
        (keys.remove(0), values.remove(0))
    } else {
        (Expr::tuple(keys), Expr::tuple(values))
    };
    if later { key.gt(value) } else { key.lt(value) }
}

/// One page of rows, in list order.
#[derive(Debug, Clone)]
pub struct Slice<M, C> {
    pub rows: Vec<M>,
    pub order: Order<C>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

/// A row's primary key, which every cursor carries.
pub trait Keyed {
    fn key(&self) -> i64;
}

impl<M, C> Slice<M, C>
where
    M: ModelTrait + Keyed,
    M::Entity: EntityTrait<Column = C>,
    C: ColumnTrait,
{
    /// The cursor of `row` in this slice's ordering.
    pub fn cursor(&self, row: &M) -> String {
        let value = self
            .order
            .column
            .and_then(|sort| SortValue::from_row(row.get(sort.column)));
        Position {
            value,
            id: row.key(),
        }
        .encode(&self.order)
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    use entity::product::Column;

    const PRICE: SortColumn<Column> = SortColumn::integer(Column::Price);

    #[test]
    fn cursors_round_trip_and_belong_to_their_ordering() {
        let by_price = Order::new(Column::Id, PRICE, OrderDirection::Desc);
        let position = Position {
            value: Some(SortValue::Integer(250)),
            id: 17,
        };
        let cursor = position.encode(&by_price);
        assert_eq!(
            Position::decode(&cursor, &by_price, "after").unwrap(),
            position
        );
        assert!(Position::decode(&cursor, &Order::by_id(Column::Id), "after").is_err());
        assert!(
            Position::decode(
                &cursor,
                &Order::new(Column::Id, PRICE, OrderDirection::Asc),
                "after"
            )
            .is_err()
        );
        assert!(Position::decode("bm9wZQ==", &by_price, "after").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        let parse = |first, last| Page::parse(Order::by_id(Column::Id), first, None, last, None);
        assert_eq!(parse(None, None).unwrap().size, DEFAULT_PAGE_SIZE);
        assert!(parse(Some(-1), None).is_err());
        assert!(parse(Some(101), None).is_err());
        assert!(parse(Some(1), Some(1)).is_err());
    }

    #[test]
    fn slices_forward_and_backward() {
        let forward = Page::parse(Order::by_id(Column::Id), Some(2), None, None, None).unwrap();
        let slice = forward.slice(vec![1, 2, 3]);
        assert_eq!(slice.rows, vec![1, 2]);
        assert!(slice.has_next_page && !slice.has_previous_page);

        let backward = Page::parse(Order::by_id(Column::Id), None, None, Some(2), None).unwrap();
        let slice = backward.slice(vec![9, 8, 7]);
        assert_eq!(slice.rows, vec![8, 9]);
        assert!(slice.has_previous_page && !slice.has_next_page);
    }
}
