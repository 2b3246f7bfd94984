//! Inbound WhatsApp notifications: checked, then stored durably (sealed: they carry patients'
//! messages) with a processing job, in one transaction, before Meta gets its 200. The same bytes
//! delivered again (Meta retries for up to 7 days) are stored once.

use austa_crypto::envelope::Field;
use austa_domain::ids::WebhookDeliveryId;
use austa_domain::{EntityId, Principal};
use austa_store::model::WebhookDelivery;
use austa_store::{ListQuery, StoreError, TxMode, Value};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::context::Services;
use crate::error::{Error, Result};
use crate::jobs::{self, NewJob};

pub const BODY_FIELD: Field = Field::new("webhook_deliveries", "body_encrypted");
/// The job that parses a stored notification into messages and statuses.
pub const PROCESS_JOB: &str = "whatsapp.process_notification";

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Stored(WebhookDeliveryId),
    /// These exact bytes were stored before (a retry).
    Duplicate(WebhookDeliveryId),
}

/// Stores a notification whose signature was checked. `body` must be a JSON object.
pub async fn store(services: &Services, body: &[u8]) -> Result<Receipt> {
    // Only the shape is checked here: the processing job parses leniently, entry by entry.
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return Err(Error::BadRequest("the notification is not a JSON object".into())),
    }
    let digest: [u8; 32] = Sha256::digest(body).into();
    let now = services.clock.now();
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Write)
        .await?;
    let seen = tx
        .list::<WebhookDelivery>(&ListQuery::first(1).filter("body_sha256", Value::Bytes(digest.to_vec())))
        .await?;
    if let Some(previous) = seen.items.into_iter().next() {
        tx.rollback().await?;
        return Ok(Receipt::Duplicate(previous.id));
    }
    let id = WebhookDeliveryId::generate();
    let delivery = WebhookDelivery {
        id,
        organization_id: None,
        channel: "WHATSAPP".into(),
        body_sha256: digest.to_vec(),
        body_encrypted: services.platform_data.encrypt(BODY_FIELD, id.as_uuid(), body)?,
        body_bytes: body.len() as i64,
        received_at: now,
        processed_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    match tx.create(&delivery).await {
        Ok(_) => {}
        // The same retry arriving twice at once: the other request stored it.
        Err(StoreError::UniqueViolation { .. }) => {
            tx.rollback().await?;
            return Ok(Receipt::Duplicate(id));
        }
        Err(other) => return Err(other.into()),
    }
    jobs::enqueue(
        tx.as_mut(),
        NewJob {
            organization: None,
            kind: PROCESS_JOB,
            payload: json!({"deliveryId": id}),
            dedupe_key: Some(id.to_string()),
            run_at: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Receipt::Stored(id))
}

/// The stored bytes of a delivery (for the processing job).
pub async fn body(services: &Services, id: WebhookDeliveryId) -> Result<Vec<u8>> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let delivery = tx.find::<WebhookDelivery>(id).await?.ok_or(Error::NotFound)?;
    tx.rollback().await?;
    Ok(services
        .platform_data
        .decrypt(BODY_FIELD, id.as_uuid(), &delivery.body_encrypted)?
        .to_vec())
}
