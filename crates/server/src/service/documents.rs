//! Medical documents: uploads (and files from WhatsApp) are sniffed for their real type, allowed
//! only if they are images or PDFs, encrypted with a key of their own before they leave the process
//! (its associated data binds organization and document), and kept through `object_store`.
//! An OCR job reads them (Tesseract, Portuguese; a PDF's text layer first), the message analysis
//! extracts medicines, readings and conditions, and a provider can verify the extraction into
//! health records with one call. A document keeps the organization's retention period and is only
//! ever soft-deleted, never before its time.

use std::path::Path;
use std::process::Stdio;

use austa_crypto::envelope::{DataKey, Field, KeyRing};
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, DocumentType, HealthDataType, OcrStatus, SensitivityLevel};
use austa_domain::ids::{DocumentId, OrganizationId, UserId};
use austa_domain::{EntityId, Subject, Vocabulary};
use austa_store::model::{Document, Organization, User};
use austa_store::{Page, TxMode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const OCR_JOB: &str = "documents.ocr";
/// The largest file accepted (uploads are refused above it before they are read whole).
pub const MAX_BYTES: usize = 100 * 1024 * 1024;
/// The content, sealed with the document's own key.
const CONTENT_FIELD: Field = Field::new("documents", "content_v2");
const OCR_FIELD: Field = Field::new("documents", "ocr_text_encrypted");
const EXTRACTED_FIELD: Field = Field::new("documents", "extracted_data_encrypted");
/// Versions of a document's own key (one per document; never rotated in place).
const DOCUMENT_KEY_VERSION: u32 = 1;

const FILE_NAME_FIELD: Field = Field::new("documents", "file_name_encrypted");

/// What may be uploaded, and what OCR reads: images and PDFs, by their bytes (never the client's word).
pub const ALLOWED: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/tiff",
    "application/pdf",
];
/// Also kept when they come over WhatsApp (voice notes, videos, stickers), without OCR.
pub const WHATSAPP_ALSO: &[&str] = &[
    "audio/ogg",
    "audio/mpeg",
    "audio/m4a",
    "audio/aac",
    "audio/amr",
    "video/mp4",
    "video/3gpp",
];

/// The type of a file by its content, if it is one of `allowed`.
pub fn sniff(bytes: &[u8], allowed: &[&str]) -> Option<&'static str> {
    infer::get(bytes)
        .map(|t| t.mime_type())
        .filter(|m| allowed.contains(m))
}

/// Where a file came from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Upload {
        file_name: Option<&'a str>,
    },
    WhatsApp {
        message: austa_domain::ids::MessageId,
        file_name: Option<&'a str>,
    },
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: DocumentId,
    pub user_id: UserId,
    pub document_type: DocumentType,
    pub mime_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub ocr_status: OcrStatus,
    pub ocr_confidence: Option<f64>,
    /// The OCR text, for those who may read it.
    pub ocr_text: Option<String>,
    pub health_keywords: serde_json::Value,
    /// Medicines, readings and conditions found in the text, awaiting a provider's verification.
    pub extracted_data: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// Kept at least until this day, `YYYY-MM-DD` (medical records: 20 years).
    pub retention_until: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn target(d: &Document) -> Target {
    Target::in_organization(d.organization_id).about_patient(d.user_id)
}

fn classified(t: Target) -> Target {
    t.classified(
        SensitivityLevel::Sensitive,
        austa_domain::enums::AccessLevel::Organization,
    )
}

async fn view(work: &mut Work<'_>, d: Document) -> Result<DocumentView> {
    let services = work.services;
    let open = |field, sealed: &Option<Vec<u8>>| (field, sealed.clone());
    let mut texts = Vec::new();
    for (field, sealed) in [
        open(OCR_FIELD, &d.ocr_text_encrypted),
        open(EXTRACTED_FIELD, &d.extracted_data_encrypted),
    ] {
        texts.push(match sealed {
            Some(s) => Some(
                services
                    .keys
                    .decrypt(work.tx(), d.organization_id, field, d.id.as_uuid(), &s)
                    .await?,
            ),
            None => None,
        });
    }
    let ocr_text = texts[0].as_ref().and_then(|p| String::from_utf8(p.to_vec()).ok());
    let extracted_data = texts[1].as_ref().and_then(|p| serde_json::from_slice(p).ok());
    Ok(DocumentView {
        id: d.id,
        user_id: d.user_id,
        document_type: d.document_type,
        mime_type: d.mime_type,
        size_bytes: d.size_bytes,
        sha256: d.sha256,
        ocr_status: d.ocr_status,
        ocr_confidence: d.ocr_confidence,
        ocr_text,
        health_keywords: d.health_keywords,
        extracted_data,
        verified_at: d.verified_at,
        retention_until: d.retention_until.map(|day| day.to_string()),
        created_at: d.created_at,
    })
}

