//! How values are stored in SQLite: ids as lower-case hyphenated text (they sort like the UUIDs),
//! instants as fixed-width UTC text with microseconds (so text order is time order), booleans as 0/1,
//! JSON as text.

use austa_store::{Kind, StoreError, StoreResult, TableDef, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

const INSTANT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
/// The format of SQLite's `CURRENT_TIMESTAMP` (used by sqlx's migrations table).
pub const SQLITE_CURRENT_TIMESTAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

pub fn format_instant(t: OffsetDateTime) -> StoreResult<String> {
    t.to_offset(time::UtcOffset::UTC)
        .format(INSTANT)
        .map_err(|e| StoreError::Decode(e.to_string()))
}

/// SQLite is dynamically typed (tables are STRICT), so the column kind is not needed to bind.
pub fn to_sql(value: Value) -> StoreResult<SqlValue> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(b)),
        Value::Int(i) => SqlValue::Integer(i),
        Value::Float(f) => SqlValue::Real(f),
        Value::Text(s) => SqlValue::Text(s),
        Value::Uuid(u) => SqlValue::Text(u.hyphenated().to_string()),
        Value::Time(t) => SqlValue::Text(format_instant(t)?),
        Value::Date(d) => SqlValue::Text(d.format(DATE).map_err(|e| StoreError::Decode(e.to_string()))?),
        Value::Json(j) => SqlValue::Text(j.to_string()),
        Value::Bytes(b) => SqlValue::Blob(b),
    })
}

fn decode_error(table: &TableDef, column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Decode(format!("{}.{column}: {why}", table.name))
}

pub fn decode_row(table: &TableDef, row: &rusqlite::Row<'_>) -> StoreResult<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let err = |e: &dyn std::fmt::Display| decode_error(table, col.name, e);
            let raw = row.get_ref(i).map_err(|e| err(&e))?;
            decode(col.kind, raw).map_err(|e| err(&e))
        })
        .collect()
}

fn decode(kind: Kind, raw: ValueRef<'_>) -> Result<Value, String> {
    let text = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| e.to_string())
    };
    match (kind, raw) {
        (_, ValueRef::Null) => Ok(Value::Null),
        (Kind::Bool, ValueRef::Integer(i)) => Ok(Value::Bool(i != 0)),
        (Kind::Int, ValueRef::Integer(i)) => Ok(Value::Int(i)),
        (Kind::Float, ValueRef::Real(f)) => Ok(Value::Float(f)),
        (Kind::Float, ValueRef::Integer(i)) => Ok(Value::Float(i as f64)),
        (Kind::Text, ValueRef::Text(t)) => text(t).map(Value::Text),
        (Kind::Bytes, ValueRef::Blob(b)) => Ok(Value::Bytes(b.to_vec())),
        (Kind::Uuid | Kind::Time | Kind::Date | Kind::Json, ValueRef::Text(t)) => parse_text(kind, &text(t)?),
        (kind, other) => Err(format!("a {:?} where a {kind:?} was expected", other.data_type())),
    }
}

fn parse_text(kind: Kind, text: &str) -> Result<Value, String> {
    match kind {
        Kind::Uuid => Uuid::parse_str(text).map(Value::Uuid).map_err(|e| e.to_string()),
        Kind::Time => PrimitiveDateTime::parse(text, INSTANT)
            .map(|t| Value::Time(t.assume_utc()))
            .map_err(|e| e.to_string()),
        Kind::Date => Date::parse(text, DATE)
            .map(Value::Date)
            .map_err(|e| e.to_string()),
        Kind::Json => serde_json::from_str(text)
            .map(Value::Json)
            .map_err(|e| e.to_string()),
        _ => Ok(Value::Text(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_text_in_time_order() {
        let a = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let b = a + time::Duration::microseconds(1);
        let c = a + time::Duration::days(4000);
        let (fa, fb, fc) = (
            format_instant(a).unwrap(),
            format_instant(b).unwrap(),
            format_instant(c).unwrap(),
        );
        assert!(fa < fb && fb < fc);
        assert_eq!(fa, "2023-11-14T22:13:20.000000Z");
        assert_eq!(parse_text(Kind::Time, &fb).unwrap(), Value::Time(b));
    }

    #[test]
    fn a_value_of_the_wrong_storage_class_is_a_decode_error_not_a_panic() {
        assert!(decode(Kind::Int, ValueRef::Text(b"12")).is_err());
        assert!(decode(Kind::Text, ValueRef::Text(&[0xff, 0xfe])).is_err());
        assert!(decode(Kind::Uuid, ValueRef::Text(b"not-a-uuid")).is_err());
        assert_eq!(decode(Kind::Bool, ValueRef::Integer(1)), Ok(Value::Bool(true)));
        assert_eq!(decode(Kind::Json, ValueRef::Null), Ok(Value::Null));
    }
}
