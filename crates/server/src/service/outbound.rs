//! Messages the platform sends: validated against Meta's limits, held to the 24-hour customer-service
//! window (outside it only templates), stored QUEUED with their body sealed, and sent by a queued job
//! that retries what can succeed later and records what cannot.

use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, MessageDirection, MessageStatus, MessageType};
use austa_domain::ids::{ConversationId, MessageId, OrganizationId};
use austa_domain::{EntityId, Principal, Vocabulary};
use austa_store::model::{Conversation, Message, Organization, User};
use austa_store::{Cmp, ListQuery, TxMode, Value};
use austa_whatsapp::SendError;
use austa_whatsapp::outbound::Outbound;
use secrecy::SecretString;
use serde_json::json;
use time::Duration;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const SEND_JOB: &str = "whatsapp.send";
/// Meta's customer-service window after the patient's last message.
pub const WINDOW: Duration = Duration::hours(24);
const TOKEN_FIELD: austa_crypto::envelope::Field =
    austa_crypto::envelope::Field::new("organizations", "whatsapp_access_token_encrypted");

/// Meta errors that no retry will fix (outside the window, not a WhatsApp user, bad parameters…).
fn is_final(code: i64) -> bool {
    matches!(
        code,
        100 | 131008 | 131009 | 131026 | 131047 | 131051 | 132000 | 132001 | 132012 | 132015 | 190
    )
}

fn message_type(outbound: &Outbound) -> MessageType {
    match outbound {
        Outbound::Text { .. } => MessageType::Text,
        Outbound::Template { .. } => MessageType::Template,
        Outbound::Interactive { .. } => MessageType::Interactive,
        Outbound::Image { .. } => MessageType::Image,
        Outbound::Document { .. } => MessageType::Document,
        Outbound::Audio { .. } => MessageType::Audio,
        Outbound::Video { .. } => MessageType::Video,
        Outbound::Sticker { .. } => MessageType::Sticker,
    }
}

/// Queues a message in a conversation (staff or the assistant). Returns the stored message.
/// `essential`: a message the patient must get even after opting out (their own request's answer, an
/// authorization decision, an emergency); everything else respects the opt-out.
pub async fn queue(
    work: &mut Work<'_>,
    conversation_id: ConversationId,
    content: Outbound,
    essential: bool,
) -> Result<Message> {
    let conversation = work
        .tx()
        .find::<Conversation>(conversation_id)
        .await?
        .ok_or(Error::NotFound)?;
    let target = Target::in_organization(conversation.organization_id).about_patient(conversation.user_id);
    authorize(
        work,
        Action::Update,
        Resource::Conversation,
        target,
        Some(conversation_id.as_uuid()),
    )
    .await?;
    content
        .validate()
        .map_err(|e| Error::invalid(e.field, "whatsapp_limit", e.message))?;
    if !essential
        && super::consents::current(
            work,
            conversation.user_id,
            austa_domain::enums::ConsentKind::WhatsappMessages,
        )
        .await?
            == Some(false)
    {
        return Err(Error::conflict(
            "patient_opted_out",
            "the patient opted out of non-essential messages (they can send VOLTAR to opt back in)",
        ));
    }
    let now = work.services.clock.now();
    if content.needs_open_window() {
        let recent = work
            .tx()
            .list::<Message>(
                &ListQuery::first(1)
                    .filter("conversation_id", Value::Uuid(conversation_id.as_uuid()))
                    .filter(
                        "direction",
                        Value::Text(MessageDirection::Inbound.as_str().into()),
                    )
                    .compare("sent_at", Cmp::Gt, Value::Time(now - WINDOW)),
            )
            .await?;
        if recent.items.is_empty() {
            return Err(Error::invalid(
                "type",
                "outside_customer_service_window",
                "the patient has not written in the last 24 hours: only an approved template may be sent",
            ));
        }
    }
    let org = conversation.organization_id;
    let id = MessageId::generate();
    let body = serde_json::to_vec(&content).map_err(Error::internal)?;
    let services = work.services;
    let sealed = services
        .keys
        .encrypt(work.tx(), org, super::inbound::CONTENT_FIELD, id.as_uuid(), &body)
        .await?;
    let message = Message {
        id,
        organization_id: org,
        conversation_id,
        user_id: conversation.user_id,
        whatsapp_message_id: None,
        business_phone_number_id: conversation.business_phone_number_id.clone(),
        direction: MessageDirection::Outbound,
        message_type: message_type(&content),
        content_encrypted: Some(sealed),
        media_id: None,
        context_message_id: None,
        status: MessageStatus::Queued,
        status_updated_at: Some(now),
        error_code: None,
        error_title: None,
        sent_at: now,
        delivered_at: None,
        read_at: None,
        ai_processed: false,
        ai_confidence: None,
        ai_intent: None,
        ai_entities: json!([]),
        health_keywords: json!([]),
        urgency_level: None,
        metadata: json!({}),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&message).await?;
    let mut conversation = conversation;
    if conversation.first_response_at.is_none() {
        conversation.first_response_at = Some(now);
    }
    conversation.message_count += 1;
    conversation.last_message_at = Some(now);
    conversation.updated_at = now;
    work.tx().update(&conversation).await?;
    crate::jobs::enqueue(
        work.tx(),
        crate::jobs::NewJob {
            organization: Some(org),
            kind: SEND_JOB,
            payload: json!({"organizationId": org, "messageId": id}),
            dedupe_key: Some(id.to_string()),
            run_at: None,
        },
        now,
    )
    .await?;
    work.record(
        AuditEvent::health(AuditAction::Create, "messages", Some(id.as_uuid()))
            .related("conversationId", conversation_id.as_uuid())
            .related("patientId", conversation.user_id.as_uuid())
            .detail("direction", "outbound")
            .detail("type", content.kind()),
    );
    Ok(created)
}

