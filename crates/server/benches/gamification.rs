//! The gamification engine under load: sustained events/s (event → rule match → points ledger →
//! balance, level, streak, mission progress), with many patients and concurrent workers, and the
//! p50/p99 latency of one event, on SQLite and PostgreSQL. Each event completes a mission step;
//! every third completes a mission (an award). `cargo bench -p austa-server --bench gamification`;
//! figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use austa_crypto::MasterKey;
use austa_domain::enums::{Difficulty, MissionCategory, Repeatability};
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::service::gamification::{self, Event, kinds};
use austa_server::service::{organizations, patients};
use austa_store::model::{Mission, User};
use austa_store::{Store, TxMode};
use serde_json::json;

const PATIENTS: usize = 200;
const WORKERS: usize = 16;
const DURATION: Duration = Duration::from_secs(20);

async fn setup(store: Arc<dyn Store>) -> (Arc<Services>, austa_domain::ids::OrganizationId, Vec<User>) {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let services = bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, Clock::system())
        .await
        .unwrap();
    let org = organizations::create(
        &services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Carga",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap()
    .id;
    let actor = Actor::system_for(org);
    let now = time::OffsetDateTime::now_utc();
    let mission = Mission {
        id: austa_domain::EntityId::generate(),
        organization_id: org,
        code: "pressao-3x".into(),
        version: 1,
        title: "Meça a pressão 3 vezes".into(),
        description: "Três medidas".into(),
        category: MissionCategory::Health,
        difficulty: Difficulty::Medium,
        points: 25,
        prerequisites: json!([]),
        available_from: None,
        available_until: None,
        repeatability: Repeatability::Daily,
        badge: None,
        completion_rule: json!({"event": "vital_sign_recorded", "kind": "blood_pressure", "count": 3}),
        is_active: true,
        published_at: Some(austa_store::value::to_stored_precision(now)),
        created_at: austa_store::value::to_stored_precision(now),
        updated_at: austa_store::value::to_stored_precision(now),
        deleted_at: None,
    };
    let m = &mission;
    austa_server::transact!(&services, &actor, TxMode::Write, |work| Ok(work
        .tx()
        .create(m)
        .await?))
    .unwrap();
    let mut users = Vec::new();
    for i in 0..PATIENTS {
        let input: patients::NewPatient = serde_json::from_value(
            json!({"name": format!("Paciente {i}"), "phone": format!("+55119{:08}", i)}),
        )
        .unwrap();
        let created = austa_server::transact!(&services, &actor, TxMode::Write, |work| patients::create(
            work, org, input
        )
        .await)
        .unwrap();
        let user = austa_server::transact!(&services, &actor, TxMode::Read, |work| Ok(work
            .tx()
            .get::<User>(created.id)
            .await?))
        .unwrap();
        users.push(user);
    }
    (services, org, users)
}

async fn run(name: &str, store: Arc<dyn Store>) {
    let (services, org, users) = setup(store).await;
    let users = Arc::new(users);
    let deadline = Instant::now() + DURATION;
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (services, users) = (services.clone(), users.clone());
        tasks.push(tokio::spawn(async move {
            let actor = Actor::system_for(org);
            let mut latencies = Vec::new();
            let mut n = 0usize;
            while Instant::now() < deadline {
                let user = &users[(w + n * WORKERS) % users.len()];
                let event = Event {
                    kind: kinds::VITAL_SIGN_RECORDED,
                    key: format!("bench:{w}:{n}"),
                    at: time::OffsetDateTime::now_utc(),
                    detail: json!({"kind": "blood_pressure"}),
                };
                let started = Instant::now();
                austa_server::transact!(&services, &actor, TxMode::Write, |work| gamification::record(
                    work,
                    user,
                    event.clone()
                )
                .await)
                .unwrap();
                latencies.push(started.elapsed());
                n += 1;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{name}: {} events in {DURATION:?}: {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms ({WORKERS} workers, {PATIENTS} patients)",
        all.len(),
        all.len() as f64 / DURATION.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("austa-bench-{}", uuid::Uuid::now_v7().simple()));
        let sqlite: Arc<dyn Store> = Arc::new(
            austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                .await
                .unwrap(),
        );
        run("SQLite", sqlite).await;
        let _ = std::fs::remove_dir_all(&dir);
        match austa_testkit::postgres().await {
            Some(db) => {
                let pg: Arc<dyn Store> = Arc::new(
                    austa_store_postgres::PostgresStore::connect(&db.url)
                        .await
                        .unwrap(),
                );
                run("PostgreSQL", pg).await;
            }
            None => println!("PostgreSQL: not available, skipped"),
        }
    });
}
