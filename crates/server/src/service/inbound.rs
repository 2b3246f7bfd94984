//! Turning a stored WhatsApp notification into rows: every message of every change is kept exactly
//! once per `(business number, wamid)` with its body sealed, the sender found by phone (Brazilian ids
//! without the ninth digit included) or registered as a new beneficiary, the conversation found or
//! opened; every status moves its outbound message forward only. Idempotent: a job that runs twice
//! (at-least-once queue) changes nothing the second time.

use austa_domain::enums::{
    AuditAction, ConversationStatus, MessageDirection, MessageStatus, MessageType, Priority, Role,
};
use austa_domain::ids::{ConversationId, MessageId, OrganizationId, UserId, WebhookDeliveryId};
use austa_domain::validation::PhoneNumber;
use austa_domain::{EntityId, Principal, Vocabulary};
use austa_store::model::{Conversation, Message, Organization, User, WebhookDelivery};
use austa_store::{ListQuery, Tx, TxMode, Value};
use austa_whatsapp::webhook::{ChangeValue, InboundMessage, Notification, StatusUpdate};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::Result;

pub use super::conversations::CONTENT_FIELD;

/// What one notification produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub messages_stored: usize,
    pub duplicates: usize,
    pub statuses_applied: usize,
    pub ignored: usize,
}

pub fn message_type(kind: &str) -> MessageType {
    match kind {
        "text" => MessageType::Text,
        "image" => MessageType::Image,
        "document" => MessageType::Document,
        "audio" | "voice" => MessageType::Audio,
        "video" => MessageType::Video,
        "sticker" => MessageType::Sticker,
        "location" => MessageType::Location,
        "contacts" => MessageType::Contacts,
        "interactive" => MessageType::Interactive,
        "button" => MessageType::Button,
        "reaction" => MessageType::Reaction,
        "order" => MessageType::Order,
        "system" => MessageType::System,
        _ => MessageType::Unsupported,
    }
}

/// The rank of a delivery status: a status only ever replaces a lower one; failed is final.
pub fn status_rank(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Queued | MessageStatus::Received => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
        MessageStatus::Played => 4,
        MessageStatus::Failed | MessageStatus::Deleted => 5,
    }
}

fn parse_status(text: &str) -> Option<MessageStatus> {
    match text {
        "sent" => Some(MessageStatus::Sent),
        "delivered" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "played" => Some(MessageStatus::Played),
        "failed" => Some(MessageStatus::Failed),
        _ => None,
    }
}

fn at(unix: Option<i64>, fallback: OffsetDateTime) -> OffsetDateTime {
    unix.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .map(austa_store::value::to_stored_precision)
        .unwrap_or(fallback)
}

/// Processes one stored delivery (the `whatsapp.process_notification` job).
pub async fn process(services: &Services, delivery: WebhookDeliveryId) -> Result<Outcome> {
    let body = super::webhooks::body(services, delivery).await?;
    let mut outcome = Outcome::default();
    let Ok(notification) = Notification::parse(&body) else {
        // Signed by Meta but not a notification we can read: nothing to retry.
        mark_processed(services, delivery, None).await?;
        return Ok(outcome);
    };
    let mut first_org = None;
    for entry in &notification.entry {
        for change in &entry.changes {
            let Some(value) = &change.value else { continue };
            let Some(number) = value.metadata.as_ref().and_then(|m| m.phone_number_id.clone()) else {
                outcome.ignored += value.messages.len() + value.statuses.len();
                continue;
            };
            let Some(org) = organization_of(services, &number).await? else {
                tracing::warn!(phone_number_id = %number, "notification for a business number no organization has");
                outcome.ignored += value.messages.len() + value.statuses.len();
                continue;
            };
            first_org.get_or_insert(org);
            let done = apply_change(services, org, &number, value).await?;
            outcome.messages_stored += done.messages_stored;
            outcome.duplicates += done.duplicates;
            outcome.statuses_applied += done.statuses_applied;
            outcome.ignored += done.ignored;
        }
    }
    mark_processed(services, delivery, first_org).await?;
    Ok(outcome)
}

