//! Medical documents over HTTP on both backends, with real files: a prescription rendered into a
//! PDF (text layer), a lab report rendered into a PNG (read by Tesseract) and into a scanned PDF
//! (no text layer). Checked: type sniffed from the bytes, sealed at rest, content round trip,
//! OCR finding the medicines and values, extraction, verification into health records, retention,
//! tenant isolation; and the same files in an S3-compatible bucket (moto).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use austa_crypto::MasterKey;
use austa_domain::enums::Role;
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::seed::pdf::text_pdf;
use austa_server::service::{api_keys, organizations, staff};
use austa_store::Store;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Digest;

const PRESCRIPTION: &[&str] = &[
    "RECEITUÁRIO MÉDICO",
    "Uso oral contínuo:",
    "1. Losartana 50 mg - tomar 1 comprimido pela manhã",
    "2. Metformina 850 mg - tomar 1 comprimido após o almoço e o jantar",
    "Dr. João Lima - CRM-SP 123456",
];

const LAB_REPORT: &[&str] = &[
    "LABORATÓRIO CENTRAL - LAUDO DE EXAMES",
    "Glicemia de jejum: 126 mg/dL (VR: 70 a 99 mg/dL)",
    "Hemoglobina glicada: 7,2 % (VR: até 5,6 %)",
    "Colesterol total: 210 mg/dL (VR: abaixo de 190 mg/dL)",
];

struct World {
    base: String,
    http: reqwest::Client,
    services: Arc<Services>,
    /// A system key of the organization.
    token: String,
    /// A provider (a registered doctor) of the organization.
    doctor: String,
    org: austa_domain::ids::OrganizationId,
    patient: String,
}

