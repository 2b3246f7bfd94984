//! The database tests, on both backends: the conformance suite, migrations (every down undoes its up,
//! down to 0 leaves nothing, a newer database is refused), row-level security, append-only tables.
//! PostgreSQL comes from `austa_testkit::postgres()` (a private cluster unless AUSTA_TEST_POSTGRES_URL).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use austa_domain::Principal;
use austa_domain::ids::OrganizationId;
use austa_store::model::Organization;
use austa_store::{Store, StoreError, TxMode};
use austa_store_conformance::{fixtures::World, suite};
use austa_store_postgres::PostgresStore;
use austa_store_sqlite::SqliteStore;
use sqlx::Row;

async fn sqlite() -> (SqliteStore, tempdir::TempDir) {
    let dir = tempdir::TempDir::new();
    let store = SqliteStore::open(&dir.path().join("austa.db")).await.unwrap();
    (store, dir)
}

async fn postgres() -> Option<(PostgresStore, austa_testkit::TestDatabase)> {
    let db = austa_testkit::postgres().await?;
    Some((PostgresStore::connect(&db.url).await.unwrap(), db))
}

mod tempdir {
    /// A folder removed when dropped.
    pub struct TempDir(std::path::PathBuf);
    impl TempDir {
        pub fn new() -> Self {
            let p = std::env::temp_dir().join(format!("austa-test-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Creates `org` in a committed write transaction of its own.
async fn commit_organization(store: &dyn Store, org: &Organization) {
    let mut tx = store
        .begin(Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    tx.create(org).await.unwrap();
    tx.commit().await.unwrap();
}

/// The organization `id` as a new read transaction sees it.
async fn read_organization(store: &dyn Store, id: OrganizationId) -> Option<Organization> {
    let mut read = store
        .begin(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    read.find::<Organization>(id).await.unwrap()
}

// ---- the conformance suite -------------------------------------------------------------------

#[tokio::test]
async fn conformance_sqlite() {
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    suite::run_all(&store).await;
}

#[tokio::test]
async fn conformance_postgres() {
    let Some((store, _db)) = postgres().await else {
        return;
    };
    store.migrate_up(None).await.unwrap();
    suite::run_all(&store).await;
}

// ---- migrations ------------------------------------------------------------------------------

/// The schema of a SQLite database, without sqlx's bookkeeping.
async fn sqlite_schema(store: &SqliteStore) -> Vec<String> {
    sqlx::query("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE '_sqlx%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

/// The schema of a PostgreSQL database as the catalogs describe it: tables and columns, constraints,
/// indexes, row-level security, policies, triggers, functions.
async fn postgres_schema(store: &PostgresStore) -> Vec<String> {
    let queries = [
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        "SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE '_sqlx%'",
        "SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '_sqlx%'",
        "SELECT 'rls ' || relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname NOT LIKE '_sqlx%'",
        "SELECT 'policy ' || tablename || ' ' || policyname || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'public'",
        "SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
        "SELECT 'function ' || proname || ' ' || pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    ];
    let mut schema = Vec::new();
    for q in queries {
        for row in sqlx::query(q).fetch_all(store.pool()).await.unwrap() {
            schema.push(row.get::<String, _>(0));
        }
    }
    schema.sort();
    schema
}

async fn every_down_undoes_its_up<S: Store, F, Fut>(store: &S, schema: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.current, 0);
    assert!(status.latest >= 7, "all migrations are embedded");
    let versions: Vec<i64> = status.migrations.iter().map(|m| m.version).collect();
    let mut before = Vec::new();
    for v in &versions {
        before.push(schema().await);
        assert_eq!(store.migrate_up(Some(*v)).await.unwrap(), vec![*v]);
        assert_ne!(
            schema().await,
            *before.last().unwrap(),
            "migration {v} changes the schema"
        );
    }
    assert!(store.migration_status().await.unwrap().is_current());
    for (v, expected) in versions.iter().zip(before).rev() {
        assert_eq!(store.migrate_down(v - 1).await.unwrap(), vec![*v]);
        assert_eq!(
            schema().await,
            expected,
            "down {v} restores exactly the schema before up {v}"
        );
    }
    assert!(schema().await.is_empty(), "down to 0 leaves an empty schema");
    assert_eq!(store.migration_status().await.unwrap().current, 0);
}

#[tokio::test]
async fn migrations_are_reversible_sqlite() {
    let (store, _dir) = sqlite().await;
    every_down_undoes_its_up(&store, || sqlite_schema(&store)).await;
}

#[tokio::test]
async fn migrations_are_reversible_postgres() {
    let Some((store, _db)) = postgres().await else {
        return;
    };
    every_down_undoes_its_up(&store, || postgres_schema(&store)).await;
}

/// After a newer binary's migration 9999 was recorded: status shows it, up and down refuse.
async fn refuses_a_newer_database<S: Store>(store: &S) {
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.unknown_applied, vec![9999]);
    assert!(!status.is_current());
    for result in [
        store.migrate_up(None).await.map(|_| ()),
        store.migrate_down(0).await.map(|_| ()),
    ] {
        match result {
            Err(StoreError::Migration(msg)) => assert!(msg.contains("newer version of austa"), "{msg}"),
            other => panic!("a newer database must be refused, got {other:?}"),
        }
    }
    // Nothing was undone.
    let mut tx = store
        .begin(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    tx.list::<austa_store::model::User>(&austa_store::ListQuery::first(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused_sqlite() {
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, x'00', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    refuses_a_newer_database(&store).await;
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused_postgres() {
    let Some((store, _db)) = postgres().await else {
        return;
    };
    store.migrate_up(None).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', true, '\\x00', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    refuses_a_newer_database(&store).await;
}

// ---- SQLite specifics ------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let (store, _dir) = sqlite().await;
    let settings = store.settings().await.unwrap();
    assert_eq!(settings.journal_mode, "wal");
    assert!(settings.foreign_keys);
    assert_eq!(settings.synchronous, "1", "NORMAL");
    assert!(settings.busy_timeout_ms >= 5000, "{settings:?}");
    assert_eq!(
        settings.wal_autocheckpoint, 0,
        "commits leave checkpoints to the store's thread"
    );
}

/// Committed rows reach the database file itself (not only its WAL) within a few checkpoint
/// intervals, with no later commit to trigger a checkpoint — and closing the store keeps them.
#[tokio::test]
async fn the_sqlite_checkpoint_thread_moves_commits_into_the_database_file() {
    let (store, dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let mut org = austa_store_conformance::fixtures::organization();
    let marker = format!("checkpoint-marker-{}", uuid::Uuid::now_v7().simple());
    org.name = marker.clone();
    commit_organization(&store, &org).await;
    let file = dir.path().join("austa.db");
    let in_file = || {
        let bytes = std::fs::read(&file).unwrap();
        bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !in_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the commit is still only in the WAL after 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    store.close().await;
    let reopened = SqliteStore::open(&file).await.unwrap();
    let kept = read_organization(&reopened, org.id).await.unwrap();
    assert_eq!(kept.name, marker);
}

/// Under steady commits and a long read, the WAL neither holds writers up (a checkpoint that must
/// wait for the reader gives up within milliseconds) nor keeps its size once the reader is gone (a
/// restart before the next write, asked for by the checkpoint thread, lets that write cut the file
/// back to 64 MiB).
#[tokio::test]
async fn a_long_read_neither_stalls_sqlite_writers_nor_keeps_the_wal_large() {
    use std::time::{Duration, Instant};
    const LIMIT: u64 = 64 * 1024 * 1024;
    let (store, dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let wal = dir.path().join("austa.db-wal");
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let write = |size: usize| {
        let store = &store;
        async move {
            let mut org = austa_store_conformance::fixtures::organization();
            org.settings = serde_json::json!({"padding": "x".repeat(size)});
            let started = Instant::now();
            commit_organization(store, &org).await;
            started.elapsed()
        }
    };
    // A read transaction that stays open, begun on an empty WAL (so on the database file alone):
    // while it lasts, no checkpoint can copy the WAL back nor start it over.
    let mut reader = store.pool().acquire().await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *reader)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut *reader).await.unwrap();
    sqlx::query("SELECT count(*) FROM organizations")
        .execute(&mut *reader)
        .await
        .unwrap();
    let mut slowest = Duration::ZERO;
    let mut past_limit_since = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        slowest = slowest.max(write(256 * 1024).await);
        // A pause between commits, as real traffic has, in which a checkpoint can take the write
        // lock (one that only waits for it would never stall anybody).
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert!(Instant::now() < deadline, "the WAL never passed 64 MiB");
        // Past the limit, a second more of writes gives the restart its turns to try.
        match past_limit_since {
            None if wal_size() > LIMIT => past_limit_since = Some(Instant::now()),
            Some(since) if since.elapsed() > Duration::from_secs(1) => break,
            _ => {}
        }
    }
    assert!(slowest < Duration::from_secs(2), "a commit waited {slowest:?}");
    sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(20);
    while wal_size() > LIMIT {
        assert!(
            Instant::now() < deadline,
            "the WAL stayed at {} bytes",
            wal_size()
        );
        write(1024).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Under commits back to back, a passive checkpoint never finds the WAL fully copied at the start of
/// a write, so SQLite never starts the WAL over and its file only grows; the `RESTART` that the
/// next writer runs past 64 MiB, at the checkpoint thread's request, is what bounds it. Rewrites one 256 KiB row (64 overflow pages per commit)
/// until four times that limit has gone through the WAL. The file must have been cut back at least
/// once (a restarted WAL is truncated to the limit by its next commit) and never have held
/// everything written. How far past the limit it peaks depends on how much the writer commits in a
/// checkpoint interval, which on a busy machine varies too much to assert.
#[tokio::test]
async fn steady_sqlite_commits_do_not_grow_the_wal_without_bound() {
    const LIMIT: u64 = 64 * 1024 * 1024;
    const ROW: usize = 256 * 1024;
    let (store, dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let wal = dir.path().join("austa.db-wal");
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let mut org = austa_store_conformance::fixtures::organization();
    commit_organization(&store, &org).await;
    let (mut written, mut largest, mut previous, mut cut_back) = (0u64, 0u64, 0u64, 0u32);
    let mut round = 0u32;
    while written < 4 * LIMIT {
        round += 1;
        // A new value every time, so every commit rewrites every page of the row.
        let fill = char::from(b'a' + (round % 26) as u8);
        org.settings = serde_json::json!({"padding": fill.to_string().repeat(ROW)});
        let mut tx = store
            .begin(Principal::system().scope(), TxMode::Write)
            .await
            .unwrap();
        tx.update(&org).await.unwrap();
        tx.commit().await.unwrap();
        written += ROW as u64;
        let size = wal_size();
        if size < previous {
            cut_back += 1;
        }
        (previous, largest) = (size, largest.max(size));
    }
    assert!(
        cut_back >= 1,
        "the WAL file never shrank ({largest} bytes at most)"
    );
    assert!(
        largest < written,
        "the WAL held everything written ({largest} bytes)"
    );
}

/// Another process holding SQLite's write lock makes a writer wait, not fail — and the wait does not
/// hold up the runtime (this test runs on one thread: the holder's release below must still run).
#[tokio::test]
async fn a_sqlite_writer_waits_for_another_processs_lock_without_blocking_the_runtime() {
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let mut other = store.pool().acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *other).await.unwrap();
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let release = {
        let released = released.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            released.store(true, std::sync::atomic::Ordering::SeqCst);
            sqlx::query("COMMIT").execute(&mut *other).await.unwrap();
        })
    };
    let tx = store
        .begin(Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    assert!(released.load(std::sync::atomic::Ordering::SeqCst));
    tx.commit().await.unwrap();
    release.await.unwrap();
}

/// A transaction dropped without commit (an error, a cancelled request) rolls back and gives its
/// connection back: many more than the pool holds, one after the other, all succeed and none keeps
/// its write.
#[tokio::test]
async fn a_dropped_sqlite_transaction_rolls_back_and_frees_its_connection() {
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let org = austa_store_conformance::fixtures::organization();
    for _ in 0..40 {
        let mut tx = store
            .begin(Principal::system().scope(), TxMode::Write)
            .await
            .unwrap();
        tx.create(&org).await.unwrap();
        drop(tx);
        assert!(read_organization(&store, org.id).await.is_none());
    }
    commit_organization(&store, &org).await;
    assert!(read_organization(&store, org.id).await.is_some());
}

/// The in-memory database is one database for all of the store's connections (schema and data).
#[tokio::test]
async fn the_sqlite_memory_store_keeps_one_database() {
    let store = SqliteStore::memory().await.unwrap();
    store.migrate_up(None).await.unwrap();
    let org = austa_store_conformance::fixtures::organization();
    commit_organization(&store, &org).await;
    assert!(read_organization(&store, org.id).await.is_some());
    // A second memory store is a different database.
    let other = SqliteStore::memory().await.unwrap();
    other.migrate_up(None).await.unwrap();
    assert!(read_organization(&other, org.id).await.is_none());
}

#[tokio::test]
async fn sqlite_refuses_a_folder_it_cannot_create() {
    let err = SqliteStore::open(std::path::Path::new("/proc/austa/data/austa.db"))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, StoreError::Unavailable(ref m) if m.contains("/proc/austa/data")),
        "{err}"
    );
}

// ---- append-only, enforced by the databases themselves ----------------------------------------

#[tokio::test]
async fn ledgers_and_audit_logs_reject_raw_updates_and_deletes_sqlite() {
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let w = World::create(&store).await;
    for sql in [
        "UPDATE audit_logs SET requires_review = 1",
        "DELETE FROM audit_logs",
        "UPDATE point_transactions SET amount = 1000",
        "DELETE FROM point_transactions",
        "UPDATE audit_checkpoints SET seq = 99",
        "DELETE FROM audit_checkpoints",
        "UPDATE consents SET granted = 1",
        "DELETE FROM consents",
        "UPDATE gamification_events SET points = 1000",
        "DELETE FROM gamification_events",
        "UPDATE authorization_transitions SET to_status = 'APPROVED'",
        "DELETE FROM authorization_transitions",
    ] {
        let err = sqlx::query(sql).execute(store.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    assert!(
        tx.find::<austa_store::model::AuditLog>(w.audit_log.id)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn ledgers_and_audit_logs_reject_raw_updates_and_deletes_postgres() {
    let Some((store, _db)) = postgres().await else {
        return;
    };
    store.migrate_up(None).await.unwrap();
    let w = World::create(&store).await;
    for sql in [
        "UPDATE audit_logs SET requires_review = true",
        "DELETE FROM audit_logs",
        "TRUNCATE audit_logs",
        "UPDATE point_transactions SET amount = 1000",
        "DELETE FROM point_transactions",
        "UPDATE audit_checkpoints SET seq = 99",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
        "UPDATE consents SET granted = true",
        "DELETE FROM consents",
        "TRUNCATE consents",
        "UPDATE gamification_events SET points = 1000",
        "DELETE FROM gamification_events",
        "TRUNCATE gamification_events",
        "UPDATE authorization_transitions SET to_status = 'APPROVED'",
        "DELETE FROM authorization_transitions",
        "TRUNCATE authorization_transitions",
    ] {
        let mut tx = store
            .scoped_transaction(Principal::system().scope(), TxMode::Write)
            .await
            .unwrap();
        let err = sqlx::query(sql).execute(&mut *tx).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("AU001"), "{sql}: {err}");
    }
    let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
    assert!(
        tx.find::<austa_store::model::AuditLog>(w.audit_log.id)
            .await
            .unwrap()
            .is_some()
    );
}

// ---- PostgreSQL row-level security -----------------------------------------------------------

#[tokio::test]
async fn row_level_security_confines_sql_that_forgets_its_where() {
    let Some((store, db)) = postgres().await else {
        return;
    };
    store.migrate_up(None).await.unwrap();
    assert!(
        !store.role_check().await.unwrap().bypasses_rls,
        "tests connect as an ordinary role"
    );
    let a = World::create(&store).await;
    let b = World::create(&store).await;

    let tables = austa_store::model::ALL_TABLES.iter().map(|t| t.name);
    for table in tables {
        let tenant = if table == "organizations" {
            "id"
        } else {
            "organization_id"
        };
        let mut tx = store.scoped_transaction(a.scope(), TxMode::Read).await.unwrap();
        // No WHERE: row-level security alone decides.
        let orgs: Vec<uuid::Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT {tenant} FROM {table}"
        )))
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        assert_eq!(
            orgs,
            vec![austa_domain::EntityId::as_uuid(&a.organization.id)],
            "{table} shows only A's rows"
        );
    }

    // Writes into B's organization from A's scope are refused by the policy's WITH CHECK.
    let mut tx = store.scoped_transaction(a.scope(), TxMode::Write).await.unwrap();
    let err = sqlx::query("UPDATE users SET organization_id = $1")
        .bind(austa_domain::EntityId::as_uuid(&b.organization.id))
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // A connection that never set a scope sees nothing at all.
    let mut raw = sqlx::PgConnection::connect(&db.url).await.unwrap();
    use sqlx::Connection;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // The platform scope sees both organizations.
    let mut tx = store
        .scoped_transaction(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(DISTINCT organization_id) FROM users")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

/// Migration 0016 rebuilds SQLite's audit log: its rows come through the rebuild, and back down,
/// exactly (the MAC chain covers every field).
#[tokio::test]
async fn the_audit_log_rebuild_keeps_every_row_sqlite() {
    use austa_store::model::AuditLog;
    let (store, _dir) = sqlite().await;
    store.migrate_up(None).await.unwrap();
    let w = World::create(&store).await;
    let read = || async {
        let mut tx = store.begin(w.scope(), TxMode::Read).await.unwrap();
        tx.find::<AuditLog>(w.audit_log.id).await.unwrap()
    };
    assert!(read().await.as_ref() == Some(&w.audit_log));
    assert_eq!(store.migrate_down(15).await.unwrap(), vec![16]);
    assert!(read().await.as_ref() == Some(&w.audit_log));
    assert_eq!(store.migrate_up(None).await.unwrap(), vec![16]);
    assert!(read().await.as_ref() == Some(&w.audit_log));
}