/// The send job: at most once to Meta per message (a stored wamid means it was accepted).
pub async fn send(services: &crate::context::Services, org: OrganizationId, id: MessageId) -> Result<()> {
    let scope = Principal::system_for(org).scope();
    let mut tx = services.store.begin(scope, TxMode::Read).await?;
    let message = tx.find::<Message>(id).await?.ok_or(Error::NotFound)?;
    if message.whatsapp_message_id.is_some() || message.status != MessageStatus::Queued {
        tx.rollback().await?;
        return Ok(());
    }
    let organization = tx.get::<Organization>(org).await?;
    let patient = tx.get::<User>(message.user_id).await?;
    let ring = services.keys.get(tx.as_mut(), org).await?;
    tx.rollback().await?;
    let content: Outbound = serde_json::from_slice(&ring.decrypt(
        super::inbound::CONTENT_FIELD,
        id.as_uuid(),
        message.content_encrypted.as_deref().unwrap_or_default(),
    )?)
    .map_err(Error::internal)?;
    let (Some(number), Some(sealed_token)) = (
        message
            .business_phone_number_id
            .clone()
            .or(organization.whatsapp_phone_number_id.clone()),
        organization.whatsapp_access_token_encrypted,
    ) else {
        return Err(Error::internal(
            "the organization has no WhatsApp number or access token",
        ));
    };
    let to = patient
        .phone
        .clone()
        .or(patient.whatsapp_id.clone())
        .ok_or_else(|| Error::internal("the patient has no WhatsApp number"))?;
    let token = SecretString::from(
        String::from_utf8(ring.decrypt(TOKEN_FIELD, org.as_uuid(), &sealed_token)?.to_vec())
            .map_err(Error::internal)?,
    );
    let outcome = services
        .whatsapp
        .send(&number, &token, &content.payload(&to))
        .await;
    let now = services.clock.now();
    let mut tx = services.store.begin(scope, TxMode::Write).await?;
    let Some(mut current) = tx.find_for_update::<Message>(id).await? else {
        return Ok(());
    };
    match outcome {
        Ok(sent) => {
            current.whatsapp_message_id = Some(sent.message_id);
            current.status = MessageStatus::Sent;
        }
        Err(SendError::Refused { code, title }) if is_final(code) => {
            if code == 190 {
                tracing::error!(organization = %org, "WhatsApp access token expired or revoked: renew it in the organization's settings");
            }
            current.status = MessageStatus::Failed;
            current.error_code = Some(code);
            current.error_title = Some(title.chars().take(200).collect());
        }
        Err(transient) => {
            tx.rollback().await?;
            return Err(Error::Upstream(transient.to_string()));
        }
    }
    current.status_updated_at = Some(now);
    current.updated_at = now;
    tx.update(&current).await?;
    tx.commit().await?;
    Ok(())
}
