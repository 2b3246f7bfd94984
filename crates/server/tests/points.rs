//! The points ledger under load, on both backends: thousands of random concurrent awards,
//! spendings, penalties and retried keys, after which every patient's balance equals the sum of
//! their transactions, never went below zero, and every key applied once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use austa_crypto::MasterKey;
use austa_domain::enums::{PointSource, Role};
use austa_domain::ids::UserId;
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::error::Error;
use austa_server::service::points::{self, Applied, Entry};
use austa_server::service::{organizations, patients};
use austa_store::model::{HealthPoints, PointTransaction, User};
use austa_store::{ListQuery, Store, TxMode};
use serde_json::json;

const TASKS: u64 = 8;
const OPERATIONS_PER_TASK: u64 = 300;

async fn services(store: Arc<dyn Store>) -> Arc<Services> {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, Clock::system())
        .await
        .unwrap()
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let dir =
                    std::env::temp_dir().join(format!("austa-points-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::services(store).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(
                        austa_store_postgres::PostgresStore::connect(&db.url)
                            .await
                            .unwrap(),
                    );
                    super::$name(super::services(store).await).await;
                }
            }
        }
    };
}

async fn patients_of(s: &Services, n: usize) -> (austa_domain::ids::OrganizationId, Vec<User>) {
    let org = organizations::create(
        s,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Pontos",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let mut users = Vec::new();
    for i in 0..n {
        let input: patients::NewPatient = serde_json::from_value(json!({
            "name": format!("Paciente {i}"),
            "phone": format!("+55119876500{i:02}"),
        }))
        .unwrap();
        let created = austa_server::transact!(s, &actor, TxMode::Write, |work| patients::create(
            work, org.id, input
        )
        .await)
        .unwrap();
        let user = austa_server::transact!(s, &actor, TxMode::Read, |work| Ok(work
            .tx()
            .get::<User>(created.id)
            .await?))
        .unwrap();
        points::ensure_account(s, org.id, user.id).await.unwrap();
        users.push(user);
    }
    (org.id, users)
}

/// xorshift: reproducible randomness per task.
struct Dice(u64);
impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn apply(
    s: &Services,
    org: austa_domain::ids::OrganizationId,
    user: &User,
    entry: Entry,
) -> Result<Applied, Error> {
    let actor = Actor::system_for(org);
    austa_server::transact!(s, &actor, TxMode::Write, |work| points::apply(work, user, entry)
        .await)
}

on_both_backends!(the_balance_is_always_the_sum_of_the_transactions);
async fn the_balance_is_always_the_sum_of_the_transactions(s: Arc<Services>) {
    let (org, users) = patients_of(&s, 3).await;
    let users = Arc::new(users);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (s, users) = (s.clone(), users.clone());
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
            let mut used: Vec<(UserId, String)> = Vec::new();
            let (mut refused, mut duplicates) = (0u64, 0u64);
            for i in 0..OPERATIONS_PER_TASK {
                let user = &users[dice.roll(users.len() as u64) as usize];
                let (source, amount) = match dice.roll(10) {
                    0..=4 => (PointSource::Engagement, 1 + dice.roll(20) as i64),
                    5 => (PointSource::Mission, 25),
                    6 | 7 => (PointSource::Purchase, -(1 + dice.roll(40) as i64)),
                    8 => (PointSource::Penalty, -(1 + dice.roll(5) as i64)),
                    _ => (PointSource::Adjustment, 1 + dice.roll(3) as i64),
                };
                // One in eight repeats a key already used: a retried event.
                let key = match used.get(dice.roll(8 * (used.len() as u64 + 1)) as usize) {
                    Some((u, k)) if *u == user.id => k.clone(),
                    _ => format!("t{t}-op{i}"),
                };
                let entry = Entry {
                    source,
                    amount,
                    reason: "teste".into(),
                    mission: None,
                    idempotency_key: key.clone(),
                    metadata: json!({}),
                };
                match apply(&s, org, user, entry).await {
                    Ok(Applied::New { .. }) => used.push((user.id, key)),
                    Ok(Applied::Duplicate(_)) => duplicates += 1,
                    Err(Error::Conflict {
                        code: "insufficient_points",
                        ..
                    }) => refused += 1,
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            (used, refused, duplicates)
        }));
    }
    let mut applied_keys = BTreeSet::new();
    let (mut refused, mut duplicates) = (0, 0);
    for task in tasks {
        let (used, r, d) = task.await.unwrap();
        for k in used {
            assert!(applied_keys.insert(k), "a key applied twice");
        }
        refused += r;
        duplicates += d;
    }
    assert!(
        refused > 0 && duplicates > 0,
        "the run exercised refusals ({refused}) and retried keys ({duplicates})"
    );

    let mut tx = s
        .store
        .begin(austa_domain::Principal::system_for(org).scope(), TxMode::Read)
        .await
        .unwrap();
    let accounts = tx
        .list::<HealthPoints>(&ListQuery::first(100))
        .await
        .unwrap()
        .items;
    let mut sums: BTreeMap<UserId, i64> = BTreeMap::new();
    let mut count = 0;
    let mut cursor = ListQuery::first(ListQuery::MAX_LIMIT);
    loop {
        let page = tx.list::<PointTransaction>(&cursor).await.unwrap();
        for t in &page.items {
            *sums.entry(t.user_id).or_default() += t.amount;
            assert!(t.balance_after >= 0);
            count += 1;
        }
        match page.next {
            Some(next) => cursor = ListQuery::first(ListQuery::MAX_LIMIT).after(Some(next)),
            None => break,
        }
    }
    tx.rollback().await.unwrap();
    assert_eq!(count, applied_keys.len(), "one transaction per applied key");
    assert_eq!(accounts.len(), 3);
    for a in accounts {
        assert_eq!(
            a.balance,
            sums.get(&a.user_id).copied().unwrap_or(0),
            "balance = sum of transactions"
        );
        assert!(a.balance >= 0);
    }
    println!(
        "{} transactions, {refused} refused, {duplicates} retried keys",
        count
    );
}

on_both_backends!(one_key_at_once_from_many_workers_applies_once);
async fn one_key_at_once_from_many_workers_applies_once(s: Arc<Services>) {
    let (org, users) = patients_of(&s, 1).await;
    let user = Arc::new(users.into_iter().next().unwrap());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, user) = (s.clone(), user.clone());
            tokio::spawn(async move {
                let entry = Entry {
                    source: PointSource::Mission,
                    amount: 50,
                    reason: "missão concluída".into(),
                    mission: None,
                    idempotency_key: "mission:primeiros-passos".into(),
                    metadata: json!({}),
                };
                apply(&s, org, &user, entry).await.unwrap()
            })
        })
        .collect();
    let mut new = 0;
    for t in tasks {
        if let Applied::New { .. } = t.await.unwrap() {
            new += 1;
        }
    }
    assert_eq!(new, 1, "awarded once");
    let actor = Actor::system_for(org);
    let view = austa_server::transact!(&s, &actor, TxMode::Read, |work| points::summary(work, user.id)
        .await)
    .unwrap();
    assert_eq!((view.balance, view.experience), (50, 50));
    let _ = Role::Patient;
}
