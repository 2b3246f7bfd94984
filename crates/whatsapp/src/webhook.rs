//! Inbound notifications (CLOUD_API_NOTES.md §3), parsed leniently: every entry, change, message and
//! status is visited; unknown fields are ignored, unknown message types kept as `unsupported`, and
//! one malformed message never costs its neighbours. `from`/`wa_id` may be absent (username users).

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct Notification {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub changes: Vec<Change>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub value: Option<ChangeValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub contacts: Vec<Contact>,
    /// Kept raw: each is parsed on its own by [`InboundMessage::parse`].
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

/// Skips array elements that do not fit instead of failing the whole notification.
fn lenient_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let values = Option::<Vec<Value>>::deserialize(deserializer)
        .unwrap_or_default()
        .unwrap_or_default();
    Ok(values
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

impl Notification {
    /// Parses a notification body; anything that is not a JSON object is an error.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// One inbound message, whatever its type.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// `wamid.…`: unique per business number.
    pub id: String,
    /// The sender's WhatsApp id (digits); absent for username-only users.
    pub from: Option<String>,
    /// Business-scoped user id (`BR.…`), when Meta sends one.
    pub from_user_id: Option<String>,
    /// Unix seconds.
    pub timestamp: Option<i64>,
    /// The `type` as sent (`text`, `image`, `reaction`, …, or a type this code does not know).
    pub kind: String,
    /// The object named after the type (`{"body": …}` for text), or `null`.
    pub content: Value,
    pub context: Option<Value>,
    pub errors: Vec<Value>,
}

impl InboundMessage {
    /// `None` when the message has no id (it could never be de-duplicated; Meta always sends one).
    pub fn parse(raw: &Value) -> Option<Self> {
        let id = raw.get("id")?.as_str()?.to_owned();
        let kind = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unsupported")
            .to_owned();
        Some(Self {
            from: raw.get("from").and_then(Value::as_str).map(str::to_owned),
            from_user_id: raw.get("from_user_id").and_then(Value::as_str).map(str::to_owned),
            timestamp: raw.get("timestamp").and_then(|t| match t {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }),
            content: raw.get(kind.as_str()).cloned().unwrap_or(Value::Null),
            context: raw.get("context").cloned(),
            errors: raw
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            id,
            kind,
        })
    }

    /// The text a person wrote: a text body, or a media caption.
    pub fn text(&self) -> Option<&str> {
        self.content
            .get("body")
            .or_else(|| self.content.get("caption"))
            .and_then(Value::as_str)
    }
}

/// A delivery status of an outbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// The wamid of the message the status is about.
    pub id: String,
    /// `sent`, `delivered`, `read`, `failed`, `played` (or a status this code does not know).
    pub status: String,
    pub timestamp: Option<i64>,
    pub recipient_id: Option<String>,
    /// The first error's code and title, for `failed`.
    pub error: Option<(i64, String)>,
}

impl StatusUpdate {
    pub fn parse(raw: &Value) -> Option<Self> {
        let first_error = raw
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|e| e.first());
        Some(Self {
            id: raw.get("id")?.as_str()?.to_owned(),
            status: raw.get("status")?.as_str()?.to_owned(),
            timestamp: raw.get("timestamp").and_then(|t| match t {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }),
            recipient_id: raw.get("recipient_id").and_then(Value::as_str).map(str::to_owned),
            error: first_error.and_then(|e| {
                Some((
                    e.get("code")?.as_i64()?,
                    e.get("title")
                        .or_else(|| e.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ))
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_and_partial_parts_are_tolerated() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "1", "changes": [{"field": "messages", "value": {
                    "metadata": {"phone_number_id": "123"},
                    "messages": [
                        {"id": "wamid.a", "type": "hologram", "hologram": {"x": 1}, "timestamp": "1700000000"},
                        {"id": "wamid.b", "type": "reaction", "reaction": {"message_id": "wamid.z"}, "from_user_id": "BR.1"},
                        {"type": "text"},
                    ],
                    "statuses": [{"id": "wamid.c", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}],
                    "future_field": true,
                }}]},
                "not an entry",
            ],
        });
        let n = Notification::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(n.entry.len(), 1, "the malformed entry is skipped");
        let value = n.entry[0].changes[0].value.as_ref().unwrap();
        let parsed: Vec<_> = value.messages.iter().filter_map(InboundMessage::parse).collect();
        assert_eq!(
            parsed.len(),
            2,
            "a message without id is skipped, the others kept"
        );
        assert_eq!(parsed[0].kind, "hologram");
        assert_eq!(parsed[0].timestamp, Some(1_700_000_000));
        assert_eq!(parsed[1].from, None);
        assert_eq!(parsed[1].from_user_id.as_deref(), Some("BR.1"));
        assert_eq!(parsed[1].content["message_id"], "wamid.z");
        let status = StatusUpdate::parse(&value.statuses[0]).unwrap();
        assert_eq!(status.error, Some((131047, "Re-engagement message".into())));
    }
}
