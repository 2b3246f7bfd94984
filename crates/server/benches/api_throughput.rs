//! Requests per second of an authorized read of one health record (policy, decryption and its audit
//! row written in the same transaction) against a hello-world axum route on the same machine, on
//! SQLite and on PostgreSQL. A load tool, not a timing test: `cargo bench -p austa-server --bench
//! api_throughput`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use austa_crypto::MasterKey;
use austa_server::app::{self, AppState};
use austa_server::context::Clock;
use austa_server::{bootstrap, seed};
use austa_store::Store;

/// The allocator the `austa` binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONCURRENCY: usize = 32;
/// One measurement; a round measures hello world and then the audited read, and the rounds
/// alternate so that a neighbour's load on this shared machine weighs on both sides of a ratio.
const DURATION: Duration = Duration::from_secs(4);
const ROUNDS: usize = 5;

/// Requests per second and the process's CPU time per request of one measurement.
#[derive(Clone, Copy)]
struct Measured {
    rate: f64,
    cpu_us: f64,
}

async fn serve(router: axum::Router) -> String {
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
    format!("http://{addr}")
}

/// `CONCURRENCY` keep-alive clients hammering `url` for `DURATION`.
async fn load(url: &str, token: Option<&str>) -> Measured {
    let (url, token) = (url.to_owned(), token.map(str::to_owned));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let cpu_before = cpu_seconds();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, token, done, failed) = (
            client.clone(),
            url.clone(),
            token.clone(),
            done.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < DURATION {
                let mut request = client.get(&url);
                if let Some(t) = &token {
                    request = request.bearer_auth(t);
                }
                match request.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "requests failed under load");
    let requests = done.load(Ordering::Relaxed) as f64;
    let cpu = cpu_seconds() - cpu_before;
    Measured {
        rate: requests / start.elapsed().as_secs_f64(),
        cpu_us: cpu * 1e6 / requests,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Alternates hello world and the audited read for `ROUNDS` rounds; prints each round and the
/// medians of the ratios (requests per second, and hello world's CPU per request over the read's).
async fn compare(name: &str, hello: &str, url: &str, token: &str) {
    let (mut rates, mut cpus) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let baseline = load(hello, None).await;
        let audited = load(url, Some(token)).await;
        println!(
            "{name} round {round}: hello world {:.0} req/s ({:.1} µs CPU), audited read {:.0} req/s ({:.1} µs CPU)",
            baseline.rate, baseline.cpu_us, audited.rate, audited.cpu_us
        );
        rates.push(audited.rate / baseline.rate);
        cpus.push(baseline.cpu_us / audited.cpu_us);
    }
    println!(
        "GET health record + audit, {name}: median ratio {:.2} in requests/s, {:.2} in CPU per request ({ROUNDS} rounds of {DURATION:?}, {CONCURRENCY} connections)",
        median(rates),
        median(cpus)
    );
}

/// User and system CPU time of this process so far (Linux `/proc/self/stat`, in clock ticks of
/// 10 ms): a figure that neighbours on a shared machine disturb less than requests per second.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

async fn health_record_url(store: Arc<dyn Store>) -> (String, String) {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let services = bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, Clock::system())
        .await
        .unwrap();
    let demo = seed::demo(&services).await.unwrap();
    let password = demo.logins.unwrap()["password"].as_str().unwrap().to_owned();
    let base = serve(app::router(AppState { services })).await;
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "medico@demo.austa.care", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let patients: serde_json::Value = client
        .get(format!("{base}/api/v1/users?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let patient = patients["items"][0]["id"].as_str().unwrap().to_owned();
    let records: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/users/{patient}/health-data?type=VITAL_SIGN&limit=1"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let record = records["items"][0]["id"].as_str().unwrap().to_owned();
    (
        format!("{base}/api/v1/users/{patient}/health-data/{record}"),
        token,
    )
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let hello =
            serve(axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }))).await;
        let hello = format!("{hello}/hello");

        // `AUSTA_BENCH_BACKENDS=sqlite` (or `postgres`) measures only that one, e.g. under a profiler.
        let only = std::env::var("AUSTA_BENCH_BACKENDS").unwrap_or_default();
        let wanted = |name: &str| only.is_empty() || only.split(',').any(|b| b == name);
        if wanted("sqlite") {
            let dir = std::env::temp_dir().join(format!("austa-bench-{}", uuid::Uuid::now_v7().simple()));
            let sqlite: Arc<dyn Store> = Arc::new(
                austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                    .await
                    .unwrap(),
            );
            let (url, token) = health_record_url(sqlite.clone()).await;
            compare("SQLite", &hello, &url, &token).await;
            sqlite.close().await;
            let _ = std::fs::remove_dir_all(&dir);
        }
        if !wanted("postgres") {
            return;
        }

        match austa_testkit::postgres().await {
            Some(db) => {
                let pg: Arc<dyn Store> = Arc::new(
                    austa_store_postgres::PostgresStore::connect(&db.url)
                        .await
                        .unwrap(),
                );
                let (url, token) = health_record_url(pg).await;
                compare("PostgreSQL", &hello, &url, &token).await;
            }
            None => println!("PostgreSQL: not available, skipped"),
        }
    });
}