/// Stores a file for a patient (an upload, or a file that came over WhatsApp): sealed with a key
/// of its own, put in the file store, recorded, and queued for OCR when it is an image or a PDF.
pub async fn store_file(
    work: &mut Work<'_>,
    patient: &User,
    document_type: DocumentType,
    bytes: &[u8],
    source: Source<'_>,
) -> Result<Document> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::TooLarge("files are at most 100 MB".into()));
    }
    let (message, file_name, mime) = match source {
        Source::Upload { file_name } => (None, file_name, sniff(bytes, ALLOWED)),
        Source::WhatsApp { message, file_name } => (
            Some(message),
            file_name,
            sniff(bytes, ALLOWED).or_else(|| sniff(bytes, WHATSAPP_ALSO)),
        ),
    };
    let mime = mime.ok_or_else(|| {
        Error::invalid(
            "file",
            "unsupported_type",
            "must be a JPEG, PNG, WebP or TIFF image, or a PDF (checked by content)",
        )
    })?;
    let readable = ALLOWED.contains(&mime);
    let services = work.services;
    let org = patient.organization_id;
    let now = services.clock.now();
    let id = DocumentId::generate();
    let key = DataKey::generate(DOCUMENT_KEY_VERSION)?;
    let wrapped = services.keys.wrap(&key, org)?;
    let sealed = KeyRing::single(org.as_uuid(), key).encrypt(CONTENT_FIELD, id.as_uuid(), bytes)?;
    let storage_key = format!("{org}/documents/{id}");
    let provider = services.files.put(&storage_key, sealed).await?;
    let organization = work.tx().get::<Organization>(org).await?;
    let sha = {
        use sha2::Digest;
        austa_crypto::hex(&sha2::Sha256::digest(bytes))
    };
    let row = Document {
        id,
        organization_id: org,
        user_id: patient.id,
        message_id: message,
        authorization_id: None,
        document_type,
        file_name_encrypted: match file_name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => Some(
                services
                    .keys
                    .encrypt(work.tx(), org, FILE_NAME_FIELD, id.as_uuid(), name.as_bytes())
                    .await?,
            ),
            None => None,
        },
        mime_type: mime.into(),
        size_bytes: bytes.len() as i64,
        sha256: sha,
        storage_provider: provider,
        storage_key,
        wrapped_key: Some(wrapped),
        ocr_status: if readable {
            OcrStatus::Pending
        } else {
            OcrStatus::NotApplicable
        },
        ocr_text_encrypted: None,
        ocr_confidence: None,
        extracted_data_encrypted: None,
        health_keywords: json!([]),
        verified_by: None,
        verified_at: None,
        // Medical records are kept at least 20 years (Lei 13.787/2018; the organization may keep longer).
        retention_until: now
            .date()
            .replace_year(now.year() + organization.data_retention_years as i32)
            .ok()
            .or(Some(
                now.date() + time::Duration::days(366 * organization.data_retention_years),
            )),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&row).await?;
    if readable {
        crate::jobs::enqueue(
            work.tx(),
            crate::jobs::NewJob {
                organization: Some(org),
                kind: OCR_JOB,
                payload: json!({"organizationId": org, "documentId": id}),
                dedupe_key: Some(id.to_string()),
                run_at: None,
            },
            now,
        )
        .await?;
    }
    work.record(
        AuditEvent::health(AuditAction::Create, "documents", Some(id.as_uuid()))
            .related("patientId", patient.id.as_uuid())
            .detail("mimeType", mime)
            .detail("sizeBytes", bytes.len()),
    );
    Ok(created)
}

