//! Media of inbound messages: a job asks Meta where the file is, downloads it within the URL's
//! 5 minutes (asking again when it has expired), checks its SHA-256 against what the webhook and the
//! media endpoint announced, and keeps it as a `documents` row whose bytes are encrypted on disk
//! (`AUSTA_MEDIA_DIR`). Idempotent: a message's media is stored once.

use austa_crypto::envelope::Field;
use austa_domain::enums::{DocumentType, OcrStatus, StorageProvider};
use austa_domain::ids::{DocumentId, MessageId, OrganizationId};
use austa_domain::{EntityId, Principal};
use austa_store::model::{Document, Message, Organization};
use austa_store::{ListQuery, TxMode, Value};
use austa_whatsapp::media::MediaError;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::context::Services;
use crate::error::{Error, Result};

pub const MEDIA_JOB: &str = "whatsapp.download_media";
pub const CONTENT_FIELD: Field = Field::new("documents", "content");
const FILE_NAME_FIELD: Field = Field::new("documents", "file_name_encrypted");
/// Meta refuses inbound files over 100 MB (error 131052).
pub const MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

/// Message kinds that carry a media id.
pub fn has_media(kind: &str) -> bool {
    matches!(kind, "image" | "document" | "audio" | "video" | "sticker")
}

/// Downloads and stores the media of one message.
pub async fn download(
    services: &Services,
    org: OrganizationId,
    message_id: MessageId,
) -> Result<Option<DocumentId>> {
    let scope = Principal::system_for(org).scope();
    let mut tx = services.store.begin(scope, TxMode::Read).await?;
    let message = tx.find::<Message>(message_id).await?.ok_or(Error::NotFound)?;
    let existing = tx
        .list::<Document>(&ListQuery::first(1).filter("message_id", Value::Uuid(message_id.as_uuid())))
        .await?;
    let organization = tx.get::<Organization>(org).await?;
    let ring = services.keys.get(tx.as_mut(), org).await?;
    tx.rollback().await?;
    if let Some(document) = existing.items.into_iter().next() {
        return Ok(Some(document.id));
    }
    let (Some(media_id), Some(sealed)) = (message.media_id.clone(), message.content_encrypted.clone()) else {
        return Ok(None);
    };
    let content: serde_json::Value = serde_json::from_slice(&ring.decrypt(
        super::conversations::CONTENT_FIELD,
        message_id.as_uuid(),
        &sealed,
    )?)
    .map_err(Error::internal)?;
    let kind = content
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_owned();
    let announced = content.get(kind.as_str()).cloned().unwrap_or_default();
    let token = super::organizations::whatsapp_token(&ring, &organization)?
        .ok_or_else(|| Error::internal("the organization has no WhatsApp access token"))?;

    // The URL lives 5 minutes: on expiry, ask for a fresh one once.
    let mut fresh_url_asked = false;
    let (info, bytes) = loop {
        let info = services
            .whatsapp
            .media_info(&media_id, &token)
            .await
            .map_err(media_error)?;
        match services
            .whatsapp
            .download(&info.url, &token, MAX_MEDIA_BYTES)
            .await
        {
            Ok(bytes) => break (info, bytes),
            Err(MediaError::Expired) if !fresh_url_asked => fresh_url_asked = true,
            Err(e) => return Err(media_error(e)),
        }
    };
    let digest = Sha256::digest(&bytes);
    let webhook_sha = announced
        .get("sha256")
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    let webhook_ok = webhook_sha
        .as_deref()
        .is_none_or(|b64| base64::engine::general_purpose::STANDARD.encode(digest) == b64);
    let endpoint_ok = info
        .sha256
        .as_deref()
        .is_none_or(|h| h.eq_ignore_ascii_case(&austa_crypto::hex(&digest)));
    if !(webhook_ok && endpoint_ok) {
        return Err(Error::Upstream(
            "the downloaded media does not match its SHA-256".into(),
        ));
    }

    let id = DocumentId::generate();
    let mime_type = info
        .mime_type
        .or_else(|| {
            announced
                .get("mime_type")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    let file_name = announced
        .get("filename")
        .and_then(|f| f.as_str())
        .map(str::to_owned);
    let storage_key = format!("{org}/{id}");
    let path = services.media_dir.join(&storage_key);
    let sealed_bytes = ring.encrypt(CONTENT_FIELD, id.as_uuid(), &bytes)?;
    write_atomically(&path, &sealed_bytes)?;
    let now = services.clock.now();
    let document = Document {
        id,
        organization_id: org,
        user_id: message.user_id,
        message_id: Some(message_id),
        authorization_id: None,
        document_type: DocumentType::Other,
        file_name_encrypted: file_name
            .map(|n| ring.encrypt(FILE_NAME_FIELD, id.as_uuid(), n.as_bytes()))
            .transpose()?,
        mime_type,
        size_bytes: bytes.len() as i64,
        sha256: austa_crypto::hex(&digest),
        storage_provider: StorageProvider::Local,
        storage_key,
        wrapped_key: None,
        ocr_status: if matches!(kind.as_str(), "image" | "document") {
            OcrStatus::Pending
        } else {
            OcrStatus::NotApplicable
        },
        ocr_text_encrypted: None,
        ocr_confidence: None,
        extracted_data_encrypted: None,
        health_keywords: serde_json::json!([]),
        verified_by: None,
        verified_at: None,
        retention_until: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let _ = scope;
    let actor = crate::context::Actor::system_for(org).with_user_agent("whatsapp-media");
    let document_ref = &document;
    let stored = crate::transact!(services, &actor, TxMode::Write, |work| {
        // Another worker may have stored it meanwhile (at-least-once): keep the first.
        let again = work
            .tx()
            .list::<Document>(&ListQuery::first(1).filter("message_id", Value::Uuid(message_id.as_uuid())))
            .await?;
        if let Some(first) = again.items.into_iter().next() {
            return Ok(Some(first.id));
        }
        work.tx().create(document_ref).await?;
        // A document the patient sent counts for gamification (a server-side event).
        let patient = work
            .tx()
            .get::<austa_store::model::User>(document_ref.user_id)
            .await?;
        super::gamification::record(
            work,
            &patient,
            super::gamification::Event {
                kind: super::gamification::kinds::DOCUMENT_SENT,
                key: format!("document:{id}"),
                at: now,
                detail: serde_json::json!({"documentType": austa_domain::Vocabulary::as_str(document_ref.document_type)}),
            },
        )
        .await?;
        Ok(None)
    })?;
    match stored {
        Some(first) => {
            let _ = std::fs::remove_file(&path);
            Ok(Some(first))
        }
        None => Ok(Some(id)),
    }
}

/// The decrypted bytes of a stored media document.
pub async fn read(services: &Services, document: &Document) -> Result<Vec<u8>> {
    let sealed = std::fs::read(services.media_dir.join(&document.storage_key))
        .map_err(|e| Error::internal(format!("cannot read stored media: {e}")))?;
    let mut tx = services
        .store
        .begin(
            Principal::system_for(document.organization_id).scope(),
            TxMode::Read,
        )
        .await?;
    let ring = services.keys.get(tx.as_mut(), document.organization_id).await?;
    tx.rollback().await?;
    Ok(ring
        .decrypt(CONTENT_FIELD, document.id.as_uuid(), &sealed)?
        .to_vec())
}

fn media_error(e: MediaError) -> Error {
    Error::Upstream(e.to_string())
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| Error::internal("media path without a folder"))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::internal(format!("cannot create the media folder: {e}")))?;
    let temporary = path.with_extension("partial");
    let mut file =
        std::fs::File::create(&temporary).map_err(|e| Error::internal(format!("cannot write media: {e}")))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::internal(format!("cannot write media: {e}")))?;
    std::fs::rename(&temporary, path).map_err(|e| Error::internal(format!("cannot write media: {e}")))
}
