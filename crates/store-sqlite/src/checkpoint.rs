//! WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the commit that
//! takes the WAL past 1000 pages: that commit copies the WAL into the database file and flushes both
//! to disk while it still holds this process's write turn, so every writer behind it — and, through
//! the audit writer, every read — waits for a disk flush. The transactions' connections turn it off
//! (`connections.rs`); this thread checkpoints instead, in `PASSIVE` mode, which never waits for nor
//! blocks readers and writers. With `synchronous = NORMAL` a checkpoint is also where committed data
//! reaches the disk, so running one at a short interval bounds what a power cut can lose.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use austa_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};

use crate::connections::{BUSY_TIMEOUT, Pooled};
use crate::errors::map_rusqlite;

/// How often the thread checkpoints (and so, about, the most committed work a power cut can lose).
pub const INTERVAL: Duration = Duration::from_millis(200);
/// Under a steady stream of commits a passive checkpoint never catches up with the WAL's end, so
/// SQLite can never start the WAL over and it would grow without bound. Past this many pages (64 MiB
/// at 4 KiB), a `RESTART` checkpoint holds new writers back until it has copied the last frames and
/// the readers have moved on; the next commit then starts the WAL over, and cuts the file back to
/// this size (`journal_size_limit` in `connections.rs`). A reader that starts in between can still
/// keep the WAL going, so this bounds its usual size rather than its peak.
///
/// The restart runs in this process's next write transaction, before it begins ([`restart`]): the
/// writers' turn is then free for certain. Run from this thread, it could only poll for SQLite's
/// write lock (the busy handler), and writers that commit back to back leave that lock free for
/// microseconds at a time, so it rarely got in and the WAL grew on.
pub const RESTART_AFTER_PAGES: i64 = 16_384;
/// How long a `RESTART` checkpoint waits for readers (its busy timeout) before giving up until the
/// next interval. The process's writers wait while it does, so a long read — a report, an export —
/// must not hold every write up for the store's 10 s busy timeout. (`PASSIVE` never waits.)
const RESTART_PATIENCE: Duration = Duration::from_millis(50);
/// SQLite's default page size, which the store keeps.
pub const PAGE_SIZE: i64 = 4096;

#[derive(Default)]
struct Signal {
    stopped: Mutex<bool>,
    wake: Condvar,
    /// The WAL is past [`RESTART_AFTER_PAGES`]: the next writer restarts it.
    restart_wanted: AtomicBool,
}

pub struct Checkpointer {
    signal: Arc<Signal>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to `path`.
    pub fn start(path: PathBuf) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(map_rusqlite)?;
        // No busy timeout: a `PASSIVE` checkpoint never waits, and one that finds a lock taken
        // (another process checkpointing) is simply tried again at the next interval.
        let signal = Arc::new(Signal::default());
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let signal = signal.clone();
                move || run(&conn, &signal)
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self {
            signal,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Whether a writer should restart the WAL before it begins (and leaves that to this caller).
    pub fn take_restart(&self) -> bool {
        self.signal.restart_wanted.swap(false, Ordering::Relaxed)
    }

    /// Stops the thread after a last checkpoint, and waits for it.
    pub fn stop(&self) {
        self.signal_stop();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    fn signal_stop(&self) {
        *self.signal.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.signal.wake.notify_all();
    }
}

impl Drop for Checkpointer {
    /// Lets the thread finish on its own (a last checkpoint) without blocking the dropping task.
    fn drop(&mut self) {
        self.signal_stop();
    }
}

fn run(conn: &Connection, signal: &Signal) {
    loop {
        let stopped = {
            let guard = signal.stopped.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) = signal
                .wake
                .wait_timeout_while(guard, INTERVAL, |stopped| !*stopped)
                .unwrap_or_else(|e| e.into_inner());
            *guard
        };
        // A failed checkpoint leaves the WAL as it was (the data is safe in it); the next try
        // starts over, so there is nothing to do about it here.
        if let Ok(pages) = checkpoint(conn, "PASSIVE") {
            signal
                .restart_wanted
                .store(pages > RESTART_AFTER_PAGES, Ordering::Relaxed);
        }
        if stopped {
            return;
        }
    }
}

/// A `RESTART` checkpoint on a write transaction's connection, before its `BEGIN`, while the
/// process's writers wait for their turn: it copies what is left of the WAL, waits at most
/// [`RESTART_PATIENCE`] for readers, and lets the transaction start the WAL over. On the blocking
/// pool (it ends with a flush of the database file). If it cannot finish, the thread asks again.
pub async fn restart(conn: Pooled) -> StoreResult<Pooled> {
    tokio::task::spawn_blocking(move || {
        let patient = conn.busy_timeout(RESTART_PATIENCE);
        let _ = patient.and_then(|()| checkpoint(&conn, "RESTART"));
        conn.busy_timeout(BUSY_TIMEOUT).map(|()| conn)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("the SQLite writer stopped: {e}")))?
    .map_err(map_rusqlite)
}

/// Runs one checkpoint; returns the WAL's length in pages.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| row.get(1))
}
