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
use serde_json::json;
use time::Duration;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const SEND_JOB: &str = "whatsapp.send";
/// Meta's customer-service window after the patient's last message.
pub const WINDOW: Duration = Duration::hours(24);

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

/// Meta sends to phone numbers; a username-only user (business-scoped id) has none yet.
pub fn reachable(patient: &User) -> bool {
    patient.phone.is_some()
        || patient
            .whatsapp_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
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
    let patient = work.tx().get::<User>(conversation.user_id).await?;
    if !reachable(&patient) {
        return Err(Error::invalid(
            "conversation",
            "no_whatsapp_number",
            "the patient has no WhatsApp number to write to",
        ));
    }
    let org = conversation.organization_id;
    let id = MessageId::generate();
    let body = serde_json::to_vec(&content).map_err(Error::internal)?;
    let services = work.services;
    let sealed = services
        .keys
        .encrypt(
            work.tx(),
            org,
            super::conversations::CONTENT_FIELD,
            id.as_uuid(),
            &body,
        )
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
    bump_metric(&mut conversation.metrics, "outbound");
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

/// Meta's pair limit: one message per 6 s to the same person on average, with bursts of up to 45
/// borrowed from later quota: at most `PAIR_BURST` messages in any `PAIR_WINDOW` (45 × 6 s).
pub const PAIR_INTERVAL: Duration = Duration::seconds(6);
pub const PAIR_BURST: u32 = 45;
pub const PAIR_WINDOW: Duration = Duration::seconds(6 * 45);
/// Meta's default throughput per business number (`settings.whatsapp.messagesPerSecond` overrides).
pub const DEFAULT_MESSAGES_PER_SECOND: u64 = 80;
/// How long a paused number (expired token) waits before its queue is looked at again.
const PAUSED_RETRY: Duration = Duration::seconds(60);

/// Outbound messages of a number, sent (accepted by Meta) since `since`, at most `limit + 1`.
async fn sent_since(
    tx: &mut dyn austa_store::Tx,
    number: &str,
    patient: Option<austa_domain::ids::UserId>,
    since: time::OffsetDateTime,
    limit: u32,
) -> Result<Vec<Message>> {
    let mut query = ListQuery::first(limit + 1)
        .filter("business_phone_number_id", Value::Text(number.to_owned()))
        .filter(
            "direction",
            Value::Text(MessageDirection::Outbound.as_str().into()),
        )
        .filter("status", Value::Text(MessageStatus::Sent.as_str().into()))
        .compare("status_updated_at", Cmp::Ge, Value::Time(since));
    if let Some(p) = patient {
        query = query.filter("user_id", Value::Uuid(p.as_uuid()));
    }
    Ok(tx.list::<Message>(&query).await?.items)
}

/// The send job: at most once to Meta per message (a stored wamid means it was accepted). `Ok(Some(at))`
/// asks the queue to try again at `at`: a rate limit, or a paused number.
pub async fn send(
    services: &crate::context::Services,
    org: OrganizationId,
    id: MessageId,
) -> Result<Option<time::OffsetDateTime>> {
    let scope = Principal::system_for(org).scope();
    let mut tx = services.store.begin(scope, TxMode::Read).await?;
    let message = tx.find::<Message>(id).await?.ok_or(Error::NotFound)?;
    if message.whatsapp_message_id.is_some() || message.status != MessageStatus::Queued {
        tx.rollback().await?;
        return Ok(None);
    }
    let organization = tx.get::<Organization>(org).await?;
    let organization_settings = organization.settings.clone();
    let now = services.clock.now();
    if organization
        .settings
        .pointer("/whatsapp/paused")
        .and_then(|v| v.as_bool())
        == Some(true)
    {
        tx.rollback().await?;
        return Ok(Some(now + PAUSED_RETRY));
    }
    if let Some(number) = message
        .business_phone_number_id
        .as_deref()
        .or(organization.whatsapp_phone_number_id.as_deref())
    {
        // Meta's pair limit for this person and number (bursts allowed, 1 per 6 s on average)...
        let recent = sent_since(
            tx.as_mut(),
            number,
            Some(message.user_id),
            now - PAIR_WINDOW,
            PAIR_BURST,
        )
        .await?;
        if recent.len() as u32 >= PAIR_BURST {
            let oldest = recent
                .iter()
                .filter_map(|m| m.status_updated_at)
                .min()
                .unwrap_or(now);
            tx.rollback().await?;
            return Ok(Some(oldest + PAIR_WINDOW));
        }
        // ...and at most the number's throughput per second.
        let per_second = organization
            .settings
            .pointer("/whatsapp/messagesPerSecond")
            .and_then(|v| v.as_u64())
            .unwrap_or(DEFAULT_MESSAGES_PER_SECOND)
            .clamp(1, 1000) as u32;
        if sent_since(tx.as_mut(), number, None, now - Duration::seconds(1), per_second)
            .await?
            .len() as u32
            >= per_second
        {
            tx.rollback().await?;
            return Ok(Some(now + Duration::seconds(1)));
        }
    }
    let patient = tx.get::<User>(message.user_id).await?;
    let ring = services.keys.get(tx.as_mut(), org).await?;
    tx.rollback().await?;
    let content: Outbound = serde_json::from_slice(&ring.decrypt(
        super::conversations::CONTENT_FIELD,
        id.as_uuid(),
        message.content_encrypted.as_deref().unwrap_or_default(),
    )?)
    .map_err(Error::internal)?;
    let number = message
        .business_phone_number_id
        .clone()
        .or(organization.whatsapp_phone_number_id.clone())
        .ok_or_else(|| Error::internal("the organization has no WhatsApp number"))?;
    let token = super::organizations::whatsapp_token(&ring, &organization)?
        .ok_or_else(|| Error::internal("the organization has no WhatsApp access token"))?;
    let to = patient
        .phone
        .clone()
        .or(patient.whatsapp_id.clone())
        .ok_or_else(|| Error::internal("the patient has no WhatsApp number"))?;
    let outcome = services
        .whatsapp
        .send(&number, &token, &content.payload(&to))
        .await;
    let mut reengagement: Option<Outbound> = None;
    let now = services.clock.now();
    let mut tx = services.store.begin(scope, TxMode::Write).await?;
    let Some(mut current) = tx.find_for_update::<Message>(id).await? else {
        return Ok(None);
    };
    match outcome {
        Ok(sent) => {
            current.whatsapp_message_id = Some(sent.message_id);
            current.status = MessageStatus::Sent;
        }
        Err(SendError::Refused { code: 190, .. }) => {
            // The token expired or was revoked: pause the number until a new token is saved; the
            // message waits instead of failing.
            tx.rollback().await?;
            pause_number(services, org).await?;
            tracing::error!(organization = %org, "WhatsApp access token expired or revoked: sending paused until a new token is saved");
            return Ok(Some(now + PAUSED_RETRY));
        }
        Err(SendError::Refused { code: 131056, .. }) => {
            tx.rollback().await?;
            return Ok(Some(now + PAIR_INTERVAL));
        }
        Err(SendError::Refused { code, title }) if is_final(code) => {
            current.status = MessageStatus::Failed;
            current.error_code = Some(code);
            current.error_title = Some(title.chars().take(200).collect());
            // Outside the window (131047): no blind retry, but the organization's re-engagement
            // template, when it has one, asks the patient to write back.
            if code == 131047 && !matches!(content, Outbound::Template { .. }) {
                reengagement = organization_reengagement(&organization_settings);
            }
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
    if let Some(template) = reengagement {
        let actor = crate::context::Actor::system_for(org).with_user_agent("whatsapp-sender");
        let conversation = current.conversation_id;
        crate::transact!(services, &actor, TxMode::Write, |work| queue(
            work,
            conversation,
            template,
            true
        )
        .await)?;
    }
    Ok(None)
}

/// `settings.whatsapp.reengagementTemplate` (`{"name": …, "language": "pt_BR"}`), as a message.
fn organization_reengagement(settings: &serde_json::Value) -> Option<Outbound> {
    let template = settings.pointer("/whatsapp/reengagementTemplate")?;
    let name = template.get("name")?.as_str()?;
    let language = template
        .get("language")
        .and_then(|l| l.as_str())
        .unwrap_or("pt_BR");
    let outbound = Outbound::Template {
        template: json!({"name": name, "language": {"code": language}}),
    };
    outbound.validate().ok().map(|()| outbound)
}

async fn pause_number(services: &crate::context::Services, org: OrganizationId) -> Result<()> {
    let actor = crate::context::Actor::system_for(org).with_user_agent("whatsapp-sender");
    crate::transact!(services, &actor, TxMode::Write, |work| {
        let mut organization = work.tx().get::<Organization>(org).await?;
        let mut settings = organization.settings.clone();
        if let Some(map) = settings.as_object_mut() {
            let whatsapp = map.entry("whatsapp").or_insert_with(|| json!({}));
            if let Some(w) = whatsapp.as_object_mut() {
                w.insert("paused".into(), json!(true));
            }
        }
        organization.settings = settings;
        organization.updated_at = work.services.clock.now();
        work.tx().update(&organization).await?;
        work.record(
            AuditEvent::new(AuditAction::SettingsChange, "organizations")
                .entity(org.as_uuid())
                .detail("change", "whatsapp_paused")
                .detail("reason", "access_token_invalid"),
        );
        Ok(())
    })
}

pub const MARK_READ_JOB: &str = "whatsapp.mark_read";

/// Queues "read" (and the typing indicator) for the conversation's latest inbound message: the patient
/// sees the blue ticks when staff open the conversation. Returns whether there was one.
pub async fn mark_read(work: &mut Work<'_>, conversation_id: ConversationId, typing: bool) -> Result<bool> {
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
    let latest = work
        .tx()
        .list::<Message>(
            &ListQuery::first(1)
                .newest_first()
                .filter("conversation_id", Value::Uuid(conversation_id.as_uuid()))
                .filter(
                    "direction",
                    Value::Text(MessageDirection::Inbound.as_str().into()),
                ),
        )
        .await?;
    let Some(message) = latest.items.into_iter().next() else {
        return Ok(false);
    };
    let now = work.services.clock.now();
    crate::jobs::enqueue(
        work.tx(),
        crate::jobs::NewJob {
            organization: Some(conversation.organization_id),
            kind: MARK_READ_JOB,
            payload: json!({"organizationId": conversation.organization_id, "messageId": message.id, "typing": typing}),
            dedupe_key: Some(format!("{}:{typing}", message.id)),
            run_at: None,
        },
        now,
    )
    .await?;
    Ok(true)
}

/// The mark-as-read job.
pub async fn send_read(
    services: &crate::context::Services,
    org: OrganizationId,
    id: MessageId,
    typing: bool,
) -> Result<()> {
    let mut tx = services
        .store
        .begin(Principal::system_for(org).scope(), TxMode::Read)
        .await?;
    let message = tx.find::<Message>(id).await?.ok_or(Error::NotFound)?;
    let organization = tx.get::<Organization>(org).await?;
    let ring = services.keys.get(tx.as_mut(), org).await?;
    tx.rollback().await?;
    let (Some(wamid), Some(number), Some(token)) = (
        message.whatsapp_message_id,
        message
            .business_phone_number_id
            .or(organization.whatsapp_phone_number_id.clone()),
        super::organizations::whatsapp_token(&ring, &organization)?,
    ) else {
        return Ok(());
    };
    match services.whatsapp.mark_read(&number, &token, &wamid, typing).await {
        Ok(()) => Ok(()),
        // Too old to mark, or unknown to Meta: nothing to retry.
        Err(SendError::Refused { code, .. }) if is_final(code) => Ok(()),
        Err(e) => Err(Error::Upstream(e.to_string())),
    }
}

/// Counts a message in the conversation's metrics (`{"inbound": n, "outbound": m}`).
pub fn bump_metric(metrics: &mut serde_json::Value, key: &str) {
    if !metrics.is_object() {
        *metrics = json!({});
    }
    let current = metrics.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
    metrics[key] = json!(current + 1);
}
