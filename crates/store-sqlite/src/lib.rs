//! The embedded SQLite backend: one file, WAL journal, foreign keys on, a busy timeout so writers
//! queue instead of failing. Tenant isolation is the store's `organization_id` condition on every
//! statement (SQLite has no row-level security).

mod codec;
mod errors;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use austa_domain::TenantScope;
use austa_store::migrations::{newer_database_message, refuse_newer, status};
use austa_store::sql::{self, Dialect, ListQuery, Page, Statement};
use austa_store::{Backend, MigrationStatus, Store, StoreError, StoreResult, TableDef, Tx, TxMode, Value};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

pub use errors::map_error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer at a time within this process (see [`Store::begin`]).
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its folder.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create the folder {}: {e}", parent.display()))
            })?;
        }
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
        Self::connect(options, 8).await.map_err(|e| match e {
            StoreError::Unavailable(reason) => StoreError::Unavailable(format!(
                "cannot open the SQLite database {}: {reason}",
                path.display()
            )),
            other => other,
        })
    }

    /// A private in-memory database (one connection, so every query sees the same data).
    pub async fn memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(map_error)?;
        Self::connect(options, 1).await
    }

    async fn connect(options: SqliteConnectOptions, max: u32) -> StoreResult<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(map_error)?;
        // A read-only file or folder would otherwise only fail at the first write: take the write
        // lock once now so the problem is reported at start-up.
        let probe = pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_error)?;
        probe.rollback().await.map_err(map_error)?;
        Ok(Self {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Refuses a database migrated by a newer binary before the migrator takes its lock; returns the
    /// applied versions.
    async fn refuse_newer(&self) -> StoreResult<Vec<(i64, OffsetDateTime)>> {
        let applied = self.applied().await?;
        refuse_newer(&known_migrations(), &applied)?;
        Ok(applied)
    }

    async fn applied(&self) -> StoreResult<Vec<(i64, OffsetDateTime)>> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_error)?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let rows =
            sqlx::query("SELECT version, installed_on FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
        rows.iter()
            .map(|r| {
                let version: i64 = r.try_get(0).map_err(map_error)?;
                let at: String = r.try_get(1).map_err(map_error)?;
                let at = time::PrimitiveDateTime::parse(&at, codec::SQLITE_CURRENT_TIMESTAMP)
                    .map(|t| t.assume_utc())
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                Ok((version, at))
            })
            .collect()
    }
}

fn known_migrations() -> Vec<(i64, String)> {
    MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, m.description.to_string()))
        .collect()
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::Migration(newer_database_message(v)),
        sqlx::migrate::MigrateError::Execute(e) => map_error(e),
        other => StoreError::Migration(other.to_string()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn migration_status(&self) -> StoreResult<MigrationStatus> {
        Ok(status(
            Backend::Sqlite,
            &known_migrations(),
            &self.applied().await?,
        ))
    }

    async fn migrate_up(&self, to: Option<i64>) -> StoreResult<Vec<i64>> {
        let before = self.refuse_newer().await?;
        let result = match to {
            Some(target) => MIGRATOR.run_to(target, &self.pool).await,
            None => MIGRATOR.run(&self.pool).await,
        };
        result.map_err(migrate_error)?;
        let after = self.applied().await?;
        Ok(after
            .iter()
            .map(|(v, _)| *v)
            .filter(|v| !before.iter().any(|(b, _)| b == v))
            .collect())
    }

    async fn migrate_down(&self, to: i64) -> StoreResult<Vec<i64>> {
        let before = self.refuse_newer().await?;
        MIGRATOR.undo(&self.pool, to).await.map_err(migrate_error)?;
        let after = self.applied().await?;
        Ok(before
            .iter()
            .rev()
            .map(|(v, _)| *v)
            .filter(|v| !after.iter().any(|(a, _)| a == v))
            .collect())
    }

    async fn begin(&self, scope: TenantScope, mode: TxMode) -> StoreResult<Box<dyn Tx>> {
        // Writers of this process queue here, in order, rather than in SQLite's busy handler, which
        // polls with sleeps of up to 100 ms and collapses throughput under contention.
        let writer = match mode {
            TxMode::Read => None,
            TxMode::Write => Some(self.writer.clone().lock_owned().await),
        };
        let tx = match mode {
            TxMode::Read => self.pool.begin().await,
            TxMode::Write => self.pool.begin_with("BEGIN IMMEDIATE").await,
        }
        .map_err(map_error)?;
        Ok(Box::new(SqliteTx {
            tx,
            scope,
            _writer: writer,
        }))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    scope: TenantScope,
    /// Held until the transaction ends (declared last: dropped after the transaction).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SqliteTx {
    async fn fetch(&mut self, table: &TableDef, stmt: Statement) -> StoreResult<Vec<Vec<Value>>> {
        let mut query = sqlx::query(AssertSqlSafe(stmt.sql));
        for (kind, value) in stmt.binds {
            query = codec::bind(query, kind, value)?;
        }
        let rows = query
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| errors::map_table_error(table, e))?;
        rows.iter().map(|r| codec::decode_row(table, r)).collect()
    }

    async fn execute(&mut self, table: &TableDef, stmt: Statement) -> StoreResult<u64> {
        let mut query = sqlx::query(AssertSqlSafe(stmt.sql));
        for (kind, value) in stmt.binds {
            query = codec::bind(query, kind, value)?;
        }
        let done = query
            .execute(&mut *self.tx)
            .await
            .map_err(|e| errors::map_table_error(table, e))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl Tx for SqliteTx {
    fn scope(&self) -> TenantScope {
        self.scope
    }

    async fn insert_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::insert(Dialect::Sqlite, table, &self.scope, row)?;
        self.fetch(table, stmt)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn insert_rows(
        &mut self,
        table: &'static TableDef,
        rows: Vec<Vec<Value>>,
    ) -> StoreResult<Vec<Vec<Value>>> {
        let expected = rows.len();
        let stmt = sql::insert_many(Dialect::Sqlite, table, &self.scope, rows)?;
        let inserted = self.fetch(table, stmt).await?;
        if inserted.len() != expected {
            return Err(StoreError::Decode(format!(
                "{} of {expected} rows inserted",
                inserted.len()
            )));
        }
        Ok(inserted)
    }

    async fn get_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id(Dialect::Sqlite, table, &self.scope, id);
        Ok(self.fetch(table, stmt).await?.into_iter().next())
    }

    async fn lock_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id_for_update(Dialect::Sqlite, table, &self.scope, id);
        Ok(self.fetch(table, stmt).await?.into_iter().next())
    }

    async fn update_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::update(Dialect::Sqlite, table, &self.scope, row)?;
        self.fetch(table, stmt)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn soft_delete_row(
        &mut self,
        table: &'static TableDef,
        id: Uuid,
        at: OffsetDateTime,
    ) -> StoreResult<()> {
        let stmt = sql::soft_delete(Dialect::Sqlite, table, &self.scope, id, at)?;
        match self.execute(table, stmt).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn list_rows(
        &mut self,
        table: &'static TableDef,
        query: &ListQuery,
    ) -> StoreResult<Page<Vec<Value>>> {
        let stmt = sql::list(Dialect::Sqlite, table, &self.scope, query)?;
        sql::paginate(self.fetch(table, stmt).await?, query)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(map_error)
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.tx.rollback().await.map_err(map_error)
    }
}
