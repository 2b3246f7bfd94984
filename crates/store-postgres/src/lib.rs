//! The PostgreSQL backend: for production and for more than one `austa` process. Every transaction
//! sets the caller's organization (`austa.organization_id`) so row-level security confines it even
//! if a statement forgot its tenant condition.

mod codec;
mod errors;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use austa_domain::{EntityId, TenantScope};
use austa_store::migrations::{newer_database_message, refuse_newer, status};
use austa_store::sql::{self, Dialect, ListQuery, Page, Statement};
use austa_store::{Backend, MigrationStatus, Store, StoreError, StoreResult, TableDef, Tx, TxMode, Value};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, Postgres, Row, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

pub use errors::map_error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The oldest server whose features the migrations use.
const MIN_SERVER_VERSION: i32 = 150_000;

pub struct PostgresStore {
    pool: PgPool,
    options: PgConnectOptions,
}

/// What the connected role may do that would weaken tenant isolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleCheck {
    /// Superusers and BYPASSRLS roles are not subject to row-level security.
    pub bypasses_rls: bool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", errors::describe(&e)))
            })?
            .application_name("austa");
        // One direct connection first: a pool only reports "timed out", this says why (refused,
        // unknown host, bad password).
        let probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(map_error)?;
        probe.close().await.map_err(map_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(map_error)?;
        let store = Self { pool, options };
        store.check_server_version().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn check_server_version(&self) -> StoreResult<()> {
        let version: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&self.pool)
            .await
            .map_err(map_error)?;
        let version: i32 = version.trim().parse().unwrap_or(0);
        if version < MIN_SERVER_VERSION {
            return Err(StoreError::Unavailable(format!(
                "PostgreSQL {version} is too old: austa needs 15 or newer"
            )));
        }
        Ok(())
    }

    /// Whether the connected role escapes row-level security (superuser or BYPASSRLS).
    pub async fn role_check(&self) -> StoreResult<RoleCheck> {
        let bypasses_rls: bool =
            sqlx::query_scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
        Ok(RoleCheck { bypasses_rls })
    }

    /// Refuses a database migrated by a newer binary before the migrator takes its lock; returns the
    /// applied versions.
    async fn refuse_newer(&self) -> StoreResult<Vec<(i64, OffsetDateTime)>> {
        let applied = self.applied().await?;
        refuse_newer(&known_migrations(), &applied)?;
        Ok(applied)
    }

    /// A one-connection pool, closed after use: the migrator's session-level advisory lock can never
    /// stay behind on a shared connection when a migration fails (sqlx does not unlock on error).
    async fn migration_pool(&self) -> StoreResult<PgPool> {
        PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.options.clone())
            .await
            .map_err(map_error)
    }

    async fn applied(&self) -> StoreResult<Vec<(i64, OffsetDateTime)>> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(map_error)?;
        if !exists {
            return Ok(Vec::new());
        }
        let rows =
            sqlx::query("SELECT version, installed_on FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(map_error)?, r.try_get(1).map_err(map_error)?)))
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
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
            Backend::Postgres,
            &known_migrations(),
            &self.applied().await?,
        ))
    }

    async fn migrate_up(&self, to: Option<i64>) -> StoreResult<Vec<i64>> {
        let before = self.refuse_newer().await?;
        let pool = self.migration_pool().await?;
        let result = match to {
            Some(target) => MIGRATOR.run_to(target, &pool).await,
            None => MIGRATOR.run(&pool).await,
        };
        pool.close().await;
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
        let pool = self.migration_pool().await?;
        let result = MIGRATOR.undo(&pool, to).await;
        pool.close().await;
        result.map_err(migrate_error)?;
        let after = self.applied().await?;
        Ok(before
            .iter()
            .rev()
            .map(|(v, _)| *v)
            .filter(|v| !after.iter().any(|(a, _)| a == v))
            .collect())
    }

    async fn begin(&self, scope: TenantScope, mode: TxMode) -> StoreResult<Box<dyn Tx>> {
        let tx = self.scoped_transaction(scope, mode).await?;
        Ok(Box::new(PgTx { tx, scope }))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

impl PostgresStore {
    /// A transaction whose row-level security is set to `scope`: the one way this backend opens one.
    pub async fn scoped_transaction(
        &self,
        scope: TenantScope,
        mode: TxMode,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let begin = match mode {
            TxMode::Read => "BEGIN READ ONLY",
            TxMode::Write => "BEGIN",
        };
        let (organization, bypass) = match scope.organization() {
            Some(org) => (org.as_uuid().to_string(), "off"),
            None => (String::new(), "on"),
        };
        // One round trip, not two: the scope goes with `BEGIN` in one simple query. Its values are
        // a UUID's canonical text (hex digits and dashes) and a constant, so they need no quoting.
        let statement = format!(
            "{begin}; SELECT set_config('austa.organization_id', '{organization}', true), \
             set_config('austa.bypass_rls', '{bypass}', true)"
        );
        self.pool
            .begin_with(AssertSqlSafe(statement))
            .await
            .map_err(map_error)
    }
}

struct PgTx {
    tx: Transaction<'static, Postgres>,
    scope: TenantScope,
}

impl PgTx {
    async fn fetch(&mut self, table: &TableDef, stmt: Statement) -> StoreResult<Vec<Vec<Value>>> {
        let mut query = sqlx::query(AssertSqlSafe(stmt.sql));
        for (kind, value) in stmt.binds {
            query = codec::bind(query, kind, value);
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
            query = codec::bind(query, kind, value);
        }
        let done = query
            .execute(&mut *self.tx)
            .await
            .map_err(|e| errors::map_table_error(table, e))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl Tx for PgTx {
    fn scope(&self) -> TenantScope {
        self.scope
    }

    async fn insert_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::insert(Dialect::Postgres, table, &self.scope, row)?;
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
        let stmt = sql::insert_many(Dialect::Postgres, table, &self.scope, rows)?;
        let inserted = self.fetch(table, stmt).await?;
        if inserted.len() != expected {
            return Err(StoreError::Decode(format!(
                "{} of {expected} rows inserted",
                inserted.len()
            )));
        }
        Ok(inserted)
    }

    async fn append_rows(&mut self, table: &'static TableDef, rows: Vec<Vec<Value>>) -> StoreResult<()> {
        let expected = rows.len() as u64;
        let stmt = sql::append_many(Dialect::Postgres, table, &self.scope, rows)?;
        match self.execute(table, stmt).await? {
            n if n == expected => Ok(()),
            n => Err(StoreError::Decode(format!("{n} of {expected} rows inserted"))),
        }
    }

    async fn get_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id(Dialect::Postgres, table, &self.scope, id);
        Ok(self.fetch(table, stmt).await?.into_iter().next())
    }

    async fn lock_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id_for_update(Dialect::Postgres, table, &self.scope, id);
        Ok(self.fetch(table, stmt).await?.into_iter().next())
    }

    async fn update_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::update(Dialect::Postgres, table, &self.scope, row)?;
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
        let stmt = sql::soft_delete(Dialect::Postgres, table, &self.scope, id, at)?;
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
        let stmt = sql::list(Dialect::Postgres, table, &self.scope, query)?;
        sql::paginate(self.fetch(table, stmt).await?, query)
    }

    async fn purge_rows(
        &mut self,
        table: &'static TableDef,
        column: &str,
        before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<u64> {
        let stmt = sql::purge(Dialect::Postgres, table, &self.scope, column, before, limit)?;
        self.execute(table, stmt).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(map_error)
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.tx.rollback().await.map_err(map_error)
    }
}
