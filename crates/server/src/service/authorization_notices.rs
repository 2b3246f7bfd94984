//! Telling the patient that an authorization changed: free text inside the 24-hour window, the
//! organization's approved template (`settings.whatsapp.authorizationTemplate`, parameters: the
//! protocol and the new status) outside it. An authorization decision is essential: it reaches a
//! patient who opted out of other messages.

use austa_domain::enums::MessageDirection;
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::{Authorization, Conversation, Message, Organization, User};
use austa_store::{Cmp, ListQuery, Value};
use austa_whatsapp::outbound::Outbound;
use serde_json::json;

use super::assistant::replies::{Replies, first_name};
use crate::error::Result;
use crate::work::Work;

pub async fn tell_patient(work: &mut Work<'_>, a: &Authorization) -> Result<()> {
    let patient = work.tx().get::<User>(a.user_id).await?;
    if !super::outbound::reachable(&patient) {
        return Ok(());
    }
    let Some(conversation) = work
        .tx()
        .list::<Conversation>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(patient.id.as_uuid())),
        )
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let now = work.services.clock.now();
    let window_open = !work
        .tx()
        .list::<Message>(
            &ListQuery::first(1)
                .filter("user_id", Value::Uuid(patient.id.as_uuid()))
                .filter(
                    "direction",
                    Value::Text(MessageDirection::Inbound.as_str().into()),
                )
                .compare("sent_at", Cmp::Gt, Value::Time(now - super::outbound::WINDOW)),
        )
        .await?
        .items
        .is_empty();
    let texts = Replies::shared()?;
    let status = texts
        .raw(&format!("authorization_status_names.{}", a.status.as_str()))?
        .to_owned();
    let content = if window_open {
        let mut body = texts.render(
            "reply.authorization_changed",
            first_name(&patient.name).as_deref(),
            &[("protocolo", a.protocol_number.clone()), ("situacao", status)],
        )?;
        if let (Some(password), Some(until)) = (&a.authorization_password, a.password_valid_until) {
            body.push_str(&format!(
                " Senha: {password}, válida até {:02}/{:02}/{}.",
                until.day(),
                u8::from(until.month()),
                until.year()
            ));
        }
        Outbound::Text {
            text: json!({"body": body}),
        }
    } else {
        let organization = work.tx().get::<Organization>(a.organization_id).await?;
        let Some(template) = organization
            .settings
            .get("whatsapp")
            .and_then(|w| w.get("authorizationTemplate"))
        else {
            return Ok(());
        };
        let Some(name) = template.get("name").and_then(|n| n.as_str()) else {
            return Ok(());
        };
        let language = template
            .get("language")
            .and_then(|l| l.as_str())
            .unwrap_or("pt_BR");
        Outbound::Template {
            template: json!({
                "name": name,
                "language": {"code": language},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": a.protocol_number},
                    {"type": "text", "text": status},
                ]}],
            }),
        }
    };
    super::outbound::queue(work, conversation.id, content, true).await?;
    Ok(())
}