async fn organization_of(services: &Services, phone_number_id: &str) -> Result<Option<OrganizationId>> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let org = tx
        .list::<Organization>(&ListQuery::first(1).filter(
            "whatsapp_phone_number_id",
            Value::Text(phone_number_id.to_owned()),
        ))
        .await?;
    tx.rollback().await?;
    Ok(org.items.into_iter().next().map(|o| o.id))
}

async fn mark_processed(
    services: &Services,
    id: WebhookDeliveryId,
    org: Option<OrganizationId>,
) -> Result<()> {
    let now = services.clock.now();
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Write)
        .await?;
    if let Some(mut delivery) = tx.find::<WebhookDelivery>(id).await? {
        delivery.processed_at = Some(now);
        delivery.organization_id = delivery.organization_id.or(org);
        delivery.updated_at = now;
        tx.update(&delivery).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One change of one organization, in one transaction of that organization.
async fn apply_change(
    services: &Services,
    org: OrganizationId,
    number: &str,
    value: &ChangeValue,
) -> Result<Outcome> {
    let actor = Actor::system_for(org).with_user_agent("whatsapp-webhook");
    crate::transact!(services, &actor, TxMode::Write, |work| {
        let now = work.services.clock.now();
        let mut outcome = Outcome::default();
        for raw in &value.messages {
            let Some(message) = InboundMessage::parse(raw) else {
                outcome.ignored += 1;
                continue;
            };
            let profile_name = value
                .contacts
                .iter()
                .find(|c| c.wa_id.is_some() && c.wa_id == message.from)
                .or(value.contacts.first())
                .and_then(|c| c.profile.as_ref())
                .and_then(|p| p.name.clone());
            if store_message(work, org, number, &message, profile_name, now).await? {
                outcome.messages_stored += 1;
            } else {
                outcome.duplicates += 1;
            }
        }
        for raw in &value.statuses {
            match StatusUpdate::parse(raw) {
                Some(status) if apply_status(work.tx(), number, &status, now).await? => {
                    outcome.statuses_applied += 1
                }
                _ => outcome.ignored += 1,
            }
        }
        Ok(outcome)
    })
}

/// `false` when the message was stored before (a retry of the same notification, or a duplicate).
async fn store_message(
    work: &mut crate::work::Work<'_>,
    org: OrganizationId,
    number: &str,
    message: &InboundMessage,
    profile_name: Option<String>,
    now: OffsetDateTime,
) -> Result<bool> {
    let existing = work
        .tx()
        .list::<Message>(
            &ListQuery::first(1)
                .filter("business_phone_number_id", Value::Text(number.to_owned()))
                .filter("whatsapp_message_id", Value::Text(message.id.clone())),
        )
        .await?;
    if !existing.items.is_empty() {
        return Ok(false);
    }
    let patient = sender(work, org, message, profile_name, now).await?;
    let conversation = open_conversation(work.tx(), org, patient, number, now).await?;
    let id = MessageId::generate();
    let content = json!({
        "type": message.kind,
        message.kind.clone(): message.content,
        "context": message.context,
        "fromUserId": message.from_user_id,
    });
    let services = work.services;
    let sealed = services
        .keys
        .encrypt(
            work.tx(),
            org,
            CONTENT_FIELD,
            id.as_uuid(),
            content.to_string().as_bytes(),
        )
        .await?;
    let sent_at = at(message.timestamp, now);
    let row = Message {
        id,
        organization_id: org,
        conversation_id: conversation.id,
        user_id: patient,
        whatsapp_message_id: Some(message.id.clone()),
        business_phone_number_id: Some(number.to_owned()),
        direction: MessageDirection::Inbound,
        message_type: message_type(&message.kind),
        content_encrypted: Some(sealed),
        media_id: message
            .content
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        context_message_id: message
            .context
            .as_ref()
            .and_then(|c| c.get("id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        status: MessageStatus::Received,
        status_updated_at: Some(now),
        error_code: message
            .errors
            .first()
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_i64()),
        error_title: message
            .errors
            .first()
            .and_then(|e| e.get("title"))
            .and_then(|t| t.as_str())
            .map(|t| t.chars().take(200).collect()),
        sent_at,
        delivered_at: None,
        read_at: None,
        ai_processed: false,
        ai_confidence: None,
        ai_intent: None,
        ai_entities: json!([]),
        health_keywords: json!([]),
        urgency_level: None,
        metadata: json!({"voice": message.content.get("voice").and_then(|v| v.as_bool()).unwrap_or(false)}),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    work.tx().create(&row).await?;
    if super::media::has_media(&message.kind) && row.media_id.is_some() {
        crate::jobs::enqueue(
            work.tx(),
            crate::jobs::NewJob {
                organization: Some(org),
                kind: super::media::MEDIA_JOB,
                payload: json!({"organizationId": org, "messageId": id}),
                dedupe_key: Some(id.to_string()),
                run_at: None,
            },
            now,
        )
        .await?;
    }
    if super::assistant::analyses(&message.kind) {
        super::assistant::enqueue(work.tx(), org, id, now).await?;
    }
    // A message that is only PARAR/SAIR/STOP (or VOLTAR/START) changes the consent to messages.
    if let Some(granted) = message
        .text()
        .filter(|_| message.kind == "text")
        .and_then(austa_domain::consent::keyword)
    {
        super::consents::record(
            work,
            patient,
            super::consents::Answer {
                kind: austa_domain::enums::ConsentKind::WhatsappMessages,
                granted,
                source: austa_domain::enums::ConsentSource::WhatsappKeyword,
                channel: austa_domain::enums::ConsentChannel::Whatsapp,
                terms_version: None,
                message: Some(id),
                at: sent_at,
            },
        )
        .await?;
    }
    let mut updated = conversation;
    updated.message_count += 1;
    super::outbound::bump_metric(&mut updated.metrics, "inbound");
    updated.last_message_at = Some(updated.last_message_at.map_or(sent_at, |t| t.max(sent_at)));
    updated.updated_at = now;
    work.tx().update(&updated).await?;
    work.record(
        AuditEvent::health(AuditAction::Create, "messages", Some(id.as_uuid()))
            .related("patientId", patient.as_uuid())
            .related("conversationId", updated.id.as_uuid())
            .risk(austa_domain::enums::RiskLevel::Low),
    );
    Ok(true)
}

/// The patient who sent it: by E.164 phone (a 12-digit Brazilian id gains its ninth digit), else by
/// WhatsApp id; an unknown number becomes a new beneficiary (onboarding starts from here).
async fn sender(
    work: &mut crate::work::Work<'_>,
    org: OrganizationId,
    message: &InboundMessage,
    profile_name: Option<String>,
    now: OffsetDateTime,
) -> Result<UserId> {
    // Username-only users (2026) have no phone number, only a business-scoped id.
    let wa_id = message
        .from
        .clone()
        .or_else(|| message.from_user_id.clone())
        .unwrap_or_default();
    let phone = PhoneNumber::from_whatsapp_id(&wa_id).ok();
    if let Some(phone) = &phone {
        let found = work
            .tx()
            .list::<User>(&ListQuery::first(1).filter("phone", Value::Text(phone.e164().to_owned())))
            .await?;
        if let Some(user) = found.items.into_iter().next() {
            return Ok(user.id);
        }
    }
    if !wa_id.is_empty() {
        let found = work
            .tx()
            .list::<User>(&ListQuery::first(1).filter("whatsapp_id", Value::Text(wa_id.clone())))
            .await?;
        if let Some(user) = found.items.into_iter().next() {
            return Ok(user.id);
        }
    }
    let id = UserId::generate();
    let name: String = profile_name
        .map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Beneficiário WhatsApp".into());
    let user = User {
        id,
        organization_id: org,
        role: Role::Patient,
        name,
        cpf_encrypted: None,
        cpf_bidx: None,
        phone: phone.as_ref().map(|p| p.e164().to_owned()),
        whatsapp_id: (!wa_id.is_empty())
            .then_some(wa_id)
            .or_else(|| message.from_user_id.clone()),
        email: None,
        password_hash: None,
        totp_secret_encrypted: None,
        birth_date: None,
        language: "pt-BR".into(),
        timezone: "America/Sao_Paulo".into(),
        emergency_contact_encrypted: None,
        is_active: true,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    work.tx().create(&user).await?;
    work.tx()
        .create(&super::points::new_account(org, id, now))
        .await?;
    let missions = super::onboarding::start(work.tx(), org, id, now).await?;
    work.record(
        AuditEvent::personal(AuditAction::Create, "users", Some(id.as_uuid()))
            .detail("via", "whatsapp")
            .detail("onboardingMissions", missions),
    );
    Ok(id)
}

async fn open_conversation(
    tx: &mut dyn Tx,
    org: OrganizationId,
    patient: UserId,
    number: &str,
    now: OffsetDateTime,
) -> Result<Conversation> {
    let open = tx
        .list::<Conversation>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(patient.as_uuid()))
                .filter("business_phone_number_id", Value::Text(number.to_owned()))
                .any_of(
                    "status",
                    [
                        ConversationStatus::Active,
                        ConversationStatus::WaitingHuman,
                        ConversationStatus::Escalated,
                    ]
                    .iter()
                    .map(|s| Value::Text(s.as_str().into()))
                    .collect(),
                ),
        )
        .await?;
    if let Some(conversation) = open.items.into_iter().next() {
        return Ok(conversation);
    }
    Ok(tx
        .create(&Conversation {
            id: ConversationId::generate(),
            organization_id: org,
            user_id: patient,
            channel: "WHATSAPP".into(),
            business_phone_number_id: Some(number.to_owned()),
            status: ConversationStatus::Active,
            priority: Priority::Normal,
            health_topics: json!([]),
            medications_mentioned: json!([]),
            symptoms_reported: json!([]),
            ai_context_encrypted: None,
            assigned_provider_id: None,
            last_message_at: None,
            first_response_at: None,
            message_count: 0,
            metrics: json!({}),
            closed_at: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?)
}

/// Moves the outbound message forward; `false` if it is unknown or the status is not newer.
async fn apply_status(
    tx: &mut dyn Tx,
    number: &str,
    status: &StatusUpdate,
    now: OffsetDateTime,
) -> Result<bool> {
    let Some(new) = parse_status(&status.status) else {
        return Ok(false);
    };
    let found = tx
        .list::<Message>(
            &ListQuery::first(1)
                .filter("business_phone_number_id", Value::Text(number.to_owned()))
                .filter("whatsapp_message_id", Value::Text(status.id.clone()))
                .filter(
                    "direction",
                    Value::Text(MessageDirection::Outbound.as_str().into()),
                ),
        )
        .await?;
    let Some(message) = found.items.into_iter().next() else {
        return Ok(false);
    };
    let Some(mut message) = tx.find_for_update::<Message>(message.id).await? else {
        return Ok(false);
    };
    if status_rank(new) <= status_rank(message.status) {
        return Ok(false);
    }
    let when = at(status.timestamp, now);
    message.status = new;
    message.status_updated_at = Some(when);
    match new {
        MessageStatus::Delivered => message.delivered_at = Some(when),
        MessageStatus::Read | MessageStatus::Played => {
            message.delivered_at = message.delivered_at.or(Some(when));
            message.read_at = Some(when);
        }
        MessageStatus::Failed => {
            if let Some((code, title)) = &status.error {
                message.error_code = Some(*code);
                message.error_title = Some(title.chars().take(200).collect());
            }
        }
        _ => {}
    }
    message.updated_at = now;
    tx.update(&message).await?;
    Ok(true)
}
