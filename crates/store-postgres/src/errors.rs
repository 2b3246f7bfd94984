//! PostgreSQL's errors as typed store errors, keyed on SQLSTATE and the constraint name it reports.

use austa_store::{StoreError, TableDef};

/// SQLSTATE raised by `austa_reject_change()` on append-only tables.
const APPEND_ONLY: &str = "AU001";

pub fn map_error(e: sqlx::Error) -> StoreError {
    classify(None, e)
}

pub fn map_table_error(table: &TableDef, e: sqlx::Error) -> StoreError {
    classify(Some(table), e)
}

/// A connection error's text without the URL (which may hold a password).
pub fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Configuration(_) => "the URL could not be parsed".to_owned(),
        other => other.to_string(),
    }
}

fn classify(table: Option<&TableDef>, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => {
            let constraint = db.constraint().map(str::to_owned);
            match db.code().as_deref() {
                Some("23505") => StoreError::UniqueViolation {
                    constraint: constraint.unwrap_or_default(),
                },
                Some("23503") => StoreError::ForeignKeyViolation { constraint },
                Some("23514") => StoreError::CheckViolation { constraint },
                Some("23502") => StoreError::NotNullViolation {
                    column: db.message().split('"').nth(1).map(str::to_owned),
                },
                Some(APPEND_ONLY) => StoreError::AppendOnly {
                    table: table.map(|t| t.name).unwrap_or("table"),
                },
                // Row-level security refused a write outside the transaction's organization.
                Some("42501") if db.message().contains("row-level security") => StoreError::TenantMismatch,
                Some(code) if code.starts_with("08") || code.starts_with("57P") || code == "53300" => {
                    StoreError::Unavailable(db.message().to_owned())
                }
                _ => StoreError::Database(db.message().to_owned()),
            }
        }
        sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
        sqlx::Error::Tls(tls) => StoreError::Unavailable(format!("TLS: {tls}")),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Configuration(_) => StoreError::Unavailable(describe(&e)),
        other => StoreError::Database(other.to_string()),
    }
}
