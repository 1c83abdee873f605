//! Cursors: where a row sits in an ordering (its sort value and id),
//! encoded with the ordering's label so that a cursor only ever works with
//! the ordering that made it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Value};
use serde_json::json;

use super::order::{Order, SortKind};
use crate::error::{ApiError, ApiResult};

/// A sort column's value in one row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    Integer(i64),
    Text(String),
    Time(DateTime<Utc>),
}

impl SortValue {
    pub(super) fn from_row(value: Value) -> Option<SortValue> {
        match value {
            Value::BigInt(Some(n)) => Some(SortValue::Integer(n)),
            Value::Int(Some(n)) => Some(SortValue::Integer(n.into())),
            Value::String(Some(text)) => Some(SortValue::Text(text)),
            Value::ChronoDateTimeUtc(Some(time)) => Some(SortValue::Time(time)),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            SortValue::Integer(n) => json!(n),
            SortValue::Text(text) => json!(text),
            SortValue::Time(time) => json!(time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }

    fn from_json(kind: SortKind, value: &serde_json::Value) -> Option<SortValue> {
        match kind {
            SortKind::Integer => value.as_i64().map(SortValue::Integer),
            // No stored text holds a NUL (every input refuses it), and
            // PostgreSQL cannot take one as a parameter: such a cursor was
            // not made here.
            SortKind::Text => value
                .as_str()
                .filter(|text| !text.contains('\0'))
                .map(|text| SortValue::Text(text.to_owned())),
            SortKind::Time => value
                .as_str()
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|time| SortValue::Time(time.with_timezone(&Utc))),
        }
    }

    pub(super) fn into_expr(self) -> Expr {
        match self {
            SortValue::Integer(n) => Expr::val(n),
            SortValue::Text(text) => Expr::val(text),
            SortValue::Time(time) => Expr::val(time),
        }
    }
}

/// Where a row sits in an ordering: its sort value (none when the ordering
/// is by id alone) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    pub value: Option<SortValue>,
    pub id: i64,
}

impl Position {
    pub(super) fn encode<C: ColumnTrait>(&self, order: &Order<C>) -> String {
        let mut parts = vec![json!(order.label())];
        parts.extend(self.value.iter().map(SortValue::to_json));
        parts.push(json!(self.id));
        STANDARD.encode(serde_json::Value::Array(parts).to_string())
    }

    pub(super) fn decode<C: ColumnTrait>(
        cursor: &str,
        order: &Order<C>,
        argument: &str,
    ) -> ApiResult<Position> {
        let invalid = || ApiError::bad_input(format!("`{argument}` is not a valid cursor"));
        let bytes = STANDARD.decode(cursor).map_err(|_| invalid())?;
        let parts: Vec<serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let label = parts.first().and_then(|label| label.as_str());
        if label.is_none() {
            return Err(invalid());
        }
        if label != Some(order.label().as_str()) {
            return Err(ApiError::bad_input(format!(
                "`{argument}` is a cursor of another ordering; use cursors from a page with the same `orderBy`"
            )));
        }
        let expected = 2 + usize::from(order.column.is_some());
        if parts.len() != expected {
            return Err(invalid());
        }
        let value = match order.column {
            Some(column) => Some(SortValue::from_json(column.kind, &parts[1]).ok_or_else(invalid)?),
            None => None,
        };
        let id = parts[expected - 1].as_i64().ok_or_else(invalid)?;
        Ok(Position { value, id })
    }
}
