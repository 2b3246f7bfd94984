//! What the platform may send (CLOUD_API_NOTES.md §4), checked against Meta's limits before it is
//! queued, so a message Meta would refuse is a 422 now rather than a failure later.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An outbound message body, in Meta's own shape (`{"type": "text", "text": {"body": …}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    Text { text: Value },
    Template { template: Value },
    Interactive { interactive: Value },
    Image { image: Value },
    Document { document: Value },
    Audio { audio: Value },
    Video { video: Value },
    Sticker { sticker: Value },
}

/// A limit Meta enforces, broken: the field (JSON path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn text_within(value: &Value, field: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let text = value.as_str().ok_or_else(|| invalid(field, "must be a string"))?;
    let n = text.chars().count();
    if n < min || n > max {
        return Err(invalid(field, format!("must have {min} to {max} characters")));
    }
    Ok(())
}

fn optional_within(parent: &Value, key: &str, field: &str, max: usize) -> Result<(), Invalid> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => text_within(v, field, 0, max),
    }
}

impl Outbound {
    /// Only templates may be sent outside the 24-hour customer-service window.
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, Outbound::Template { .. })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Outbound::Text { .. } => "text",
            Outbound::Template { .. } => "template",
            Outbound::Interactive { .. } => "interactive",
            Outbound::Image { .. } => "image",
            Outbound::Document { .. } => "document",
            Outbound::Audio { .. } => "audio",
            Outbound::Video { .. } => "video",
            Outbound::Sticker { .. } => "sticker",
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            Outbound::Text { text } => {
                text_within(text.get("body").unwrap_or(&Value::Null), "text.body", 1, 4096)
            }
            Outbound::Template { template } => {
                let name = template.get("name").and_then(Value::as_str).unwrap_or_default();
                if name.is_empty()
                    || name.len() > 512
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(invalid("template.name", "must be a template name (a-z, 0-9, _)"));
                }
                if template
                    .pointer("/language/code")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    return Err(invalid("template.language.code", "is required (e.g. pt_BR)"));
                }
                match template.get("components") {
                    None | Some(Value::Array(_)) => Ok(()),
                    Some(_) => Err(invalid("template.components", "must be a list")),
                }
            }
            Outbound::Interactive { interactive } => validate_interactive(interactive),
            Outbound::Image { image: media }
            | Outbound::Document { document: media }
            | Outbound::Audio { audio: media }
            | Outbound::Video { video: media }
            | Outbound::Sticker { sticker: media } => {
                let field = self.kind();
                match (media.get("id"), media.get("link")) {
                    (Some(Value::String(_)), None) | (None, Some(Value::String(_))) => {}
                    _ => return Err(invalid(&format!("{field}.id"), "give exactly one of id and link")),
                }
                optional_within(media, "caption", &format!("{field}.caption"), 1024)?;
                optional_within(media, "filename", &format!("{field}.filename"), 240)
            }
        }
    }

    /// The request body of `POST /{phone_number_id}/messages`.
    pub fn payload(&self, to: &str) -> Value {
        let to = if to.starts_with('+') {
            to.to_owned()
        } else {
            format!("+{to}")
        };
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to});
        if let (Value::Object(target), Ok(Value::Object(own))) = (&mut body, serde_json::to_value(self)) {
            target.extend(own);
        }
        body
    }
}

