//! List filters. Each list's `filter` input (`ProductFilter`, …) is checked
//! and turned into a [`Predicate`]: a tree of that list's conditions joined by
//! AND, OR and NOT, which can be compared and hashed (so batch loaders can
//! group requests by it) and compiles to one SQL `WHERE` condition.

use async_graphql::ID;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition};

use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};

/// How deeply `and`/`or`/`not` may nest.
pub const MAX_DEPTH: usize = 5;
/// How many conditions one filter may hold, over all its nesting.
pub const MAX_CONDITIONS: usize = 50;
/// How many IDs one filter may list, over all its `ids` fields and nesting:
/// each is a bound SQL value, and SQLite allows 32,766 per statement (50
/// conditions of 1,000 IDs each once answered "too many SQL variables").
pub const MAX_IDS: usize = 1_000;
/// Longest text to search for.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A filter's conditions of type `C`, combined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Predicate<C> {
    Condition(C),
    All(Vec<Predicate<C>>),
    Any(Vec<Predicate<C>>),
    Not(Box<Predicate<C>>),
}

impl<C> Predicate<C> {
    /// The SQL condition, given how each of its conditions is written.
    pub fn to_condition(&self, condition: &impl Fn(&C) -> Expr) -> Condition {
        match self {
            Predicate::Condition(c) => Condition::all().add(condition(c)),
            Predicate::All(all) => all.iter().fold(Condition::all(), |sum, p| {
                sum.add(p.to_condition(condition))
            }),
            // OR over nothing holds for no row.
            Predicate::Any(any) if any.is_empty() => Condition::all().add(Expr::val(1).eq(0)),
            Predicate::Any(any) => any.iter().fold(Condition::any(), |sum, p| {
                sum.add(p.to_condition(condition))
            }),
            Predicate::Not(inner) => inner.to_condition(condition).not(),
        }
    }
}

/// A filter input of the schema: its own fields (joined by AND) plus the
/// `and`, `or` and `not` combinators.
pub trait FilterInput: Sized {
    type Condition;

    /// Checks this filter's own fields and appends their conditions.
    fn conditions(&self, conditions: &mut Vec<Self::Condition>) -> ApiResult<()>;
    /// How many IDs this filter's own `ids`-like fields list.
    fn ids_listed(&self) -> usize;
    fn and(&self) -> &[Self];
    fn or(&self) -> Option<&[Self]>;
    fn not(&self) -> Option<&Self>;
}

/// Implements [`FilterInput`]'s combinators for an input whose `and`, `or`
/// and `not` fields are optional lists and an optional box of itself.
macro_rules! combinators {
    () => {
        fn and(&self) -> &[Self] {
            self.and.as_deref().unwrap_or_default()
        }

        fn or(&self) -> Option<&[Self]> {
            self.or.as_deref()
        }

        fn not(&self) -> Option<&Self> {
            self.not.as_deref()
        }
    };
}
pub(crate) use combinators;

/// Checks `filter` and builds its predicate, refusing filters nested deeper
/// than [`MAX_DEPTH`] or holding more than [`MAX_CONDITIONS`] conditions.
pub fn parse<F: FilterInput>(filter: &F) -> ApiResult<Predicate<F::Condition>> {
    let mut count = 0;
    let mut ids = 0;
    parse_nested(filter, 0, &mut count, &mut ids)
}

fn parse_nested<F: FilterInput>(
    filter: &F,
    depth: usize,
    count: &mut usize,
    ids: &mut usize,
) -> ApiResult<Predicate<F::Condition>> {
    if depth > MAX_DEPTH {
        return Err(ApiError::bad_input(format!(
            "`filter` may nest `and`, `or` and `not` at most {MAX_DEPTH} deep"
        )));
    }
    *ids += filter.ids_listed();
    if *ids > MAX_IDS {
        return Err(ApiError::bad_input(format!(
            "`filter` may list at most {MAX_IDS} IDs in all"
        )));
    }
    let mut own = Vec::new();
    filter.conditions(&mut own)?;
    *count += own.len();
    let mut all: Vec<Predicate<F::Condition>> = own.into_iter().map(Predicate::Condition).collect();
    for inner in filter.and() {
        all.push(parse_nested(inner, depth + 1, count, ids)?);
    }
    if let Some(any) = filter.or() {
        let any = any
            .iter()
            .map(|inner| parse_nested(inner, depth + 1, count, ids))
            .collect::<ApiResult<_>>()?;
        all.push(Predicate::Any(any));
    }
    if let Some(inner) = filter.not() {
        all.push(Predicate::Not(Box::new(parse_nested(
            inner,
            depth + 1,
            count,
            ids,
        )?)));
    }
    if *count > MAX_CONDITIONS {
        return Err(ApiError::bad_input(format!(
            "`filter` may hold at most {MAX_CONDITIONS} conditions"
        )));
    }
    Ok(match all.len() {
        1 => all.remove(0),
        _ => Predicate::All(all),
    })
}

/// The keys of global IDs of one type, for an `ids` filter field.
pub fn keys(ids: &[ID], kind: NodeKind, field: &str) -> ApiResult<Vec<i64>> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_input(format!(
            "`{field}` may hold at most {MAX_IDS} IDs"
        )));
    }
    ids.iter()
        .map(|id| ids::decode_as(id, kind, field))
        .collect()
}

/// Text to search for: at most [`MAX_SEARCH_CHARS`], compared in lower case.
pub fn search_text(text: &str, field: &str) -> ApiResult<String> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_input(format!(
            "`{field}` must be at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    Ok(text.to_lowercase())
}

/// `column` contains `needle` (already lower case), ignoring case:
/// `LOWER(column) LIKE '%needle%'`, with the needle's own `%`, `_` and `\`
/// escaped so that they match themselves. Both engines lower-case ASCII;
/// PostgreSQL lower-cases other letters too where its locale knows them.
pub fn contains_ignoring_case(column: impl ColumnTrait, needle: &str) -> Expr {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Expr::expr(Func::lower(column.into_expr())).like(LikeExpr::new(pattern).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    fn sql(condition: Condition) -> (String, String) {
        let query = Query::select()
            .expr(Expr::val(1))
            .from(Alias::new("t"))
            .cond_where(condition)
            .to_owned();
        (
            query.to_string(SqliteQueryBuilder),
            query.to_string(PostgresQueryBuilder),
        )
    }

    #[test]
    fn empty_or_matches_nothing_and_not_negates() {
        let column = |n: &i32| Expr::col(Alias::new("n")).eq(*n);
        let nothing = Predicate::<i32>::Any(vec![]).to_condition(&column);
        assert!(sql(nothing).0.ends_with("WHERE 1 = 0"));
        let not = Predicate::Not(Box::new(Predicate::Any(vec![
            Predicate::Condition(1),
            Predicate::Condition(2),
        ])));
        let (sqlite, postgres) = sql(not.to_condition(&column));
        assert!(
            sqlite.ends_with(r#"WHERE NOT ("n" = 1 OR "n" = 2)"#),
            "{sqlite}"
        );
        assert_eq!(sqlite, postgres);
    }
}