/// `POST /documents`: staff for a patient, or the patient themself.
pub async fn upload(
    work: &mut Work<'_>,
    patient: UserId,
    document_type: DocumentType,
    bytes: &[u8],
    file_name: Option<&str>,
) -> Result<DocumentView> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Create,
        Resource::HealthData,
        classified(Target::in_organization(user.organization_id).about_patient(patient)),
        None,
    )
    .await?;
    let created = store_file(work, &user, document_type, bytes, Source::Upload { file_name }).await?;
    // Points are for the patient sending their own papers, not for staff filing them.
    if matches!(work.actor.principal.subject(), Subject::User(u) if u == patient) {
        sent(work, &user, &created).await?;
    }
    view(work, created).await
}

/// The gamification event of a patient's document.
pub async fn sent(work: &mut Work<'_>, patient: &User, created: &Document) -> Result<()> {
    super::gamification::record(
        work,
        patient,
        super::gamification::Event {
            kind: super::gamification::kinds::DOCUMENT_SENT,
            key: format!("document:{}", created.id),
            at: created.created_at,
            detail: json!({"documentType": created.document_type.as_str()}),
        },
    )
    .await?;
    Ok(())
}

pub async fn get(work: &mut Work<'_>, id: DocumentId) -> Result<DocumentView> {
    let d = work.tx().find::<Document>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::HealthData,
        classified(target(&d)),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "documents", Some(id.as_uuid()))
            .related("patientId", d.user_id.as_uuid()),
    );
    view(work, d).await
}

/// The decrypted file (audited before it leaves), and its type.
pub async fn content(work: &mut Work<'_>, id: DocumentId) -> Result<(String, Vec<u8>)> {
    let d = work.tx().find::<Document>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::HealthData,
        classified(target(&d)),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "documents", Some(id.as_uuid()))
            .related("patientId", d.user_id.as_uuid())
            .detail("content", true),
    );
    let bytes = read(work.services, &d).await?;
    Ok((d.mime_type, bytes))
}

/// The plaintext of a stored document.
pub async fn read(services: &Services, d: &Document) -> Result<Vec<u8>> {
    let wrapped = d
        .wrapped_key
        .as_deref()
        .ok_or_else(|| Error::internal("a document without its key"))?;
    let key = services
        .keys
        .unwrap(wrapped, d.organization_id, DOCUMENT_KEY_VERSION)?;
    let sealed = services.files.get(d.storage_provider, &d.storage_key).await?;
    Ok(KeyRing::single(d.organization_id.as_uuid(), key)
        .decrypt(CONTENT_FIELD, d.id.as_uuid(), &sealed)?
        .to_vec())
}

/// Retention: a document is soft-deleted, and never before its retention date (409).
pub async fn delete(work: &mut Work<'_>, id: DocumentId) -> Result<()> {
    let d = work.tx().find::<Document>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Delete,
        Resource::HealthData,
        classified(target(&d)),
        Some(id.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    if let Some(until) = d.retention_until
        && until > now.date()
    {
        return Err(Error::conflict(
            "retention",
            format!("medical records are kept until {} (Lei 13.787/2018)", until),
        ));
    }
    work.tx().soft_delete::<Document>(id, now).await?;
    work.record(
        AuditEvent::health(AuditAction::Delete, "documents", Some(id.as_uuid()))
            .related("patientId", d.user_id.as_uuid()),
    );
    Ok(())
}

/// The text of an image or a PDF (its text layer, else OCR of its pages), and the confidence.
pub async fn read_text(mime: &str, bytes: &[u8]) -> Result<Reading> {
    if mime == "application/pdf" {
        ocr_pdf(bytes).await
    } else {
        ocr_image(bytes).await
    }
}

/// What OCR made of a file: its text and the mean word confidence (0–1), or nothing when the
/// file cannot be read at all (a corrupt image): that is final, not retried.
pub type Reading = Option<(String, f64)>;

/// An image through `tesseract - - -l por tsv` (per-word confidences).
async fn ocr_image(bytes: &[u8]) -> Result<Reading> {
    let Some(tsv) = run("tesseract", &["stdin", "stdout", "-l", "por", "tsv"], bytes).await? else {
        return Ok(None);
    };
    Ok(Some(parse_tsv(&tsv)))
}

/// Tesseract's TSV: one row per word (level 5) with block, paragraph and line numbers and a
/// confidence 0–100 (-1 for non-words); words of one line are joined by spaces, lines by newlines.
fn parse_tsv(tsv: &str) -> (String, f64) {
    let (mut text, mut confidences) = (String::new(), Vec::new());
    let mut line = None;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" || cols[11].trim().is_empty() {
            continue;
        }
        let this_line = (cols[1], cols[2], cols[3], cols[4]);
        match line {
            Some(l) if l != this_line => text.push('\n'),
            Some(_) => text.push(' '),
            None => {}
        }
        line = Some(this_line);
        text.push_str(cols[11].trim());
        if let Ok(c) = cols[10].parse::<f64>()
            && c >= 0.0
        {
            confidences.push(c);
        }
    }
    let mean = if confidences.is_empty() {
        0.0
    } else {
        confidences.iter().sum::<f64>() / confidences.len() as f64 / 100.0
    };
    (text, mean.clamp(0.0, 1.0))
}