fn validate_interactive(interactive: &Value) -> Result<(), Invalid> {
    match interactive.get("type").and_then(Value::as_str) {
        Some("button") => {
            text_within(
                interactive.pointer("/body/text").unwrap_or(&Value::Null),
                "interactive.body.text",
                1,
                1024,
            )?;
            optional_within(
                interactive.get("footer").unwrap_or(&Value::Null),
                "text",
                "interactive.footer.text",
                60,
            )?;
            let buttons = interactive
                .pointer("/action/buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("interactive.action.buttons", "is required"))?;
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(invalid("interactive.action.buttons", "must have 1 to 3 buttons"));
            }
            let mut titles = Vec::new();
            for (i, b) in buttons.iter().enumerate() {
                text_within(
                    b.pointer("/reply/id").unwrap_or(&Value::Null),
                    &format!("interactive.action.buttons[{i}].reply.id"),
                    1,
                    256,
                )?;
                let title = b.pointer("/reply/title").unwrap_or(&Value::Null);
                text_within(
                    title,
                    &format!("interactive.action.buttons[{i}].reply.title"),
                    1,
                    20,
                )?;
                if titles.contains(title) {
                    return Err(invalid(
                        &format!("interactive.action.buttons[{i}].reply.title"),
                        "titles must be unique",
                    ));
                }
                titles.push(title.clone());
            }
            Ok(())
        }
        Some("list") => {
            text_within(
                interactive.pointer("/body/text").unwrap_or(&Value::Null),
                "interactive.body.text",
                1,
                4096,
            )?;
            text_within(
                interactive.pointer("/action/button").unwrap_or(&Value::Null),
                "interactive.action.button",
                1,
                20,
            )?;
            let sections = interactive
                .pointer("/action/sections")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("interactive.action.sections", "is required"))?;
            if sections.is_empty() || sections.len() > 10 {
                return Err(invalid(
                    "interactive.action.sections",
                    "must have 1 to 10 sections",
                ));
            }
            let mut rows = 0;
            for (s, section) in sections.iter().enumerate() {
                for (r, row) in section
                    .get("rows")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    rows += 1;
                    let at = format!("interactive.action.sections[{s}].rows[{r}]");
                    text_within(row.get("id").unwrap_or(&Value::Null), &format!("{at}.id"), 1, 200)?;
                    text_within(
                        row.get("title").unwrap_or(&Value::Null),
                        &format!("{at}.title"),
                        1,
                        24,
                    )?;
                    optional_within(row, "description", &format!("{at}.description"), 72)?;
                }
            }
            if rows == 0 || rows > 10 {
                return Err(invalid(
                    "interactive.action.sections",
                    "must have 1 to 10 rows in all",
                ));
            }
            Ok(())
        }
        _ => Err(invalid("interactive.type", "must be button or list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Outbound {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn fixtures_validate_and_round_trip() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/send");
        for file in [
            "text.json",
            "template_pt_BR_positional.json",
            "template_pt_BR_named.json",
            "interactive_buttons.json",
            "interactive_list.json",
            "image_by_id.json",
            "document_by_link.json",
        ] {
            let body: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
            let outbound: Outbound =
                serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
            outbound.validate().unwrap_or_else(|e| panic!("{file}: {e}"));
            let to = body["to"].as_str().unwrap();
            let rebuilt = outbound.payload(to);
            for key in ["messaging_product", "to", "type"] {
                assert_eq!(rebuilt[key], body[key], "{file}: {key}");
            }
            let kind = body["type"].as_str().unwrap();
            assert_eq!(rebuilt[kind], body[kind], "{file}");
        }
    }

    #[test]
    fn meta_limits_are_enforced() {
        let four = parse(
            json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "Escolha"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "A"}}, {"type": "reply", "reply": {"id": "b", "title": "B"}},
            {"type": "reply", "reply": {"id": "c", "title": "C"}}, {"type": "reply", "reply": {"id": "d", "title": "D"}}]}}}),
        );
        assert_eq!(four.validate().unwrap_err().field, "interactive.action.buttons");
        let long_title = parse(
            json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "um título longo demais aqui"}}]}}}),
        );
        assert_eq!(
            long_title.validate().unwrap_err().field,
            "interactive.action.buttons[0].reply.title"
        );
        assert_eq!(
            parse(json!({"type": "text", "text": {"body": ""}}))
                .validate()
                .unwrap_err()
                .field,
            "text.body"
        );
        assert_eq!(
            parse(
                json!({"type": "template", "template": {"name": "Nome Ruim", "language": {"code": "pt_BR"}}})
            )
            .validate()
            .unwrap_err()
            .field,
            "template.name"
        );
        assert_eq!(
            parse(json!({"type": "image", "image": {"id": "1", "link": "https://x"}}))
                .validate()
                .unwrap_err()
                .field,
            "image.id"
        );
        assert!(
            parse(json!({"type": "template", "template": {"name": "ok"}}))
                .validate()
                .is_err()
        );
        assert!(
            !parse(json!({"type": "template", "template": {"name": "ok", "language": {"code": "pt_BR"}}}))
                .needs_open_window()
        );
        assert!(parse(json!({"type": "text", "text": {"body": "oi"}})).needs_open_window());
    }
}
