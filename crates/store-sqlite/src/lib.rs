//! The embedded SQLite backend: one file, WAL journal, foreign keys on, a busy timeout so writers
//! queue instead of failing. Tenant isolation is the store's `organization_id` condition on every
//! statement (SQLite has no row-level security).
//!
//! Transactions run on rusqlite connections, statement by statement on the caller's thread
//! (`connections.rs`); sqlx keeps the schema (its migrator and `_sqlx_migrations` table, shared with
//! the PostgreSQL backend's tooling).

mod checkpoint;
mod codec;
mod connections;
mod errors;
mod tx;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use austa_domain::TenantScope;
use austa_store::migrations::{newer_database_message, refuse_newer, status};
use austa_store::{Backend, MigrationStatus, Store, StoreError, StoreResult, Tx, TxMode};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;

use checkpoint::Checkpointer;
use connections::{BUSY_TIMEOUT, Connections, Target};
pub use errors::map_error;
use errors::map_rusqlite;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections for read transactions on a database file: a few more than the cores, since a
/// connection stays lent while its request awaits other work (the network).
const FILE_CONNECTIONS: usize = 8;

pub struct SqliteStore {
    /// The schema's connections (migrations).
    pool: SqlitePool,
    /// The transactions' connections (the read transactions', for a file).
    connections: Arc<Connections>,
    /// For a file, one connection kept for write transactions, which this process runs one at a
    /// time anyway: SQLite empties a connection's page cache whenever another connection has
    /// written since its last transaction, so a writer that always runs on the same connection
    /// finds the pages it wrote last time still in memory. (A memory database has one connection.)
    writes: Arc<Connections>,
    /// One writer at a time within this process (see [`Store::begin`]).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Checkpoints the WAL of a database file (an in-memory one has none).
    checkpointer: Option<Checkpointer>,
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
        Self::connect(options, Target::File(path.to_owned()), FILE_CONNECTIONS)
            .await
            .map_err(|e| match e {
                StoreError::Unavailable(reason) => StoreError::Unavailable(format!(
                    "cannot open the SQLite database {}: {reason}",
                    path.display()
                )),
                other => other,
            })
    }

    /// A private in-memory database, named uniquely and shared by this store's connections (one for
    /// transactions, so every query sees the same data; the schema's pool keeps it alive).
    pub async fn memory() -> StoreResult<Self> {
        let name = format!("file:austa-memory-{}", uuid::Uuid::now_v7().simple());
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(map_error)?
            .filename(&name)
            .in_memory(true)
            .shared_cache(true);
        Self::connect(options, Target::Memory(name), 1).await
    }

    async fn connect(options: SqliteConnectOptions, target: Target, max: usize) -> StoreResult<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(map_error)?;
        // A read-only file or folder would otherwise only fail at the first write: take the write
        // lock once now so the problem is reported at start-up.
        let probe = pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_error)?;
        probe.rollback().await.map_err(map_error)?;
        let checkpointer = match &target {
            Target::File(path) => Some(Checkpointer::start(path.clone())?),
            Target::Memory(_) => None,
        };
        let connections = Connections::open(target.clone(), max)?;
        let writes = match &target {
            Target::File(_) => Connections::open(target, 1)?,
            Target::Memory(_) => connections.clone(),
        };
        Ok(Self {
            pool,
            connections,
            writes,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            checkpointer,
        })
    }

    /// The schema's connection (migrations; also for tests that must act as another process).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The settings a transaction's connection runs with.
    pub async fn settings(&self) -> StoreResult<ConnectionSettings> {
        let conn = self.connections.acquire().await?;
        let pragma = |name: &str| -> StoreResult<String> {
            conn.query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .map_err(map_rusqlite)
        };
        Ok(ConnectionSettings {
            journal_mode: pragma("journal_mode")?,
            foreign_keys: pragma("foreign_keys")? == "1",
            synchronous: pragma("synchronous")?,
            busy_timeout_ms: pragma("busy_timeout")?.parse().unwrap_or(0),
            wal_autocheckpoint: pragma("wal_autocheckpoint")?.parse().unwrap_or(-1),
        })
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

/// See [`SqliteStore::settings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub journal_mode: String,
    pub foreign_keys: bool,
    /// `PRAGMA synchronous`: 1 is NORMAL (in WAL mode, durable at every checkpoint and crash-safe).
    pub synchronous: String,
    pub busy_timeout_ms: u64,
    /// `PRAGMA wal_autocheckpoint`: 0, as commits never checkpoint (`checkpoint.rs`).
    pub wal_autocheckpoint: i64,
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
        let conn = self.connections.acquire().await?;
        conn.execute_batch("SELECT 1").map_err(map_rusqlite)
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
        let conn = match mode {
            TxMode::Read => self.connections.acquire().await?,
            TxMode::Write => {
                let conn = self.writes.acquire().await?;
                match &self.checkpointer {
                    Some(checkpointer) if checkpointer.take_restart() => checkpoint::restart(conn).await?,
                    _ => conn,
                }
            }
        };
        Ok(Box::new(tx::SqliteTx::begin(conn, scope, mode, writer).await?))
    }

    async fn close(&self) {
        self.connections.close();
        self.writes.close();
        // Waits for the thread's last checkpoint (a passive one, which never waits): shutdown only.
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop();
        }
        self.pool.close().await;
    }
}
