//! Webhook ingest: signed notifications → durably stored (the 200 means stored) per second, sustained,
//! against the floor of inserting the same rows straight through the store; and webhook latency
//! p50/p99 at a steady 200 notifications/s. `cargo bench -p austa-server --bench webhook_ingest`;
//! figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use austa_crypto::MasterKey;
use austa_server::app::{self, AppState};
use austa_server::bootstrap;
use austa_server::context::Clock;
use austa_store::Store;
use secrecy::SecretString;

/// The allocator the `austa` binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &str = "segredo-do-benchmark";
const SUSTAINED: Duration = Duration::from_secs(60);
const CONCURRENCY: usize = 32;

fn notification(n: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511930041234", "phone_number_id": "109876543210987"},
            "contacts": [{"profile": {"name": "Paciente"}, "wa_id": "5511999990001"}],
            "messages": [{"from": "5511999990001", "id": format!("wamid.bench{n}-{}", uuid::Uuid::now_v7().simple()),
                          "timestamp": "1764300000", "type": "text", "text": {"body": "Bom dia, preciso remarcar minha consulta"}}],
        }}]}],
    }))
    .unwrap()
}

async fn server(store: Arc<dyn Store>) -> (String, Arc<austa_server::context::Services>) {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let options = bootstrap::Options {
        whatsapp_app_secret: Some(SecretString::from(SECRET)),
        ..Default::default()
    };
    let services = bootstrap::assemble_with(
        store,
        &MasterKey::generate().unwrap(),
        whatsapp,
        Clock::system(),
        options,
    )
    .await
    .unwrap();
    let router = app::router(AppState {
        services: services.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    (format!("http://{addr}/webhooks/whatsapp"), services)
}

/// Acknowledged (stored) notifications per second with `CONCURRENCY` senders.
async fn sustained(url: &str) -> f64 {
    let client = reqwest::Client::new();
    let stored = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, stored, counter) =
            (client.clone(), url.to_owned(), stored.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < SUSTAINED {
                let body = notification(counter.fetch_add(1, Ordering::Relaxed));
                let signature = austa_whatsapp::signature::sign(SECRET.as_bytes(), &body);
                let response = client
                    .post(&url)
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                stored.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    stored.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The same two rows per notification (delivery and job) inserted by plain SQL, one transaction each,
/// `CONCURRENCY` writers: what the database itself allows, the floor the service is compared with.
async fn plain_sql(backend: &Backend) -> f64 {
    let sealed = vec![7u8; 600];
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (done, sealed, backend) = (done.clone(), sealed.clone(), backend.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < SUSTAINED {
                let (delivery, job) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
                let sha = uuid::Uuid::now_v7().as_bytes().repeat(2);
                let now = time::OffsetDateTime::now_utc();
                let payload = format!("{{\"deliveryId\":\"{delivery}\"}}");
                match &backend {
                    Backend::Sqlite(pool) => {
                        let text = now.format(&time::format_description::well_known::Rfc3339).unwrap();
                        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                        sqlx::query("INSERT INTO webhook_deliveries (id, channel, body_sha256, body_encrypted, body_bytes, received_at, created_at, updated_at) VALUES (?1, 'WHATSAPP', ?2, ?3, 600, ?4, ?4, ?4)")
                            .bind(delivery.to_string()).bind(&sha).bind(&sealed).bind(&text)
                            .execute(&mut *tx).await.unwrap();
                        sqlx::query("INSERT INTO jobs (id, kind, payload, status, run_at, dedupe_key, created_at, updated_at) VALUES (?1, 'whatsapp.process_notification', ?2, 'PENDING', ?3, ?4, ?3, ?3)")
                            .bind(job.to_string()).bind(&payload).bind(&text).bind(delivery.to_string())
                            .execute(&mut *tx).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                    Backend::Postgres(pool) => {
                        let mut tx = pool.begin().await.unwrap();
                        sqlx::query("SELECT set_config('austa.bypass_rls', 'on', true)").execute(&mut *tx).await.unwrap();
                        sqlx::query("INSERT INTO webhook_deliveries (id, channel, body_sha256, body_encrypted, body_bytes, received_at, created_at, updated_at) VALUES ($1, 'WHATSAPP', $2, $3, 600, $4, $4, $4)")
                            .bind(delivery).bind(&sha).bind(&sealed).bind(now)
                            .execute(&mut *tx).await.unwrap();
                        sqlx::query("INSERT INTO jobs (id, kind, payload, status, run_at, dedupe_key, created_at, updated_at) VALUES ($1, 'whatsapp.process_notification', $2::jsonb, 'PENDING', $3, $4, $3, $3)")
                            .bind(job).bind(&payload).bind(now).bind(delivery.to_string())
                            .execute(&mut *tx).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The same rows written straight through the storing function (sealing and de-duplication
/// included), `CONCURRENCY` writers, no HTTP, no signature.
async fn floor(services: &Arc<austa_server::context::Services>) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let n = Arc::new(AtomicU64::new(1_000_000));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (done, n) = (done.clone(), n.clone());
        let services = services.clone();
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < SUSTAINED {
                let body = notification(n.fetch_add(1, Ordering::Relaxed));
                austa_server::service::webhooks::store(&services, &body)
                    .await
                    .unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Latency of single deliveries at a steady `rate` per second for `duration`.
async fn latency(url: &str, rate: u64, duration: Duration) -> (Duration, Duration) {
    let client = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let mut n = 2_000_000u64;
    while start.elapsed() < duration {
        ticker.tick().await;
        n += 1;
        let (client, url, body) = (client.clone(), url.to_owned(), notification(n));
        tasks.push(tokio::spawn(async move {
            let signature = austa_whatsapp::signature::sign(SECRET.as_bytes(), &body);
            let sent = Instant::now();
            let response = client
                .post(&url)
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            sent.elapsed()
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

async fn run(name: &str, store: Arc<dyn Store>, backend: Backend) {
    let (url, services) = server(store).await;
    let (p50, p99) = latency(&url, 200, Duration::from_secs(10)).await;
    println!(
        "{name}: webhook latency at 200/s: p50 {:.1} ms, p99 {:.1} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    let through_http = sustained(&url).await;
    let direct = floor(&services).await;
    let raw = plain_sql(&backend).await;
    println!(
        "{name}: sustained ingest over {SUSTAINED:?}: {through_http:.0} notifications/s over HTTP; {direct:.0}/s through the storing function; \
         floor (plain SQL inserts of the same rows) {raw:.0}/s; ratio HTTP/floor {:.2}",
        through_http / raw
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("austa-ingest-{}", uuid::Uuid::now_v7().simple()));
        let store = austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
            .await
            .unwrap();
        // The floor's own connections (the store's schema pool has one).
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.join("austa.db"))
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10)),
            )
            .await
            .unwrap();
        run("SQLite", Arc::new(store), Backend::Sqlite(pool)).await;
        let _ = std::fs::remove_dir_all(&dir);
        match austa_testkit::postgres().await {
            Some(db) => {
                let store = austa_store_postgres::PostgresStore::connect(&db.url)
                    .await
                    .unwrap();
                let pool = store.pool().clone();
                run("PostgreSQL", Arc::new(store), Backend::Postgres(pool)).await;
            }
            None => println!("PostgreSQL: not available, skipped"),
        }
    });
}
