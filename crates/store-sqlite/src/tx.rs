//! One transaction on a pooled rusqlite connection. Reads run inline (see `connections.rs`); a write
//! transaction takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so it never fails half-way on
//! a lock it could not upgrade, and hands to the blocking pool only what may wait: a lock held by
//! another process.

use std::time::Duration;

use async_trait::async_trait;
use austa_domain::TenantScope;
use austa_store::sql::{self, Dialect, ListQuery, Page, Statement};
use austa_store::{StoreError, StoreResult, TableDef, Tx, TxMode, Value};
use rusqlite::ffi::ErrorCode;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec;
use crate::connections::{BUSY_TIMEOUT, Pooled};
use crate::errors::{map_rusqlite, map_table_error};

/// Statements with more parameters than this (long `IN` lists) are prepared each time rather than
/// cached: each length is a different statement and would evict the common ones.
const CACHED_PARAMETERS: usize = 64;

pub struct SqliteTx {
    conn: Pooled,
    scope: TenantScope,
    /// This process's writers queue on it; held until the transaction ends (declared after `conn`,
    /// so it is released only after the connection has rolled back or committed).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SqliteTx {
    pub async fn begin(
        conn: Pooled,
        scope: TenantScope,
        mode: TxMode,
        writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> StoreResult<Self> {
        let conn = match mode {
            TxMode::Read => {
                conn.execute_batch("BEGIN").map_err(map_rusqlite)?;
                conn
            }
            TxMode::Write => begin_immediate(conn).await?,
        };
        Ok(Self {
            conn,
            scope,
            _writer: writer,
        })
    }

    fn fetch(&mut self, table: &TableDef, stmt: Statement) -> StoreResult<Vec<Vec<Value>>> {
        let error = |e| map_table_error(Some(table), e);
        let count = stmt.binds.len();
        let params = stmt
            .binds
            .into_iter()
            .map(|(_, value)| codec::to_sql(value))
            .collect::<StoreResult<Vec<_>>>()?;
        if count > CACHED_PARAMETERS {
            let mut statement = self.conn.prepare(&stmt.sql).map_err(error)?;
            rows(&mut statement, table, params)
        } else {
            let mut statement = self.conn.prepare_cached(&stmt.sql).map_err(error)?;
            rows(&mut statement, table, params)
        }
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&mut self, table: &TableDef, stmt: Statement) -> StoreResult<u64> {
        self.fetch(table, stmt)?;
        Ok(self.conn.changes())
    }
}

fn rows(
    statement: &mut rusqlite::Statement<'_>,
    table: &TableDef,
    params: Vec<rusqlite::types::Value>,
) -> StoreResult<Vec<Vec<Value>>> {
    let error = |e| map_table_error(Some(table), e);
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        out.push(codec::decode_row(table, row)?);
    }
    Ok(out)
}

/// `BEGIN IMMEDIATE`, first without waiting (this process's writers already queue on their mutex, so
/// the lock is normally free), then, if another process holds it, waiting on the blocking pool.
async fn begin_immediate(conn: Pooled) -> StoreResult<Pooled> {
    conn.busy_timeout(Duration::ZERO).map_err(map_rusqlite)?;
    let first = conn.execute_batch("BEGIN IMMEDIATE");
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map_rusqlite)?;
    match first {
        Ok(()) => Ok(conn),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
            tokio::task::spawn_blocking(move || conn.execute_batch("BEGIN IMMEDIATE").map(|()| conn))
                .await
                .map_err(|e| StoreError::Unavailable(format!("the SQLite writer stopped: {e}")))?
                .map_err(map_rusqlite)
        }
        Err(e) => Err(map_rusqlite(e)),
    }
}

#[async_trait]
impl Tx for SqliteTx {
    fn scope(&self) -> TenantScope {
        self.scope
    }

    async fn insert_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::insert(Dialect::Sqlite, table, &self.scope, row)?;
        self.fetch(table, stmt)?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn insert_rows(
        &mut self,
        table: &'static TableDef,
        rows: Vec<Vec<Value>>,
    ) -> StoreResult<Vec<Vec<Value>>> {
        // Row by row through the one cached statement: without a network round trip to save, this
        // is faster than preparing a multi-row statement for each batch size.
        let mut inserted = Vec::with_capacity(rows.len());
        for row in rows {
            let stmt = sql::insert(Dialect::Sqlite, table, &self.scope, row)?;
            let returned = self.fetch(table, stmt)?.into_iter().next();
            inserted.push(returned.ok_or(StoreError::NotFound)?);
        }
        Ok(inserted)
    }

    async fn append_rows(&mut self, table: &'static TableDef, rows: Vec<Vec<Value>>) -> StoreResult<()> {
        for row in rows {
            let stmt = sql::append_many(Dialect::Sqlite, table, &self.scope, vec![row])?;
            if self.execute(table, stmt)? != 1 {
                return Err(StoreError::Decode(format!(
                    "a row of {} was not inserted",
                    table.name
                )));
            }
        }
        Ok(())
    }

    async fn get_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id(Dialect::Sqlite, table, &self.scope, id);
        Ok(self.fetch(table, stmt)?.into_iter().next())
    }

    async fn lock_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>> {
        let stmt = sql::select_by_id_for_update(Dialect::Sqlite, table, &self.scope, id);
        Ok(self.fetch(table, stmt)?.into_iter().next())
    }

    async fn update_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>> {
        let stmt = sql::update(Dialect::Sqlite, table, &self.scope, row)?;
        self.fetch(table, stmt)?
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
        match self.execute(table, stmt)? {
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
        sql::paginate(self.fetch(table, stmt)?, query)
    }

    async fn purge_rows(
        &mut self,
        table: &'static TableDef,
        column: &str,
        before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<u64> {
        let stmt = sql::purge(Dialect::Sqlite, table, &self.scope, column, before, limit)?;
        self.execute(table, stmt)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        // In WAL mode with `synchronous = NORMAL` a commit appends to the WAL without flushing it,
        // and never checkpoints (`checkpoint.rs`), so it runs inline like any statement.
        self.conn.execute_batch("COMMIT").map_err(map_rusqlite)
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.conn.execute_batch("ROLLBACK").map_err(map_rusqlite)
    }
}
