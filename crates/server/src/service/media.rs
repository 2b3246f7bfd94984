//! Media of inbound messages: a job asks Meta where the file is, downloads it within the URL's
//! 5 minutes (asking again when it has expired), checks its SHA-256 against what the webhook and the
//! media endpoint announced, and keeps it as a document (`service::documents`: type sniffed and
//! allow-listed, sealed with its own key, in the file store, read by OCR when it is an image or a
//! PDF). Idempotent: a message's media is stored once.

use austa_domain::enums::DocumentType;
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

    let file_name = announced
        .get("filename")
        .and_then(|f| f.as_str())
        .map(str::to_owned);
    let actor = crate::context::Actor::system_for(org).with_user_agent("whatsapp-media");
    let (bytes, file_name) = (&bytes, file_name.as_deref());
    crate::transact!(services, &actor, TxMode::Write, |work| {
        // Another worker may have stored it meanwhile (at-least-once): keep the first.
        let again = work
            .tx()
            .list::<Document>(&ListQuery::first(1).filter("message_id", Value::Uuid(message_id.as_uuid())))
            .await?;
        if let Some(first) = again.items.into_iter().next() {
            return Ok(Some(first.id));
        }
        let patient = work.tx().get::<austa_store::model::User>(message.user_id).await?;
        let source = super::documents::Source::WhatsApp {
            message: message_id,
            file_name,
        };
        match super::documents::store_file(work, &patient, DocumentType::Other, bytes, source).await {
            Ok(stored) => {
                // A document the patient sent counts for gamification (a server-side event).
                super::documents::sent(work, &patient, &stored).await?;
                Ok(Some(stored.id))
            }
            // Not a type we keep (a spreadsheet, say): the message stays, the file is not stored.
            Err(Error::Invalid {
                code: "unsupported_type",
                ..
            }) => {
                tracing::warn!(organization = %org, message = %message_id, "media of a type that is not kept");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })
}

fn media_error(e: MediaError) -> Error {
    Error::Upstream(e.to_string())
}
