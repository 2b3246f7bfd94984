//! Documents: upload throughput (MB/s, multipart over HTTP, sealed with a per-document key, stored,
//! recorded) to the local folder and to an S3-compatible bucket (moto); the cost of sealing as a
//! share of an upload; and OCR seconds per page (text layer, a photo, a scanned page).
//! `cargo bench -p austa-server --bench documents`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use austa_crypto::MasterKey;
use austa_crypto::envelope::{DataKey, Field, KeyRing};
use austa_domain::enums::Role;
use austa_server::app::{self, AppState};
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock};
use austa_server::seed::pdf::text_pdf;
use austa_server::service::{api_keys, documents, organizations};
use secrecy::SecretString;

/// The allocator the `austa` binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Target {
    base: String,
    token: String,
    patient: String,
}

async fn target(options: bootstrap::Options) -> Target {
    let dir = std::env::temp_dir().join(format!("austa-bench-docs-{}", uuid::Uuid::now_v7().simple()));
    let store = Arc::new(
        austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
            .await
            .unwrap(),
    );
    austa_store::Store::migrate_up(store.as_ref(), None)
        .await
        .unwrap();
    let options = bootstrap::Options {
        media_dir: Some(dir.join("media")),
        ..options
    };
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
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
    let org = organizations::create(
        &services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Bench",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(&services, &Actor::platform(), Some(org.id), Role::System, "bench")
        .await
        .unwrap();
    let base = format!("http://{addr}/api/v1");
    let patient: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/users"))
        .bearer_auth(key.token.expose())
        .json(&serde_json::json!({"name": "Paciente", "phone": "+5511987654321"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Target {
        base,
        token: key.token.expose().to_owned(),
        patient: patient["id"].as_str().unwrap().to_owned(),
    }
}

/// A PDF of `size` bytes (a real header and page, padded).
fn file_of(size: usize) -> Vec<u8> {
    let mut pdf = text_pdf(&["Pedido de exame"], 12);
    pdf.resize(size, b' ');
    pdf
}

/// MB/s of sequential uploads of `size` bytes for `rounds`, and the mean seconds of one.
async fn uploads(t: &Target, size: usize, rounds: u32) -> (f64, f64) {
    let http = reqwest::Client::new();
    let file = file_of(size);
    let start = Instant::now();
    for _ in 0..rounds {
        let form = reqwest::multipart::Form::new()
            .text("userId", t.patient.clone())
            .text("documentType", "LAB_REPORT")
            .part(
                "file",
                reqwest::multipart::Part::bytes(file.clone()).file_name("laudo.pdf"),
            );
        let r = http
            .post(format!("{}/documents", t.base))
            .bearer_auth(&t.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let secs = start.elapsed().as_secs_f64();
    (
        size as f64 * f64::from(rounds) / secs / 1e6,
        secs / f64::from(rounds),
    )
}

/// Mean seconds to seal `size` bytes as an upload does: a new data key, wrapped, then XChaCha20-Poly1305.
fn sealing(size: usize, rounds: u32) -> f64 {
    let kek = austa_crypto::SecretKey::generate().unwrap();
    let file = file_of(size);
    let start = Instant::now();
    for _ in 0..rounds {
        let key = DataKey::generate(1).unwrap();
        let id = uuid::Uuid::now_v7();
        std::hint::black_box(key.wrap(&kek, id).unwrap());
        let sealed = KeyRing::single(id, key)
            .encrypt(Field::new("documents", "content_v2"), id, &file)
            .unwrap();
        std::hint::black_box(sealed);
    }
    start.elapsed().as_secs_f64() / f64::from(rounds)
}

async fn ocr_seconds(mime: &str, bytes: &[u8], rounds: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..rounds {
        let reading = documents::read_text(mime, bytes).await.unwrap();
        assert!(reading.is_some_and(|(text, _)| text.contains("Losartana")));
    }
    start.elapsed().as_secs_f64() / f64::from(rounds)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let local = target(bootstrap::Options::default()).await;
    println!("upload (local folder, SQLite):");
    for (size, rounds) in [(1 << 20, 40), (10 << 20, 10), (50 << 20, 4)] {
        let (mbps, secs) = uploads(&local, size, rounds).await;
        let seal = sealing(size, rounds);
        println!(
            "  {:>3} MB: {mbps:7.1} MB/s, {:6.1} ms per upload; sealing {:6.1} ms = {:4.1} % of it",
            size >> 20,
            secs * 1e3,
            seal * 1e3,
            seal / secs * 100.0
        );
    }
    if let Some(s3) = austa_testkit::s3() {
        let bucket = format!("bench-{}", uuid::Uuid::now_v7().simple());
        reqwest::Client::new()
            .put(format!("{}/{bucket}", s3.endpoint))
            .send()
            .await
            .unwrap();
        let options = bootstrap::Options {
            bucket: Some(austa_server::storage::BucketConfig {
                url: format!("s3://{bucket}"),
                endpoint: Some(s3.endpoint.clone()),
                region: Some("us-east-1".into()),
                access_key_id: Some("bench".into()),
                secret_access_key: Some(SecretString::from("bench")),
            }),
            ..Default::default()
        };
        let bucketed = target(options).await;
        println!("upload (S3 bucket on moto, loopback):");
        for (size, rounds) in [(1 << 20, 20), (10 << 20, 5)] {
            let (mbps, secs) = uploads(&bucketed, size, rounds).await;
            println!(
                "  {:>3} MB: {mbps:7.1} MB/s, {:6.1} ms per upload",
                size >> 20,
                secs * 1e3
            );
        }
    }
    if austa_testkit::ocr_tools() {
        let page = text_pdf(
            &[
                "RECEITUÁRIO MÉDICO",
                "1. Losartana 50 mg - tomar 1 comprimido pela manhã",
                "2. Metformina 850 mg - tomar 1 comprimido após o almoço e o jantar",
                "Glicemia de jejum: 126 mg/dL (VR: 70 a 99 mg/dL)",
            ],
            13,
        );
        let photo = austa_testkit::render::png_of(&page, 200);
        let scan = austa_testkit::render::scanned_pdf(&page, 200);
        println!("OCR, seconds per page:");
        println!(
            "  PDF text layer (pdftotext):        {:.3}",
            ocr_seconds("application/pdf", &page, 20).await
        );
        println!(
            "  PNG photo, 200 dpi (tesseract):     {:.3}",
            ocr_seconds("image/png", &photo, 5).await
        );
        println!(
            "  scanned PDF (pdftoppm + tesseract): {:.3}",
            ocr_seconds("application/pdf", &scan, 5).await
        );
    }
}
