//! SQLite's errors as typed store errors. SQLite names the columns of a violated unique index rather
//! than the index, so the table definition translates them to the constraint name PostgreSQL reports.

use austa_store::{StoreError, TableDef};
use sqlx::error::ErrorKind;

pub fn map_error(e: sqlx::Error) -> StoreError {
    classify(None, e)
}

pub fn map_table_error(table: &TableDef, e: sqlx::Error) -> StoreError {
    classify(Some(table), e)
}

fn classify(table: Option<&TableDef>, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            if message.contains("append-only") {
                return StoreError::AppendOnly {
                    table: table.map(|t| t.name).unwrap_or("table"),
                };
            }
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let columns = violated_columns(&message);
                    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                    let constraint = table
                        .and_then(|t| t.unique_by_columns(&cols))
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("unique({})", cols.join(", ")));
                    StoreError::UniqueViolation { constraint }
                }
                ErrorKind::ForeignKeyViolation => StoreError::ForeignKeyViolation { constraint: None },
                ErrorKind::NotNullViolation => StoreError::NotNullViolation {
                    column: violated_columns(&message).into_iter().next(),
                },
                ErrorKind::CheckViolation => StoreError::CheckViolation {
                    constraint: message.rsplit(": ").next().map(str::to_owned),
                },
                _ if is_busy(&message) => StoreError::Unavailable(message),
                _ => StoreError::Database(message),
            }
        }
        sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => StoreError::Unavailable(e.to_string()),
        other => StoreError::Database(other.to_string()),
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
}
