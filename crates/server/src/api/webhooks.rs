//! `GET` and `POST /webhooks/whatsapp`: Meta's verification handshake and signed notifications
//! (CLOUD_API_NOTES.md §1–2). Not under `/api/v1`: Meta's protocol, not ours.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::error::Error;
use crate::service::webhooks::{self, Receipt};

/// 200 with the raw `hub.challenge` when the mode is `subscribe` and the token matches; else 403.
pub async fn verify(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(expected) = &state.services.whatsapp_verify_token else {
        tracing::warn!("webhook verification attempted, but AUSTA_WHATSAPP_VERIFY_TOKEN is not set");
        return StatusCode::FORBIDDEN.into_response();
    };
    let token = params
        .get("hub.verify_token")
        .map(String::as_bytes)
        .unwrap_or_default();
    let matches: bool = token.ct_eq(expected.expose_secret().as_bytes()).into();
    match (
        params.get("hub.mode").map(String::as_str),
        params.get("hub.challenge"),
    ) {
        (Some("subscribe"), Some(challenge)) if matches && challenge.len() <= 1024 => {
            ([("content-type", "text/plain")], challenge.clone()).into_response()
        }
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}

/// Checks the signature over the raw bytes, stores the notification durably, then answers 200.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let Some(secret) = &state.services.whatsapp_app_secret else {
        tracing::error!(
            "a webhook arrived, but AUSTA_WHATSAPP_APP_SECRET is not set: refused (Meta will retry)"
        );
        return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if let Err(e) = austa_whatsapp::signature::verify(secret.expose_secret().as_bytes(), &body, header) {
        tracing::warn!(reason = %e, "webhook refused");
        return Err(Error::Unauthenticated);
    }
    match webhooks::store(&state.services, &body).await? {
        Receipt::Stored(id) => tracing::debug!(delivery = %id, "webhook stored"),
        Receipt::Duplicate(id) => tracing::debug!(delivery = %id, "webhook delivered again; stored once"),
    }
    Ok(StatusCode::OK.into_response())
}
