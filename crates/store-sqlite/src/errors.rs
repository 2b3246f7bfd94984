//! SQLite's errors as typed store errors. SQLite names the columns of a violated unique index rather
//! than the index, so the table definition translates them to the constraint name PostgreSQL reports.
//! Two libraries report them: rusqlite (every transaction) and sqlx (migrations); both come here.

use austa_store::{StoreError, TableDef};
use rusqlite::ffi;

/// What kind of failure SQLite reported, whichever library carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Unique,
    ForeignKey,
    NotNull,
    Check,
    Busy,
    Other,
}

pub fn map_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => {
            use sqlx::error::ErrorKind;
            let failure = match db.kind() {
                ErrorKind::UniqueViolation => Failure::Unique,
                ErrorKind::ForeignKeyViolation => Failure::ForeignKey,
                ErrorKind::NotNullViolation => Failure::NotNull,
                ErrorKind::CheckViolation => Failure::Check,
                _ => Failure::Other,
            };
            classify(None, failure, db.message())
        }
        sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => StoreError::Unavailable(e.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

pub fn map_rusqlite(e: rusqlite::Error) -> StoreError {
    map_table_error(None, e)
}

pub fn map_table_error(table: Option<&TableDef>, e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            let failure = match code.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Failure::Unique,
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Failure::ForeignKey,
                ffi::SQLITE_CONSTRAINT_NOTNULL => Failure::NotNull,
                ffi::SQLITE_CONSTRAINT_CHECK => Failure::Check,
                _ => match code.code {
                    ffi::ErrorCode::DatabaseBusy
                    | ffi::ErrorCode::DatabaseLocked
                    | ffi::ErrorCode::CannotOpen
                    | ffi::ErrorCode::ReadOnly => Failure::Busy,
                    _ => Failure::Other,
                },
            };
            let message = message.unwrap_or_else(|| code.to_string());
            classify(table, failure, &message)
        }
        other => StoreError::Database(other.to_string()),
    }
}

fn classify(table: Option<&TableDef>, failure: Failure, message: &str) -> StoreError {
    if message.contains("append-only") {
        return StoreError::AppendOnly {
            table: table.map(|t| t.name).unwrap_or("table"),
        };
    }
    match failure {
        Failure::Unique => {
            let columns = violated_columns(message);
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            let constraint = table
                .and_then(|t| t.unique_by_columns(&cols))
                .map(str::to_owned)
                .unwrap_or_else(|| format!("unique({})", cols.join(", ")));
            StoreError::UniqueViolation { constraint }
        }
        Failure::ForeignKey => StoreError::ForeignKeyViolation { constraint: None },
        Failure::NotNull => StoreError::NotNullViolation {
            column: violated_columns(message).into_iter().next(),
        },
        Failure::Check => StoreError::CheckViolation {
            constraint: message.rsplit(": ").next().map(str::to_owned),
        },
        Failure::Busy => StoreError::Unavailable(message.to_owned()),
        Failure::Other if is_busy(message) => StoreError::Unavailable(message.to_owned()),
        Failure::Other => StoreError::Database(message.to_owned()),
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked")
        || message.contains("unable to open")
        || message.contains("readonly")
}

/// `UNIQUE constraint failed: users.organization_id, users.phone` → `["organization_id", "phone"]`.
fn violated_columns(message: &str) -> Vec<String> {
    message
        .rsplit(": ")
        .next()
        .unwrap_or_default()
        .split(", ")
        .map(|c| c.rsplit('.').next().unwrap_or(c).trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_columns_sqlite_names() {
        assert_eq!(
            violated_columns("UNIQUE constraint failed: users.organization_id, users.phone"),
            vec!["organization_id", "phone"]
        );
        assert_eq!(
            violated_columns("NOT NULL constraint failed: users.name"),
            vec!["name"]
        );
    }

    #[test]
    fn a_real_unique_violation_is_typed() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT UNIQUE) STRICT; INSERT INTO t VALUES ('x');")
            .unwrap();
        let e = conn.execute("INSERT INTO t VALUES ('x')", []).unwrap_err();
        assert!(
            matches!(map_rusqlite(e), StoreError::UniqueViolation { constraint } if constraint == "unique(a)")
        );
        let e = conn
            .execute_batch("CREATE TRIGGER no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 't is append-only'); END; DELETE FROM t;")
            .unwrap_err();
        assert!(matches!(map_rusqlite(e), StoreError::AppendOnly { .. }));
    }
}
