//! The connections transactions run on (rusqlite), at most `max` at a time. A statement runs on the
//! calling task's own thread: reading pages SQLite already holds in memory takes microseconds, much
//! less than handing each statement to a worker thread and back (sqlx's SQLite driver does that for
//! every statement, and those hand-offs were most of a request's cost). What may wait on another
//! process — the write lock — is run on the blocking pool by the transaction (`tx.rs`); the disk
//! flushes of WAL checkpoints happen on the store's own thread (`checkpoint.rs`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use austa_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::map_rusqlite;

/// How long a writer waits for another process to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (the generic statements of every table fit).
const STATEMENT_CACHE: usize = 128;

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum Target {
    File(PathBuf),
    /// A named in-memory database shared by the connections of this process.
    Memory(String),
}

impl Target {
    fn open(&self) -> rusqlite::Result<Connection> {
        let common = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match self {
            Target::File(path) => Connection::open_with_flags(path, common),
            Target::Memory(name) => Connection::open_with_flags(
                name,
                common
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_MEMORY
                    | OpenFlags::SQLITE_OPEN_SHARED_CACHE,
            ),
        }
    }
}

pub struct Connections {
    target: Target,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Connections {
    /// Opens the first connection now, so a database that cannot be opened fails at start-up.
    pub fn open(target: Target, max: usize) -> StoreResult<Arc<Self>> {
        let connections = Arc::new(Self {
            target,
            idle: Mutex::new(Vec::with_capacity(max)),
            permits: Arc::new(Semaphore::new(max)),
        });
        let first = connections.connect()?;
        connections.give_back(first);
        Ok(connections)
    }

    /// A connection for one transaction; waits while `max` are in use.
    pub async fn acquire(self: &Arc<Self>) -> StoreResult<Pooled> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite store is closed".into()))?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        Ok(Pooled {
            conn: Some(conn),
            home: self.clone(),
            _permit: permit,
        })
    }

    /// Refuses new transactions and closes the idle connections.
    pub fn close(&self) {
        self.permits.close();
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn connect(&self) -> StoreResult<Connection> {
        let conn = self.target.open().map_err(map_rusqlite)?;
        // `journal_mode = WAL` is a property of the file, set when the store opens it; these are per
        // connection. Statement journals and sorting space stay in memory (they are small and
        // short-lived; as files they would cost an open and unlink each). Commits never checkpoint:
        // the store's checkpoint thread does (`checkpoint.rs`), and a WAL started over is cut back
        // to the size past which that thread asks the next writer to restart it.
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
            crate::checkpoint::RESTART_AFTER_PAGES * crate::checkpoint::PAGE_SIZE
        ))
        .map_err(map_rusqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_rusqlite)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if !self.permits.is_closed() {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        }
    }
}

/// A connection lent to one transaction. Dropped, it rolls back whatever is still open and goes back
/// to the pool (or is closed, if the rollback fails).
pub struct Pooled {
    conn: Option<Connection>,
    home: Arc<Connections>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Pooled {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
                return;
            }
            self.home.give_back(conn);
        }
    }
}
