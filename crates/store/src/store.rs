//! The one persistence interface. A backend implements [`Store`] and [`Tx`] over rows of values; the
//! typed methods on `dyn Tx` turn them into entities.

use async_trait::async_trait;
use austa_domain::{EntityId, TenantScope};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::entity::Entity;
use crate::error::{StoreError, StoreResult};
use crate::sql::{ListQuery, Page};
use crate::table::TableDef;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether a transaction will write. SQLite takes its write lock up front for `Write`, so two writers
/// wait for each other (busy timeout) instead of failing when one upgrades a read lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    Read,
    Write,
}

/// One migration of the running binary and whether the database has it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
    pub applied: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub applied_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationStatus {
    pub backend: Backend,
    /// Highest applied version (0 for an empty database).
    pub current: i64,
    /// Highest version this binary knows.
    pub latest: i64,
    pub migrations: Vec<MigrationInfo>,
    /// Versions applied by a newer binary: this one must not touch the database.
    pub unknown_applied: Vec<i64>,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.unknown_applied.is_empty() && self.migrations.iter().all(|m| m.applied)
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    async fn migration_status(&self) -> StoreResult<MigrationStatus>;

    /// Applies every pending migration up to `to` (all when `None`); returns the versions applied.
    /// Refuses a database that has migrations this binary does not know.
    async fn migrate_up(&self, to: Option<i64>) -> StoreResult<Vec<i64>>;

    /// Undoes applied migrations above `to`, newest first; returns the versions undone.
    async fn migrate_down(&self, to: i64) -> StoreResult<Vec<i64>>;

    /// Starts a transaction confined to `scope` (on PostgreSQL also through row-level security).
    async fn begin(&self, scope: TenantScope, mode: TxMode) -> StoreResult<Box<dyn Tx>>;

    /// Closes the connection pool.
    async fn close(&self);
}

/// A transaction. Dropping it without [`Tx::commit`] rolls it back.
#[async_trait]
pub trait Tx: Send {
    fn scope(&self) -> TenantScope;
    async fn insert_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>>;
    /// Inserts several rows with one statement (at most [`crate::sql::MAX_BATCH_ROWS`]).
    async fn insert_rows(
        &mut self,
        table: &'static TableDef,
        rows: Vec<Vec<Value>>,
    ) -> StoreResult<Vec<Vec<Value>>>;
    /// Inserts rows that are complete as given (no database defaults) without reading them back: for
    /// append-only logs, where what is written is exactly what was given. At most
    /// [`crate::sql::MAX_BATCH_ROWS`] per call.
    async fn append_rows(&mut self, table: &'static TableDef, rows: Vec<Vec<Value>>) -> StoreResult<()>;
    async fn get_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>>;
    /// Reads a row and locks it against concurrent writers until this transaction ends.
    async fn lock_row(&mut self, table: &'static TableDef, id: Uuid) -> StoreResult<Option<Vec<Value>>>;
    async fn update_row(&mut self, table: &'static TableDef, row: Vec<Value>) -> StoreResult<Vec<Value>>;
    async fn soft_delete_row(
        &mut self,
        table: &'static TableDef,
        id: Uuid,
        at: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn list_rows(
        &mut self,
        table: &'static TableDef,
        query: &ListQuery,
    ) -> StoreResult<Page<Vec<Value>>>;
    /// Deletes for good up to `limit` rows of a mutable table whose time `column` is before
    /// `before` (retention; see [`crate::sql::purge`]); returns how many.
    async fn purge_rows(
        &mut self,
        table: &'static TableDef,
        column: &str,
        before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<u64>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}

/// Typed access to any entity.
impl dyn Tx + '_ {
    pub async fn create<E: Entity>(&mut self, entity: &E) -> StoreResult<E> {
        let row = self.insert_row(E::TABLE, entity.to_row()).await?;
        E::from_row(row)
    }

    pub async fn find<E: Entity>(&mut self, id: E::Id) -> StoreResult<Option<E>> {
        self.get_row(E::TABLE, id.as_uuid())
            .await?
            .map(E::from_row)
            .transpose()
    }

    /// Creates several rows of one table with one statement per batch.
    pub async fn create_many<E: Entity>(&mut self, entities: &[E]) -> StoreResult<Vec<E>> {
        let mut created = Vec::with_capacity(entities.len());
        for chunk in entities.chunks(crate::sql::MAX_BATCH_ROWS) {
            let rows = self
                .insert_rows(E::TABLE, chunk.iter().map(Entity::to_row).collect())
                .await?;
            for row in rows {
                created.push(E::from_row(row)?);
            }
        }
        Ok(created)
    }

    /// Appends entities of an append-only table (see [`Tx::append_rows`]).
    pub async fn append_many<E: Entity>(&mut self, entities: &[E]) -> StoreResult<()> {
        for chunk in entities.chunks(crate::sql::MAX_BATCH_ROWS) {
            self.append_rows(E::TABLE, chunk.iter().map(Entity::to_row).collect())
                .await?;
        }
        Ok(())
    }

    /// [`Self::find`] that locks the row until the transaction ends (compare-and-set updates).
    pub async fn find_for_update<E: Entity>(&mut self, id: E::Id) -> StoreResult<Option<E>> {
        self.lock_row(E::TABLE, id.as_uuid())
            .await?
            .map(E::from_row)
            .transpose()
    }

    pub async fn get<E: Entity>(&mut self, id: E::Id) -> StoreResult<E> {
        self.find::<E>(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn update<E: Entity>(&mut self, entity: &E) -> StoreResult<E> {
        let row = self.update_row(E::TABLE, entity.to_row()).await?;
        E::from_row(row)
    }

    pub async fn soft_delete<E: Entity>(&mut self, id: E::Id, at: OffsetDateTime) -> StoreResult<()> {
        self.soft_delete_row(E::TABLE, id.as_uuid(), at).await
    }

    pub async fn purge<E: Entity>(
        &mut self,
        column: &str,
        before: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<u64> {
        self.purge_rows(E::TABLE, column, before, limit).await
    }

    pub async fn list<E: Entity>(&mut self, query: &ListQuery) -> StoreResult<Page<E>> {
        let page = self.list_rows(E::TABLE, query).await?;
        let items = page
            .items
            .into_iter()
            .map(E::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            next: page.next,
        })
    }
}
