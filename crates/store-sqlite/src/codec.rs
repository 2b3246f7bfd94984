//! How values are stored in SQLite: ids as lower-case hyphenated text (they sort like the UUIDs),
//! instants as fixed-width UTC text with microseconds (so text order is time order), booleans as 0/1,
//! JSON as text.

use austa_store::{Kind, StoreError, StoreResult, TableDef, Value};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

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
pub fn bind(query: Query<'_>, _kind: Kind, value: Value) -> StoreResult<Query<'_>> {
    Ok(match value {
        Value::Null => query.bind(Option::<String>::None),
        Value::Bool(b) => query.bind(i64::from(b)),
        Value::Int(i) => query.bind(i),
        Value::Float(f) => query.bind(f),
        Value::Text(s) => query.bind(s),
        Value::Uuid(u) => query.bind(u.hyphenated().to_string()),
        Value::Time(t) => query.bind(format_instant(t)?),
        Value::Date(d) => query.bind(d.format(DATE).map_err(|e| StoreError::Decode(e.to_string()))?),
        Value::Json(j) => query.bind(j.to_string()),
        Value::Bytes(b) => query.bind(b),
    })
}

fn decode_error(table: &TableDef, column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Decode(format!("{}.{column}: {why}", table.name))
}

pub fn decode_row(table: &TableDef, row: &SqliteRow) -> StoreResult<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let err = |e: &dyn std::fmt::Display| decode_error(table, col.name, e);
            let value = match col.kind {
                Kind::Bool => row
                    .try_get::<Option<i64>, _>(i)
                    .map(|v| v.map(|b| Value::Bool(b != 0))),
                Kind::Int => row.try_get::<Option<i64>, _>(i).map(|v| v.map(Value::Int)),
                Kind::Float => row.try_get::<Option<f64>, _>(i).map(|v| v.map(Value::Float)),
                Kind::Text => row.try_get::<Option<String>, _>(i).map(|v| v.map(Value::Text)),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i).map(|v| v.map(Value::Bytes)),
                Kind::Uuid | Kind::Time | Kind::Date | Kind::Json => {
                    let text = row.try_get::<Option<String>, _>(i).map_err(|e| err(&e))?;
                    return match text {
                        None => Ok(Value::Null),
                        Some(text) => parse_text(col.kind, &text).map_err(|e| err(&e)),
                    };
                }
            };
            value.map(|v| v.unwrap_or(Value::Null)).map_err(|e| err(&e))
        })
        .collect()
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
}
