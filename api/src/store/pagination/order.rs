//! How a list is ordered: by one sort column, then by primary key, so the
//! order is total and a cursor can say where a page starts.

use async_graphql::Enum;
use sea_orm::ColumnTrait;

/// Which way a list is sorted.
#[derive(Enum, Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderDirection {
    /// Smallest first (A to Z, cheapest, oldest).
    #[default]
    Asc,
    /// Largest first (Z to A, most expensive, newest).
    Desc,
}

/// The type of a sort column's values, which says how cursors carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKind {
    Integer,
    Text,
    Time,
}

/// A column a list can be sorted by, besides the primary key: a column of
/// the list's entity (so an ordering cannot name a column the table lacks),
/// with the type of its values.
#[derive(Debug, Clone, Copy)]
pub struct SortColumn<C> {
    pub column: C,
    pub kind: SortKind,
}

impl<C> SortColumn<C> {
    pub const fn integer(column: C) -> Self {
        SortColumn {
            column,
            kind: SortKind::Integer,
        }
    }

    pub const fn text(column: C) -> Self {
        SortColumn {
            column,
            kind: SortKind::Text,
        }
    }

    pub const fn time(column: C) -> Self {
        SortColumn {
            column,
            kind: SortKind::Time,
        }
    }
}

/// How a list is ordered: by a column and then by its primary key `id`, or
/// by `id` alone.
#[derive(Debug, Clone, Copy)]
pub struct Order<C> {
    pub column: Option<SortColumn<C>>,
    pub direction: OrderDirection,
    /// The primary key, the tie-breaker of every ordering.
    pub id: C,
}

impl<C: ColumnTrait> Order<C> {
    /// By `id` alone, oldest first.
    pub fn by_id(id: C) -> Self {
        Order {
            column: None,
            direction: OrderDirection::Asc,
            id,
        }
    }

    /// By `column`, then by `id`, both in `direction`.
    pub fn new(id: C, column: SortColumn<C>, direction: OrderDirection) -> Self {
        Order {
            column: Some(column),
            direction,
            id,
        }
    }

    /// The columns rows are compared on, most significant first.
    pub fn columns(&self) -> Vec<C> {
        self.column
            .iter()
            .map(|c| c.column)
            .chain([self.id])
            .collect()
    }

    pub(super) fn descending(&self) -> bool {
        self.direction == OrderDirection::Desc
    }

    /// Names this ordering inside cursors, so that a cursor is only ever
    /// used with the ordering that made it.
    pub(super) fn label(&self) -> String {
        let direction = if self.descending() { "desc" } else { "asc" };
        let column = self.column.map_or(self.id, |c| c.column);
        format!("{}:{direction}", column.as_str())
    }

    /// What tells orderings apart (columns have no `Eq` of their own).
    pub(super) fn identity(&self) -> (Option<&'static str>, &'static str, OrderDirection) {
        (
            self.column.map(|c| c.column.as_str()),
            self.id.as_str(),
            self.direction,
        )
    }
}

impl<C: ColumnTrait> PartialEq for Order<C> {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl<C: ColumnTrait> Eq for Order<C> {}
