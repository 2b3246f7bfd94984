//! The durable job queue on both backends: claiming, leases, retries with backoff, dead jobs,
//! de-duplication, and concurrent workers never taking the same job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use austa_crypto::MasterKey;
use austa_domain::Principal;
use austa_domain::enums::JobStatus;
use austa_server::bootstrap;
use austa_server::context::{Clock, Services};
use austa_server::jobs::{self, NewJob};
use austa_store::{Store, TxMode};
use serde_json::json;

struct Env {
    services: Arc<Services>,
    offset: Arc<AtomicI64>,
    _db: Option<austa_testkit::TestDatabase>,
}

impl Env {
    fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

async fn env(store: Arc<dyn Store>, db: Option<austa_testkit::TestDatabase>) -> Env {
    store.migrate_up(None).await.unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let clock = Clock::from_fn(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(o.load(Ordering::SeqCst))
    });
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let services = bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, clock)
        .await
        .unwrap();
    Env {
        services,
        offset,
        _db: db,
    }
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-jobs-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::env(store, None).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(
                        austa_store_postgres::PostgresStore::connect(&db.url)
                            .await
                            .unwrap(),
                    );
                    super::$name(super::env(store, Some(db)).await).await;
                }
            }
        }
    };
}

async fn enqueue(env: &Env, kind: &str, dedupe: Option<&str>, delay: i64) -> austa_store::model::Job {
    let now = env.services.clock.now();
    let mut tx = env
        .services
        .store
        .begin(Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    let job = jobs::enqueue(
        tx.as_mut(),
        NewJob {
            organization: None,
            kind,
            payload: json!({"n": 1}),
            dedupe_key: dedupe.map(str::to_owned),
            run_at: Some(now + time::Duration::seconds(delay)),
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    job
}

on_both_backends!(claim_complete_retry_and_die);
async fn claim_complete_retry_and_die(env: Env) {
    let a = enqueue(&env, "test.kind", None, 0).await;
    let b = enqueue(&env, "test.kind", None, 0).await;
    let later = enqueue(&env, "test.kind", None, 3600).await;
    let other_kind = enqueue(&env, "other.kind", None, 0).await;
    // De-duplication: the same key keeps the first job.
    let d1 = enqueue(&env, "test.kind", Some("delivery-1"), 3600).await;
    let d2 = enqueue(&env, "test.kind", Some("delivery-1"), 3600).await;
    assert_eq!(d1.id, d2.id);

    let claimed = jobs::claim(&env.services, "w1", &["test.kind"], 10)
        .await
        .unwrap();
    let ids: Vec<_> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![a.id, b.id], "only due jobs of the asked kinds");
    assert!(
        claimed
            .iter()
            .all(|j| j.status == JobStatus::Running && j.attempts == 1)
    );
    assert!(
        jobs::claim(&env.services, "w2", &["test.kind"], 10)
            .await
            .unwrap()
            .is_empty(),
        "claimed jobs are not claimed twice"
    );
    let _ = (later, other_kind);

    assert!(jobs::complete(&env.services, &claimed[0]).await.unwrap());
    assert_eq!(
        jobs::get(&env.services, a.id).await.unwrap().unwrap().status,
        JobStatus::Done
    );
    assert!(
        jobs::fail(&env.services, &claimed[1], "timeout talking to Meta")
            .await
            .unwrap()
    );
    let failed = jobs::get(&env.services, b.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.last_error.as_deref()),
        (JobStatus::Pending, Some("timeout talking to Meta"))
    );
    assert!(
        jobs::claim(&env.services, "w1", &["test.kind"], 10)
            .await
            .unwrap()
            .is_empty(),
        "backoff: not yet"
    );
    env.advance(6);
    let retried = jobs::claim(&env.services, "w1", &["test.kind"], 10)
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);

    // Spent attempts: dead, kept for inspection.
    let mut job = retried[0].clone();
    for _ in job.attempts..job.max_attempts {
        assert!(jobs::fail(&env.services, &job, "still failing").await.unwrap());
        env.advance(3600);
        job = jobs::claim(&env.services, "w1", &["test.kind"], 1)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.id == b.id)
            .unwrap();
    }
    assert!(jobs::fail(&env.services, &job, "last").await.unwrap());
    let dead = jobs::get(&env.services, b.id).await.unwrap().unwrap();
    assert_eq!(dead.status, JobStatus::Dead);
    assert_eq!(dead.attempts, dead.max_attempts);
}

on_both_backends!(an_abandoned_lease_is_taken_over);
async fn an_abandoned_lease_is_taken_over(env: Env) {
    let job = enqueue(&env, "test.lease", None, 0).await;
    let first = jobs::claim(&env.services, "crashed-worker", &["test.lease"], 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        jobs::claim(&env.services, "w2", &["test.lease"], 1)
            .await
            .unwrap()
            .is_empty()
    );
    env.advance(jobs::LEASE.whole_seconds() + 1);
    let second = jobs::claim(&env.services, "w2", &["test.lease"], 1)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].id, second[0].attempts), (job.id, 2));
    // The first worker comes back too late: its outcome is ignored.
    assert!(!jobs::complete(&env.services, &first[0]).await.unwrap());
    assert!(jobs::complete(&env.services, &second[0]).await.unwrap());
    assert_eq!(
        jobs::get(&env.services, job.id).await.unwrap().unwrap().status,
        JobStatus::Done
    );
}

on_both_backends!(concurrent_workers_never_share_a_job);
async fn concurrent_workers_never_share_a_job(env: Env) {
    for _ in 0..40 {
        enqueue(&env, "test.concurrent", None, 0).await;
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let services = env.services.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = jobs::claim(&services, &format!("w{w}"), &["test.concurrent"], 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                for job in batch {
                    assert!(jobs::complete(&services, &job).await.unwrap());
                    mine.push(job.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!((total, all.len()), (40, 40), "every job once, none twice");
}
