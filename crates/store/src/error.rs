//! Store errors, typed so callers can map them to HTTP answers without reading database messages.

/// What went wrong in the store. Messages never include row values (they may be personal data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; `constraint` is the name both backends share.
    #[error("unique constraint {constraint} violated")]
    UniqueViolation { constraint: String },
    #[error("foreign key violated{}", constraint_suffix(.constraint))]
    ForeignKeyViolation { constraint: Option<String> },
    #[error("check constraint violated{}", constraint_suffix(.constraint))]
    CheckViolation { constraint: Option<String> },
    #[error("a required value is missing{}", constraint_suffix(.column))]
    NotNullViolation { column: Option<String> },
    /// The row belongs to another organization than the caller's scope.
    #[error("row is outside the caller's organization")]
    TenantMismatch,
    /// The table keeps its rows forever as written (ledgers and logs).
    #[error("table {table} is append-only")]
    AppendOnly { table: &'static str },
    /// The cursor of a list request is not one this store issued.
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("unknown column {column} for table {table}")]
    UnknownColumn { table: &'static str, column: String },
    #[error("could not decode a stored value: {0}")]
    Decode(String),
    /// The database could not be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Migrations could not be applied or undone.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Database(String),
}

fn constraint_suffix(name: &Option<String>) -> String {
    name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
}

impl StoreError {
    /// True for errors the caller caused (a 4xx), false for the database's own failures.
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound
                | StoreError::UniqueViolation { .. }
                | StoreError::ForeignKeyViolation { .. }
                | StoreError::CheckViolation { .. }
                | StoreError::NotNullViolation { .. }
                | StoreError::TenantMismatch
                | StoreError::AppendOnly { .. }
                | StoreError::InvalidCursor
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
