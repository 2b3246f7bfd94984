//! The assistant's words, from `data/assistant/replies.pt-BR.toml` (compiled in): every reply in
//! one reviewed file, filled with the patient's first name and the facts of the answer.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::{Error, Result};

const REPLIES_TOML: &str = include_str!("../../../../../data/assistant/replies.pt-BR.toml");

/// `section.key` → text.
pub struct Replies {
    texts: HashMap<String, String>,
}

static SHARED: OnceLock<std::result::Result<Replies, String>> = OnceLock::new();

impl Replies {
    pub fn shared() -> Result<&'static Replies> {
        SHARED
            .get_or_init(|| Replies::parse(REPLIES_TOML))
            .as_ref()
            .map_err(|e| Error::internal(format!("replies file: {e}")))
    }

    pub fn parse(source: &str) -> std::result::Result<Replies, String> {
        let table: toml::Table = source.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut texts = HashMap::new();
        for (section, value) in table {
            let toml::Value::Table(entries) = value else {
                return Err(format!("[{section}] must be a table"));
            };
            for (key, text) in entries {
                let toml::Value::String(text) = text else {
                    return Err(format!("{section}.{key} must be a string"));
                };
                texts.insert(format!("{section}.{key}"), text);
            }
        }
        Ok(Replies { texts })
    }

    pub fn raw(&self, key: &str) -> Result<&str> {
        self.texts
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| Error::internal(format!("no reply {key} in the replies file")))
    }

    /// The text with `{nome}` (the first name, or nothing), `{nome_virgula}` (", Ana" or nothing)
    /// and the given placeholders filled in.
    pub fn render(&self, key: &str, first_name: Option<&str>, values: &[(&str, String)]) -> Result<String> {
        let mut text = self.raw(key)?.to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        let name = first_name.unwrap_or("").trim();
        text = text.replace(
            "{nome_virgula}",
            &if name.is_empty() {
                String::new()
            } else {
                format!(", {name}")
            },
        );
        if name.is_empty() {
            // "{nome}, isso pode…" reads "Isso pode…" without a name.
            text = text.replace("{nome}, ", "").replace("{nome}", "");
            text = capitalise(text.trim_start());
        } else {
            text = text.replace("{nome}", name);
        }
        Ok(text)
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first name to greet with: the first word of the stored name, unless it is the placeholder
/// given to unknown WhatsApp senders.
pub fn first_name(full: &str) -> Option<String> {
    let first = full.split_whitespace().next()?;
    if full.starts_with("Beneficiário")
        || first.chars().count() < 2
        || first.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(first.chars().take(40).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reply_the_code_names_exists_and_placeholders_fill() {
        let replies = Replies::shared().unwrap();
        for key in [
            "emergency.samu",
            "emergency.poisoning",
            "emergency.suicide",
            "onboarding.welcome",
            "onboarding.consent_request",
            "onboarding.consent_reminder",
            "onboarding.consent_granted",
            "onboarding.consent_granted_no_missions",
            "onboarding.consent_refused",
            "reply.greeting",
            "reply.farewell",
            "reply.symptom_high",
            "reply.symptom_medium",
            "reply.symptom_low",
            "reply.symptom_unrecorded",
            "reply.vital_recorded",
            "reply.vital_high",
            "reply.medication_question",
            "reply.adherence_taken",
            "reply.adherence_missed",
            "reply.adherence_noted",
            "reply.appointment",
            "reply.authorization_status",
            "reply.authorization_none",
            "reply.authorization_changed",
            "reply.exam_results_available",
            "reply.exam_results_none",
            "reply.document_received",
            "reply.document_prompt",
            "reply.points",
            "reply.points_next_mission",
            "reply.points_no_mission",
            "reply.human_agent",
            "reply.opt_out",
            "reply.other",
            "reply.streak_freeze",
        ] {
            let text = replies.raw(key).unwrap();
            assert!(
                text.chars().count() <= 1024,
                "{key} fits a WhatsApp text comfortably"
            );
        }
        let with = replies.render("emergency.samu", Some("Ana"), &[]).unwrap();
        assert!(with.starts_with("Ana, isso pode ser uma emergência") && with.contains("192"));
        let without = replies.render("emergency.samu", None, &[]).unwrap();
        assert!(without.starts_with("Isso pode ser uma emergência"), "{without}");
        assert!(
            replies
                .render("emergency.suicide", None, &[])
                .unwrap()
                .contains("188")
        );
        let greeting = replies.render("reply.greeting", None, &[]).unwrap();
        assert!(greeting.starts_with("Olá! Como posso ajudar?"), "{greeting}");
        let points = replies
            .render(
                "reply.points",
                Some("João"),
                &[
                    ("pontos", "120".into()),
                    ("proxima", "Sua próxima missão: X.".into()),
                ],
            )
            .unwrap();
        assert_eq!(points, "Você tem 120 pontos, João. Sua próxima missão: X.");
        assert!(!points.contains('{'));
    }

    #[test]
    fn first_names() {
        assert_eq!(first_name("Maria da Silva").as_deref(), Some("Maria"));
        assert_eq!(first_name("Beneficiário WhatsApp"), None);
        assert_eq!(first_name("   "), None);
    }
}