async fn world(store: Arc<dyn Store>, options: bootstrap::Options) -> World {
    store.migrate_up(None).await.unwrap();
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
    let base = common::serve(&services).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (org, token) = common::organization_with_key(&services, "Operadora Documentos", "documentos").await;
    let mut w = World {
        base,
        http: reqwest::Client::new(),
        services: services.clone(),
        token,
        doctor: String::new(),
        org,
        patient: String::new(),
    };
    let password = SecretString::from("senha longa e segura");
    let doctor = staff::create(
        &services,
        &Actor::system_for(org),
        staff::NewStaff {
            organization: org,
            role: Role::Provider,
            email: "medica@docs.example",
            name: "Dra. Ana",
            password: &password,
        },
    )
    .await
    .unwrap();
    let (s, p) = w
        .call(
            reqwest::Method::POST,
            "/providers",
            Some(json!({"userId": doctor.user.id, "council": "CRM", "councilRegion": "SP", "councilNumber": "123456"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, login) = w
        .call(
            reqwest::Method::POST,
            "/auth/login",
            Some(json!({"email": "medica@docs.example", "password": "senha longa e segura"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{login}");
    w.doctor = login["token"].as_str().unwrap().to_owned();
    let (s, patient) = w
        .call(
            reqwest::Method::POST,
            "/users",
            Some(json!({"name": "Maria Souza", "phone": "+5511987654321"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{patient}");
    w.patient = patient["id"].as_str().unwrap().to_owned();
    w
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-docs-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                let options = austa_server::bootstrap::Options {
                    media_dir: Some(dir.join("media")),
                    ..Default::default()
                };
                super::$name(super::world(store, options).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let dir =
                        std::env::temp_dir().join(format!("austa-docs-{}", uuid::Uuid::now_v7().simple()));
                    let store = std::sync::Arc::new(
                        austa_store_postgres::PostgresStore::connect(&db.url)
                            .await
                            .unwrap(),
                    );
                    let options = austa_server::bootstrap::Options {
                        media_dir: Some(dir.join("media")),
                        ..Default::default()
                    };
                    super::$name(super::world(store, options).await).await;
                }
            }
        }
    };
}

impl World {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(&self.token, method, path, body).await
    }

    async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        common::call(&self.http, &self.base, token, method, path, body).await
    }

    async fn upload(
        &self,
        kind: &str,
        file_name: &str,
        declared: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(declared)
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("userId", self.patient.clone())
            .text("documentType", kind.to_owned())
            .part("file", part);
        let response = self
            .http
            .post(format!("{}/documents", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    /// Runs the queued jobs (OCR among them) until none is left.
    async fn run_jobs(&self) {
        while austa_server::job_handlers::run_pending(&self.services, "test-worker", 10)
            .await
            .unwrap()
            > 0
        {}
    }

    async fn document(&self, id: &str) -> Value {
        let (s, d) = self
            .call(reqwest::Method::GET, &format!("/documents/{id}"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        d
    }

    async fn content(&self, id: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}/documents/{id}/content", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let mime = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, mime, response.bytes().await.unwrap().to_vec())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

on_both_backends!(prescription_pdf_is_stored_sealed_read_and_verified);
async fn prescription_pdf_is_stored_sealed_read_and_verified(w: World) {
    if !austa_testkit::ocr_tools() {
        return;
    }
    let pdf = text_pdf(PRESCRIPTION, 13);
    let (s, d) = w
        .upload("PRESCRIPTION", "receita.pdf", "image/jpeg", pdf.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(
        d["mimeType"], "application/pdf",
        "sniffed from the bytes, not the declared type"
    );
    assert_eq!(d["sizeBytes"], pdf.len());
    assert_eq!(d["sha256"], sha256_hex(&pdf));
    assert_eq!(d["ocrStatus"], "PENDING");
    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(
        d["retentionUntil"],
        today.replace_year(today.year() + 20).unwrap().to_string(),
        "20 years"
    );

    // Sealed at rest: neither the text nor the PDF header is in the stored file.
    let stored = std::fs::read(w.services.media_dir.join(format!("{}/documents/{id}", w.org))).unwrap();
    assert!(!stored.windows(9).any(|x| x == b"Losartana") && !stored.starts_with(b"%PDF"));

    w.run_jobs().await;
    let d = w.document(&id).await;
    assert_eq!(d["ocrStatus"], "COMPLETED", "{}", d["ocrStatus"]);
    assert_eq!(d["ocrConfidence"], 1.0, "a text layer is exact");
    let text = d["ocrText"].as_str().unwrap();
    assert!(
        text.contains("Losartana 50 mg") && text.contains("Metformina 850 mg"),
        "text layer read"
    );
    let medications = d["extractedData"]["medications"].as_array().unwrap();
    for (name, dose) in [("losartana", "50 mg"), ("metformina", "850 mg")] {
        assert!(
            medications
                .iter()
                .any(|m| m["name"] == name && m["dosage"] == dose),
            "{name} {dose} extracted: {medications:?}"
        );
    }

    // The file comes back as it went in.
    let (s, mime, bytes) = w.content(&id).await;
    assert_eq!((s, mime.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(bytes, pdf);
    // The download is in the audit log, marked as the file itself.
    let (s, audit) = w
        .call(
            reqwest::Method::GET,
            &format!("/audit-logs?entityType=documents&entityId={id}&action=READ"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["details"]["content"] == true),
        "{audit}"
    );

    // A provider verifies: the medicines become health records of the patient, from the document.
    let (s, v) = w
        .call_as(
            &w.doctor,
            reqwest::Method::POST,
            &format!("/documents/{id}/verify"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["verifiedAt"].is_string());
    let (s, again) = w
        .call_as(
            &w.doctor,
            reqwest::Method::POST,
            &format!("/documents/{id}/verify"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_verified"))
    );
    // The verification counts for the patient's missions, once; a staff upload did not.
    let actor = Actor::system_for(w.org);
    let events: Vec<austa_store::model::GamificationEvent> =
        austa_server::transact!(&w.services, &actor, austa_store::TxMode::Read, |work| {
            Ok(work.tx().list(&austa_store::ListQuery::first(50)).await?.items)
        })
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["document_verified"], "{kinds:?}");
    let (s, records) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/health-data?type=MEDICATION", w.patient),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{records}");
    let records = records["items"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    for r in records {
        assert_eq!(r["source"], "DOCUMENT");
        assert_eq!(r["documentId"], id.as_str());
        assert!(r["verifiedBy"].is_string());
    }
    assert!(
        records
            .iter()
            .any(|r| r["data"]["name"] == "losartana" && r["data"]["dosage"] == "50 mg")
    );

    // Kept for its retention period: no deletion before it ends.
    let (s, p) = w
        .call(reqwest::Method::DELETE, &format!("/documents/{id}"), None)
        .await;
    assert_eq!(
        (s, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("retention")),
        "{p}"
    );
    assert_eq!(w.content(&id).await.0, StatusCode::OK, "still there");
}

on_both_backends!(lab_report_photo_is_read_by_ocr);
async fn lab_report_photo_is_read_by_ocr(w: World) {
    if !austa_testkit::ocr_tools() {
        return;
    }
    let png = austa_testkit::render::png_of(&text_pdf(LAB_REPORT, 14), 200);
    let (s, d) = w
        .upload("LAB_REPORT", "laudo.png", "application/octet-stream", png.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["mimeType"], "image/png");
    let id = d["id"].as_str().unwrap().to_owned();
    w.run_jobs().await;
    let d = w.document(&id).await;
    assert_eq!(d["ocrStatus"], "COMPLETED");
    let confidence = d["ocrConfidence"].as_f64().unwrap();
    assert!(
        confidence > 0.8,
        "clean print reads with high confidence: {confidence}"
    );
    let text = d["ocrText"].as_str().unwrap();
    for word in ["Glicemia", "126", "Hemoglobina", "7,2", "Colesterol", "210"] {
        assert!(text.contains(word), "OCR found {word}");
    }
    let results = d["extractedData"]["labResults"].as_array().unwrap();
    let glicemia = results
        .iter()
        .find(|r| r["test"] == "Glicemia de jejum")
        .expect("glicemia extracted");
    assert_eq!(
        (glicemia["value"].as_str(), glicemia["unit"].as_str()),
        (Some("126"), Some("mg/dL"))
    );
    assert_eq!(glicemia["referenceRange"], "70 a 99 mg/dL");
    assert!(
        results
            .iter()
            .any(|r| r["test"] == "Hemoglobina glicada" && r["value"] == "7.2"),
        "{results:?}"
    );

    // Verified: each result becomes a LAB_RESULT record.
    let (s, v) = w
        .call_as(
            &w.doctor,
            reqwest::Method::POST,
            &format!("/documents/{id}/verify"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, records) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/health-data?type=LAB_RESULT", w.patient),
            None,
        )
        .await;
    let records = records["items"].as_array().unwrap();
    assert_eq!(records.len(), results.len());
    assert!(
        records
            .iter()
            .any(|r| r["data"]["test"] == "Glicemia de jejum" && r["data"]["value"] == "126")
    );

    // The patient's list, newest first.
    let (s, list) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/documents", w.patient),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"][0]["id"], id.as_str());
}

on_both_backends!(scanned_pdf_without_text_is_read_page_by_page);
async fn scanned_pdf_without_text_is_read_page_by_page(w: World) {
    if !austa_testkit::ocr_tools() {
        return;
    }
    let scan = austa_testkit::render::scanned_pdf(&text_pdf(PRESCRIPTION, 14), 150);
    let (s, d) = w
        .upload("PRESCRIPTION", "scan.pdf", "application/pdf", scan)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    w.run_jobs().await;
    let d = w.document(&id).await;
    assert_eq!(d["ocrStatus"], "COMPLETED");
    assert!(
        d["ocrConfidence"].as_f64().unwrap() < 1.0,
        "read by OCR, not a text layer"
    );
    let text = d["ocrText"].as_str().unwrap();
    assert!(
        text.contains("Losartana") && text.contains("Metformina"),
        "OCR found the medicines"
    );
}

on_both_backends!(bad_files_are_refused_and_nothing_is_stored);
async fn bad_files_are_refused_and_nothing_is_stored(w: World) {
    if !austa_testkit::ocr_tools() {
        return;
    }
    for (name, declared, bytes) in [
        (
            "receita.png",
            "image/png",
            b"not really an image, just text".to_vec(),
        ),
        (
            "pagina.html",
            "application/pdf",
            b"<html><body>receita</body></html>".to_vec(),
        ),
        (
            "programa.exe",
            "image/jpeg",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(),
        ),
    ] {
        let (s, p) = w.upload("OTHER", name, declared, bytes).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {p}");
        assert_eq!(
            (p["code"].as_str(), p["field"].as_str()),
            (Some("unsupported_type"), Some("file"))
        );
    }
    let (s, p) = w
        .upload("RECEITA", "r.pdf", "application/pdf", text_pdf(&["x"], 12))
        .await;
    assert_eq!(
        (s, p["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("documentType"))
    );
    let (s, list) = w
        .call(
            reqwest::Method::GET,
            &format!("/users/{}/documents", w.patient),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored");
    assert!(
        !w.services.media_dir.join(w.org.to_string()).exists(),
        "no file written"
    );

    // An unreadable image is stored (it is the patient's paper) but marked FAILED, not retried.
    let mut broken = austa_testkit::render::png_of(&text_pdf(&["Receita"], 12), 50);
    broken.truncate(60);
    let (s, d) = w.upload("OTHER", "quebrada.png", "image/png", broken).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    w.run_jobs().await;
    assert_eq!(w.document(d["id"].as_str().unwrap()).await["ocrStatus"], "FAILED");

    // Another organization sees none of it.
    let other = organizations::create(
        &w.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Outra",
            tax_id: "11.444.777/0001-61",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(
        &w.services,
        &Actor::platform(),
        Some(other.id),
        Role::System,
        "outra",
    )
    .await
    .unwrap();
    let (s, _) = w
        .call_as(
            key.token.expose(),
            reqwest::Method::GET,
            &format!("/documents/{}", d["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn uploads_over_100_mb_are_refused_with_413() {
    let dir = std::env::temp_dir().join(format!("austa-docs-{}", uuid::Uuid::now_v7().simple()));
    let store = Arc::new(
        austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
            .await
            .unwrap(),
    );
    let w = world(
        store,
        bootstrap::Options {
            media_dir: Some(dir.join("media")),
            ..Default::default()
        },
    )
    .await;
    let mut big = text_pdf(&["x"], 12);
    big.resize(100 * 1024 * 1024 + 1, b' ');
    let (s, p) = w.upload("OTHER", "grande.pdf", "application/pdf", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    // Ordinary endpoints keep their small limit.
    let (s, _) = w
        .call(
            reqwest::Method::POST,
            "/users",
            Some(json!({"name": "x".repeat(4 * 1024 * 1024)})),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn documents_in_an_s3_bucket() {
    let Some(s3) = austa_testkit::s3() else { return };
    if !austa_testkit::ocr_tools() {
        return;
    }
    let bucket = format!("austa-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket created: {}",
        created.status()
    );
    let dir = std::env::temp_dir().join(format!("austa-docs-{}", uuid::Uuid::now_v7().simple()));
    let store = Arc::new(
        austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
            .await
            .unwrap(),
    );
    let options = bootstrap::Options {
        media_dir: Some(dir.join("media")),
        bucket: Some(austa_server::storage::BucketConfig {
            url: format!("s3://{bucket}/austa"),
            endpoint: Some(s3.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some(SecretString::from("testing")),
        }),
        ..Default::default()
    };
    let w = world(store, options).await;
    let pdf = text_pdf(PRESCRIPTION, 13);
    let (s, d) = w
        .upload("PRESCRIPTION", "receita.pdf", "application/pdf", pdf.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_owned();
    assert!(
        !dir.join("media").join(w.org.to_string()).exists(),
        "not on the local disk"
    );

    // The object is in the bucket under the prefix, sealed (read with a client of its own).
    let bucket_client = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_endpoint(&s3.endpoint)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    use object_store::ObjectStoreExt;
    let key = object_store::path::Path::from(format!("austa/{}/documents/{id}", w.org));
    let sealed = bucket_client.get(&key).await.unwrap().bytes().await.unwrap();
    assert!(!sealed.starts_with(b"%PDF") && !sealed.windows(9).any(|x| x == b"Losartana"));

    w.run_jobs().await;
    let d = w.document(&id).await;
    assert_eq!(d["ocrStatus"], "COMPLETED");
    assert!(d["ocrText"].as_str().unwrap().contains("Losartana"));
    let (s, _, bytes) = w.content(&id).await;
    assert_eq!((s, bytes), (StatusCode::OK, pdf));
}
