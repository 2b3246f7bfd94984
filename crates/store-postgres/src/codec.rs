//! Values in PostgreSQL's native types: uuid, timestamptz, date, jsonb, bytea, bigint, boolean.
//! A NULL is bound with its column's type so the server never has to guess.

use austa_store::{Kind, StoreError, StoreResult, TableDef, Value};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

pub fn bind(query: Query<'_>, kind: Kind, value: Value) -> Query<'_> {
    match value {
        Value::Null => match kind {
            Kind::Bool => query.bind(Option::<bool>::None),
            Kind::Int => query.bind(Option::<i64>::None),
            Kind::Float => query.bind(Option::<f64>::None),
            Kind::Text => query.bind(Option::<String>::None),
            Kind::Uuid => query.bind(Option::<Uuid>::None),
            Kind::Time => query.bind(Option::<OffsetDateTime>::None),
            Kind::Date => query.bind(Option::<Date>::None),
            Kind::Json => query.bind(Option::<Json<serde_json::Value>>::None),
            Kind::Bytes => query.bind(Option::<Vec<u8>>::None),
        },
        Value::Bool(b) => query.bind(b),
        Value::Int(i) => query.bind(i),
        Value::Float(f) => query.bind(f),
        Value::Text(s) => query.bind(s),
        Value::Uuid(u) => query.bind(u),
        Value::Time(t) => query.bind(t),
        Value::Date(d) => query.bind(d),
        Value::Json(j) => query.bind(Json(j)),
        Value::Bytes(b) => query.bind(b),
    }
}

pub fn decode_row(table: &TableDef, row: &PgRow) -> StoreResult<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let value = match col.kind {
                Kind::Bool => row.try_get::<Option<bool>, _>(i).map(|v| v.map(Value::Bool)),
                Kind::Int => row.try_get::<Option<i64>, _>(i).map(|v| v.map(Value::Int)),
                Kind::Float => row.try_get::<Option<f64>, _>(i).map(|v| v.map(Value::Float)),
                Kind::Text => row.try_get::<Option<String>, _>(i).map(|v| v.map(Value::Text)),
                Kind::Uuid => row.try_get::<Option<Uuid>, _>(i).map(|v| v.map(Value::Uuid)),
                Kind::Time => row
                    .try_get::<Option<OffsetDateTime>, _>(i)
                    .map(|v| v.map(Value::Time)),
                Kind::Date => row.try_get::<Option<Date>, _>(i).map(|v| v.map(Value::Date)),
                Kind::Json => row
                    .try_get::<Option<Json<serde_json::Value>>, _>(i)
                    .map(|v| v.map(|j| Value::Json(j.0))),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i).map(|v| v.map(Value::Bytes)),
            };
            value
                .map(|v| v.unwrap_or(Value::Null))
                .map_err(|e| StoreError::Decode(format!("{}.{}: {e}", table.name, col.name)))
        })
        .collect()
}
