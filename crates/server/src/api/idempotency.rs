//! `Idempotency-Key` on creating requests (Stripe's semantics): the first response is stored, sealed,
//! for 24 hours (then purged, `service/retention.rs`) and replayed to a retry with the same key and body; the same key with another body is
//! refused (422), and a retry while the first is still running gets 409. Failed requests free the key.

use austa_crypto::envelope::Field;
use austa_domain::ids::IdempotencyKeyId;
use austa_domain::{EntityId, Subject};
use austa_store::model::IdempotencyKey;
use austa_store::{Cmp, ListQuery, TxMode, Value};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::context::{Actor, Services};
use crate::error::{Error, Result};

const RESPONSE_FIELD: Field = Field::new("idempotency_keys", "response_encrypted");
const KEPT_FOR: time::Duration = crate::service::retention::IDEMPOTENT_RESPONSE_KEPT;

fn actor_key(actor: &Actor) -> String {
    let org = actor
        .principal
        .organization()
        .map(|o| o.to_string())
        .unwrap_or_else(|| "platform".into());
    match actor.principal.subject() {
        Subject::User(id) => format!("{org}/user:{id}"),
        Subject::ApiKey(id) => format!("{org}/apikey:{id}"),
        Subject::Internal => format!("{org}/internal"),
    }
}

/// The header's value, if sent (1 to 255 visible ASCII characters).
pub fn key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .filter(|t| (1..=255).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::invalid(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?;
    Ok(Some(text.to_owned()))
}

/// Runs `create` at most once per key; `body` is the raw request body (what "the same request" means).
pub async fn once<T: Serialize>(
    services: &Services,
    actor: &Actor,
    key: Option<String>,
    body: &[u8],
    create: impl AsyncFnOnce() -> Result<T>,
) -> Result<Response> {
    let Some(key) = key else {
        let value = create().await?;
        return Ok((StatusCode::CREATED, axum::Json(value)).into_response());
    };
    let request_hash: [u8; 32] = Sha256::digest(body).into();
    let now = services.clock.now();
    let who = actor_key(actor);
    let mut tx = services
        .store
        .begin(actor.principal.scope(), TxMode::Write)
        .await?;
    let existing = tx
        .list::<IdempotencyKey>(
            &ListQuery::first(1)
                .filter("actor_key", Value::Text(who.clone()))
                .filter("idempotency_key", Value::Text(key.clone()))
                .compare("created_at", Cmp::Gt, Value::Time(now - KEPT_FOR)),
        )
        .await?
        .items
        .into_iter()
        .next();
    if let Some(stored) = existing {
        tx.rollback().await?;
        if stored.request_hash != request_hash {
            return Err(Error::invalid(
                "Idempotency-Key",
                "idempotency_key_reused",
                "was already used with a different request body",
            ));
        }
        let (Some(status), Some(sealed)) = (stored.status_code, stored.response_encrypted) else {
            return Err(Error::conflict(
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running",
            ));
        };
        let body = services
            .platform_data
            .decrypt(RESPONSE_FIELD, stored.id.as_uuid(), &sealed)?;
        let status =
            StatusCode::from_u16(u16::try_from(status).unwrap_or(201)).unwrap_or(StatusCode::CREATED);
        let mut response = (status, body.to_vec()).into_response();
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(response);
    }
    // An expired entry with the same key is retired so the unique index admits the new one.
    let stale = tx
        .list::<IdempotencyKey>(
            &ListQuery::first(10)
                .filter("actor_key", Value::Text(who.clone()))
                .filter("idempotency_key", Value::Text(key.clone())),
        )
        .await?;
    for old in stale.items {
        tx.soft_delete::<IdempotencyKey>(old.id, now).await?;
    }
    let mut entry = IdempotencyKey {
        id: IdempotencyKeyId::generate(),
        organization_id: actor.principal.organization(),
        actor_key: who,
        idempotency_key: key,
        request_hash: request_hash.to_vec(),
        status_code: None,
        response_encrypted: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    tx.create(&entry).await.map_err(|e| match e {
        austa_store::StoreError::UniqueViolation { .. } => Error::conflict(
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still running",
        ),
        other => other.into(),
    })?;
    tx.commit().await?;

    let outcome = create().await;
    let mut tx = services
        .store
        .begin(actor.principal.scope(), TxMode::Write)
        .await?;
    match outcome {
        Ok(value) => {
            let body = serde_json::to_vec(&value).map_err(Error::internal)?;
            entry.status_code = Some(201);
            entry.response_encrypted = Some(services.platform_data.encrypt(
                RESPONSE_FIELD,
                entry.id.as_uuid(),
                &body,
            )?);
            entry.updated_at = services.clock.now();
            tx.update(&entry).await?;
            tx.commit().await?;
            let mut response = (StatusCode::CREATED, body).into_response();
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            Ok(response)
        }
        Err(error) => {
            tx.soft_delete::<IdempotencyKey>(entry.id, services.clock.now())
                .await?;
            tx.commit().await?;
            Err(error)
        }
    }
}

/// A creating request: `call` runs in a writing unit of work, at most once per `Idempotency-Key`.
/// `create_once!(services, actor, headers, bytes, |work| service::create(work, …).await)`.
#[macro_export]
macro_rules! create_once {
    ($services:expr, $actor:expr, $headers:expr, $bytes:expr, |$work:ident| $call:expr) => {{
        let key = $crate::api::idempotency::key(&$headers)?;
        let services = $services;
        let actor = &$actor;
        $crate::api::idempotency::once(services, actor, key, &$bytes, async || {
            $crate::transact!(services, actor, austa_store::TxMode::Write, |$work| $call)
        })
        .await
    }};
}