/// Runs a reader over `input`: its output, or `None` when it refused the input. A reader that is
/// missing or hangs is an error (the job is retried once it is installed).
async fn run(program: &str, args: &[&str], input: &[u8]) -> Result<Option<String>> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::internal(format!(
                "{program} is not available ({e}): install tesseract-ocr, tesseract-ocr-por and poppler-utils"
            ))
        })?;
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    // Written while the output is read, so a large file cannot fill both pipes and stall.
    let writer = tokio::spawn(async move {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input).await;
        }
        drop(stdin);
    });
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), child.wait_with_output())
        .await
        .map_err(|_| Error::internal(format!("{program} took more than 5 minutes")))?
        .map_err(|e| Error::internal(format!("{program}: {e}")))?;
    let _ = writer.await;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// A PDF: its text layer; a scanned one (no text) page by page through OCR, in a private
/// temporary folder removed at once.
async fn ocr_pdf(bytes: &[u8]) -> Result<Reading> {
    let Some(text) = run("pdftotext", &["-layout", "-", "-"], bytes).await? else {
        return Ok(None);
    };
    if text.split_whitespace().count() >= 5 {
        return Ok(Some((text, 1.0)));
    }
    let dir = std::env::temp_dir().join(format!("austa-ocr-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::internal(format!("ocr: {e}")))?;
    let result = ocr_scanned(&dir, bytes).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// At most this many pages of a scanned PDF are read (a longer one is read in part).
const MAX_SCANNED_PAGES: u32 = 50;

async fn ocr_scanned(dir: &Path, bytes: &[u8]) -> Result<Reading> {
    let prefix = dir.join("page").to_string_lossy().into_owned();
    let last = MAX_SCANNED_PAGES.to_string();
    if run(
        "pdftoppm",
        &["-r", "300", "-gray", "-png", "-l", &last, "-", &prefix],
        bytes,
    )
    .await?
    .is_none()
    {
        return Ok(None);
    }
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::internal(format!("ocr: {e}")))?
        .flatten()
        .map(|e| e.path())
        .collect();
    pages.sort();
    let (mut text, mut confidences) = (String::new(), Vec::new());
    for page in &pages {
        let png = std::fs::read(page).map_err(|e| Error::internal(format!("ocr: {e}")))?;
        if let Some((t, c)) = ocr_image(&png).await? {
            text.push_str(&t);
            text.push('\n');
            confidences.push(c);
        }
    }
    let mean = if confidences.is_empty() {
        0.0
    } else {
        confidences.iter().sum::<f64>() / confidences.len() as f64
    };
    Ok(Some((text, mean)))
}

/// The OCR job: read, extract, store (sealed); the analysis of the text gives keywords and the
/// medicines, readings and conditions a provider can verify.
pub async fn ocr(services: &Services, org: OrganizationId, id: DocumentId) -> Result<()> {
    let actor = Actor::system_for(org).with_user_agent("ocr");
    let doc = crate::transact!(services, &actor, TxMode::Read, |work| Ok(work
        .tx()
        .find::<Document>(id)
        .await?))?;
    let Some(doc) = doc else { return Ok(()) };
    if !matches!(doc.ocr_status, OcrStatus::Pending) || doc.wrapped_key.is_none() {
        return Ok(());
    }
    let bytes = read(services, &doc).await?;
    let reading = read_text(&doc.mime_type, &bytes).await?;
    let Some((text, confidence)) = reading else {
        return crate::transact!(services, &actor, TxMode::Write, |work| {
            let Some(mut d) = work.tx().find_for_update::<Document>(id).await? else {
                return Ok(());
            };
            d.ocr_status = OcrStatus::Failed;
            d.updated_at = work.services.clock.now();
            work.tx().update(&d).await?;
            work.record(
                AuditEvent::health(AuditAction::Update, "documents", Some(id.as_uuid()))
                    .related("patientId", d.user_id.as_uuid())
                    .detail("ocr", "unreadable"),
            );
            Ok(())
        });
    };
    let analyzer =
        austa_nlp::Analyzer::shared().map_err(|e| Error::internal(format!("analysis lexicons: {e}")))?;
    let analysis = analyzer.analyze(&id.to_string(), &text);
    let extracted = json!({
        "medications": analysis
            .entities_of(austa_nlp::EntityKind::Medication)
            .filter(|e| !e.negated)
            .map(|e| match austa_nlp::paperwork::dose_of(&text, &e.text) {
                Some(dose) => json!({"name": e.normalized, "dosage": dose}),
                None => json!({"name": e.normalized}),
            })
            .collect::<Vec<_>>(),
        "labResults": austa_nlp::paperwork::lab_results(&text),
        "vitals": analysis.entities_of(austa_nlp::EntityKind::VitalSign).map(|e| json!({"kind": e.normalized, "value": e.value, "unit": e.unit})).collect::<Vec<_>>(),
        "conditions": analysis.entities_of(austa_nlp::EntityKind::Condition).map(|e| json!({"name": e.normalized, "cid10": e.code})).collect::<Vec<_>>(),
    });
    crate::transact!(services, &actor, TxMode::Write, |work| {
        let Some(mut d) = work.tx().find_for_update::<Document>(id).await? else {
            return Ok(());
        };
        if !matches!(d.ocr_status, OcrStatus::Pending) {
            return Ok(());
        }
        let services = work.services;
        d.ocr_text_encrypted = Some(
            services
                .keys
                .encrypt(work.tx(), org, OCR_FIELD, id.as_uuid(), text.as_bytes())
                .await?,
        );
        d.extracted_data_encrypted = Some(
            services
                .keys
                .encrypt(
                    work.tx(),
                    org,
                    EXTRACTED_FIELD,
                    id.as_uuid(),
                    extracted.to_string().as_bytes(),
                )
                .await?,
        );
        d.ocr_confidence = Some((confidence * 1000.0).round() / 1000.0);
        d.health_keywords = json!(analysis.health_keywords);
        d.ocr_status = OcrStatus::Completed;
        d.updated_at = services.clock.now();
        work.tx().update(&d).await?;
        work.record(
            AuditEvent::health(AuditAction::Update, "documents", Some(id.as_uuid()))
                .related("patientId", d.user_id.as_uuid())
                .detail("ocr", "done"),
        );
        Ok(())
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    /// What the document is, now that a provider looked at it.
    pub document_type: Option<DocumentType>,
}

/// A provider confirms the extraction: each medicine and reading becomes a health record of the
/// patient (source DOCUMENT, verified by them); the document is marked verified.
pub async fn verify(work: &mut Work<'_>, id: DocumentId, input: Verification) -> Result<DocumentView> {
    let mut d = work
        .tx()
        .find_for_update::<Document>(id)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Update,
        Resource::HealthData,
        classified(target(&d)),
        Some(id.as_uuid()),
    )
    .await?;
    let Subject::User(verifier) = work.actor.principal.subject() else {
        return Err(Error::Forbidden);
    };
    let provider = work
        .tx()
        .list::<austa_store::model::Provider>(
            &austa_store::ListQuery::first(1).filter("user_id", austa_store::Value::Uuid(verifier.as_uuid())),
        )
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| Error::conflict("not_a_provider", "only a registered provider verifies documents"))?;
    if d.verified_at.is_some() {
        return Err(Error::conflict(
            "already_verified",
            "the document was verified already",
        ));
    }
    let services = work.services;
    let extracted: serde_json::Value = match &d.extracted_data_encrypted {
        Some(sealed) => serde_json::from_slice(
            &services
                .keys
                .decrypt(
                    work.tx(),
                    d.organization_id,
                    EXTRACTED_FIELD,
                    id.as_uuid(),
                    sealed,
                )
                .await?,
        )
        .map_err(Error::internal)?,
        None => {
            return Err(Error::conflict(
                "not_read_yet",
                "the document has not been read (OCR) yet",
            ));
        }
    };
    let mut created = 0;
    for m in extracted["medications"].as_array().into_iter().flatten() {
        let mut data = json!({"name": m["name"]});
        if let Some(dose) = m["dosage"].as_str() {
            data["dosage"] = json!(dose);
        }
        if super::health_data::create_verified(work, &d, HealthDataType::Medication, data, provider.id)
            .await?
        {
            created += 1;
        }
    }
    for r in extracted["labResults"].as_array().into_iter().flatten() {
        let mut data = json!({"test": r["test"], "value": r["value"]});
        for field in ["unit", "referenceRange"] {
            if let Some(v) = r[field].as_str() {
                data[field] = json!(v);
            }
        }
        if super::health_data::create_verified(work, &d, HealthDataType::LabResult, data, provider.id).await?
        {
            created += 1;
        }
    }
    for v in extracted["vitals"].as_array().into_iter().flatten() {
        if let Some(data) = vital_record(v)
            && super::health_data::create_verified(work, &d, HealthDataType::VitalSign, data, provider.id)
                .await?
        {
            created += 1;
        }
    }
    let now = work.services.clock.now();
    d.verified_by = Some(provider.id);
    d.verified_at = Some(now);
    if let Some(t) = input.document_type {
        d.document_type = t;
    }
    d.updated_at = now;
    let saved = work.tx().update(&d).await?;
    work.record(
        AuditEvent::health(AuditAction::Update, "documents", Some(id.as_uuid()))
            .related("patientId", saved.user_id.as_uuid())
            .detail("verified", true)
            .detail("healthRecords", created),
    );
    // A document the care team confirmed counts for the patient's missions (e.g. "send your
    // prescription"): a server-side event, once per document.
    let patient = work.tx().get::<User>(saved.user_id).await?;
    super::gamification::record(
        work,
        &patient,
        super::gamification::Event {
            kind: super::gamification::kinds::DOCUMENT_VERIFIED,
            key: format!("document-verified:{id}"),
            at: now,
            detail: json!({"documentType": saved.document_type.as_str()}),
        },
    )
    .await?;
    view(work, saved).await
}

/// A reading as a VITAL_SIGN record (`health_record` validates it).
fn vital_record(v: &serde_json::Value) -> Option<serde_json::Value> {
    let value = v["value"].as_str()?;
    Some(match v["kind"].as_str()? {
        "blood_pressure" => {
            let (s, d) = value.split_once('/')?;
            json!({"kind": "blood_pressure", "systolic": s.parse::<f64>().ok()?, "diastolic": d.parse::<f64>().ok()?})
        }
        kind => json!({"kind": kind, "value": value.parse::<f64>().ok()?}),
    })
}

/// The documents of a patient.
pub async fn list(
    work: &mut Work<'_>,
    patient: UserId,
    query: austa_store::ListQuery,
) -> Result<Page<DocumentView>> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::HealthData,
        classified(Target::in_organization(user.organization_id).about_patient(patient)),
        None,
    )
    .await?;
    let page = work
        .tx()
        .list::<Document>(
            &query
                .newest_first()
                .filter("user_id", austa_store::Value::Uuid(patient.as_uuid())),
        )
        .await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "documents", None)
            .related("patientId", patient.as_uuid())
            .detail("count", page.items.len()),
    );
    let mut items = Vec::new();
    for d in page.items {
        items.push(view(work, d).await?);
    }
    Ok(Page {
        items,
        next: page.next,
    })
}
