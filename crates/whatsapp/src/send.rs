//! The sending client. Success means *accepted* by Meta, not delivered: delivery arrives later as a
//! status webhook. Errors keep Meta's `code` and `details`, on which the caller branches (never on the
//! HTTP status: Meta's codes are the contract).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

/// What Meta answered to an accepted send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The `wamid` of the new message.
    pub message_id: String,
    /// The WhatsApp id Meta resolved the recipient to (may lack the Brazilian ninth digit).
    pub wa_id: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// Meta refused the message (`error.code`, e.g. 131047 outside the 24-hour window, 130429 rate limit).
    #[error("WhatsApp refused the message: code {code} ({title})")]
    Refused { code: i64, title: String },
    /// No usable answer (network, timeout, malformed body). Retrying may help.
    #[error("WhatsApp could not be reached: {0}")]
    Unavailable(String),
}

impl SendError {
    /// Whether the same request may succeed later (rate limits, Meta-side trouble, network).
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::Unavailable(_) => true,
            SendError::Refused { code, .. } => matches!(
                code,
                1 | 2 | 4 | 80007 | 130429 | 131000 | 131016 | 131056 | 133004
            ),
        }
    }
}

#[derive(Clone)]
pub struct CloudApi {
    http: reqwest::Client,
    base: String,
}

impl std::fmt::Debug for CloudApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudApi")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct SuccessBody {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<MessageRef>,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageRef {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: i64,
    #[serde(default)]
    message: String,
}

impl CloudApi {
    /// `base` is the Graph API root with its version (`https://graph.facebook.com/v23.0`).
    pub fn new(base: &str) -> Result<Self, SendError> {
        // TLS through rustls with *ring*, the provider the database driver already uses. Installing
        // fails harmlessly when a provider is already in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A text message (only inside the 24-hour customer-service window).
    pub async fn send_text(
        &self,
        phone_number_id: &str,
        token: &SecretString,
        to: &str,
        body: &str,
    ) -> Result<Sent, SendError> {
        let payload = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": plus(to),
            "type": "text",
            "text": {"preview_url": false, "body": body},
        });
        self.send(phone_number_id, token, &payload).await
    }

    /// An authentication template carrying a one-time code (body parameter and copy-code button), the
    /// only kind of message allowed outside the 24-hour window for a login code.
    pub async fn send_code_template(
        &self,
        phone_number_id: &str,
        token: &SecretString,
        to: &str,
        template: &str,
        language: &str,
        code: &str,
    ) -> Result<Sent, SendError> {
        let payload = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": plus(to),
            "type": "template",
            "template": {
                "name": template,
                "language": {"code": language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": code}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": code}]},
                ],
            },
        });
        self.send(phone_number_id, token, &payload).await
    }

    /// Marks an inbound message read (blue ticks) and, with `typing`, shows the typing indicator.
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        token: &SecretString,
        message_id: &str,
        typing: bool,
    ) -> Result<(), SendError> {
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Refused {
                code: 100,
                title: "the business phone number id must be digits".into(),
            });
        }
        let mut payload =
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": message_id});
        if typing {
            payload["typing_indicator"] = json!({"type": "text"});
        }
        let response = self
            .http
            .post(format!("{}/{phone_number_id}/messages", self.base))
            .bearer_auth(token.expose_secret())
            .json(&payload)
            .send()
            .await
            .map_err(|e| SendError::Unavailable(without_url(&e)))?;
        if response.status().is_success() {
            return Ok(());
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SendError::Unavailable(without_url(&e)))?;
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(e) => Err(SendError::Refused {
                code: e.error.code,
                title: e.error.message.chars().take(200).collect(),
            }),
            Err(_) => Err(SendError::Unavailable("mark-as-read failed".into())),
        }
    }

    /// Sends a request body built by [`crate::outbound::Outbound::payload`].
    pub async fn send(
        &self,
        phone_number_id: &str,
        token: &SecretString,
        payload: &Value,
    ) -> Result<Sent, SendError> {
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Refused {
                code: 100,
                title: "the business phone number id must be digits".into(),
            });
        }
        let url = format!("{}/{phone_number_id}/messages", self.base);
        let response = self
            .http
            .post(url)
            .bearer_auth(token.expose_secret())
            .json(payload)
            .send()
            .await
            .map_err(|e| SendError::Unavailable(without_url(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SendError::Unavailable(without_url(&e)))?;
        if status.is_success() {
            let body: SuccessBody = serde_json::from_slice(&bytes)
                .map_err(|_| SendError::Unavailable("malformed success response".into()))?;
            let message = body
                .messages
                .into_iter()
                .next()
                .ok_or_else(|| SendError::Unavailable("success response without a message id".into()))?;
            return Ok(Sent {
                message_id: message.id,
                wa_id: body.contacts.into_iter().next().and_then(|c| c.wa_id),
            });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(e) => Err(SendError::Refused {
                code: e.error.code,
                // Meta's message names the problem, never the recipient or the text sent.
                title: e.error.message.chars().take(200).collect(),
            }),
            Err(_) => Err(SendError::Unavailable(format!(
                "HTTP {status} without an error body"
            ))),
        }
    }
}

/// Meta reads a number without `+` as local to the business number's country.
fn plus(to: &str) -> String {
    if to.starts_with('+') {
        to.to_owned()
    } else {
        format!("+{to}")
    }
}

/// reqwest errors print the URL; ours holds no secret, but keep messages short and stable.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes() {
        assert!(
            SendError::Refused {
                code: 130429,
                title: String::new()
            }
            .is_transient()
        );
        assert!(
            !SendError::Refused {
                code: 131047,
                title: String::new()
            }
            .is_transient()
        );
        assert!(SendError::Unavailable("x".into()).is_transient());
    }
}
