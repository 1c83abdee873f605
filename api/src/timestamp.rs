//! Moments in time as the API shows them: one form on every engine.
//!
//! async-graphql's own `DateTime` wrote what the database gave back, so
//! SQLite answered with nine fraction digits and PostgreSQL with six, and
//! its description was an implementation note. Here every moment is RFC
//! 3339 in UTC with exactly six fraction digits and `Z`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};

/// A moment in time: an RFC 3339 string in UTC with microseconds, such as
/// `2026-11-29T10:15:30.123456Z`, the same form whatever the database.
/// As input, any RFC 3339 string with an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

/// A moment in time: an RFC 3339 string in UTC with microseconds, such as
/// `2026-11-29T10:15:30.123456Z`, the same form whatever the database.
/// As input, any RFC 3339 string with an offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse_from_rfc3339(text)
                .map(|time| Timestamp(time.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date and time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(time: DateTime<Utc>) -> Timestamp {
        Timestamp(time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_whatever_the_precision_stored() {
        let nanos = DateTime::parse_from_rfc3339("2026-11-29T10:15:30.123456789+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let whole = DateTime::parse_from_rfc3339("2026-11-29T10:15:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Timestamp(nanos).to_value(),
            Value::from("2026-11-29T10:15:30.123456Z")
        );
        assert_eq!(
            Timestamp(whole).to_value(),
            Value::from("2026-11-29T10:15:30.000000Z")
        );
    }
}
