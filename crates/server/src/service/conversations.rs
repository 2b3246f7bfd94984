//! Conversations and their messages (read side; the WhatsApp channel writes them). Message bodies and
//! captions are decrypted for callers the policy admits, and every read is audited.

use austa_crypto::envelope::Field;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{
    AuditAction, ConversationStatus, MessageDirection, MessageStatus, MessageType, Priority, UrgencyLevel,
};
use austa_domain::ids::{ConversationId, MessageId, OrganizationId, ProviderId, UserId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::{Conversation, Message};
use austa_store::{ListQuery, Page, Value};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const CONTENT_FIELD: Field = Field::new("messages", "content_encrypted");

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub id: ConversationId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub channel: String,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub health_topics: serde_json::Value,
    pub medications_mentioned: serde_json::Value,
    pub symptoms_reported: serde_json::Value,
    pub assigned_provider_id: Option<ProviderId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
    pub message_count: i64,
    /// When staff or the assistant first answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_response_at: Option<OffsetDateTime>,
    /// Per-conversation counters (`inbound`, `outbound`).
    pub metrics: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub whatsapp_message_id: Option<String>,
    pub direction: MessageDirection,
    #[serde(rename = "type")]
    pub message_type: MessageType,
    /// The decrypted content (`{"text": …}`, `{"caption": …}`, …).
    pub content: Option<serde_json::Value>,
    pub status: MessageStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    pub ai_processed: bool,
    pub ai_confidence: Option<f64>,
    pub ai_intent: Option<String>,
    pub ai_entities: serde_json::Value,
    pub health_keywords: serde_json::Value,
    pub urgency_level: Option<UrgencyLevel>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
}

impl std::fmt::Debug for MessageView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn view(c: Conversation) -> ConversationView {
    ConversationView {
        id: c.id,
        organization_id: c.organization_id,
        user_id: c.user_id,
        channel: c.channel,
        status: c.status,
        priority: c.priority,
        health_topics: c.health_topics,
        medications_mentioned: c.medications_mentioned,
        symptoms_reported: c.symptoms_reported,
        assigned_provider_id: c.assigned_provider_id,
        last_message_at: c.last_message_at,
        message_count: c.message_count,
        first_response_at: c.first_response_at,
        metrics: c.metrics,
        created_at: c.created_at,
    }
}

fn target(c: &Conversation) -> Target {
    Target::in_organization(c.organization_id).about_patient(c.user_id)
}

pub struct Filter {
    pub user_id: Option<UserId>,
    pub status: Option<ConversationStatus>,
}

/// Patients see their own conversations; staff the organization's.
pub async fn list(
    work: &mut Work<'_>,
    org: OrganizationId,
    filter: Filter,
    mut query: ListQuery,
) -> Result<Page<ConversationView>> {
    let me = match work.actor.principal.subject() {
        austa_domain::Subject::User(id) if work.actor.role() == austa_domain::enums::Role::Patient => {
            Some(id)
        }
        _ => None,
    };
    let user = me.or(filter.user_id);
    let mut target = Target::in_organization(org);
    if let Some(user) = user {
        target = target.about_patient(user);
        query = query.filter("user_id", Value::Uuid(user.as_uuid()));
    }
    authorize(work, Action::Read, Resource::Conversation, target, None).await?;
    if let Some(status) = filter.status {
        query = query.filter("status", Value::Text(status.as_str().into()));
    }
    let page = work.tx().list::<Conversation>(&query.newest_first()).await?;
    for c in &page.items {
        work.record(
            AuditEvent::health(AuditAction::Read, "conversations", Some(c.id.as_uuid()))
                .related("patientId", c.user_id.as_uuid())
                .detail("via", "list"),
        );
    }
    Ok(Page {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    })
}

pub async fn get(work: &mut Work<'_>, id: ConversationId) -> Result<ConversationView> {
    let conversation = work.tx().find::<Conversation>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::Conversation,
        target(&conversation),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "conversations", Some(id.as_uuid()))
            .related("patientId", conversation.user_id.as_uuid()),
    );
    Ok(view(conversation))
}

/// Staff hand a conversation back to the assistant: `WAITING_HUMAN` or `ESCALATED` → `ACTIVE`.
/// Only staff: a patient cannot silence the person helping them.
pub async fn release(work: &mut Work<'_>, id: ConversationId) -> Result<ConversationView> {
    let mut conversation = work
        .tx()
        .find_for_update::<Conversation>(id)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Update,
        Resource::Conversation,
        target(&conversation),
        Some(id.as_uuid()),
    )
    .await?;
    if !matches!(
        conversation.status,
        ConversationStatus::WaitingHuman | ConversationStatus::Escalated
    ) {
        return Err(Error::conflict(
            "conversation_state",
            format!("the conversation is {}", conversation.status.as_str()),
        ));
    }
    let from = conversation.status;
    conversation.status = ConversationStatus::Active;
    conversation.updated_at = work.services.clock.now();
    let saved = work.tx().update(&conversation).await?;
    work.record(
        AuditEvent::new(AuditAction::Update, "conversations")
            .entity(id.as_uuid())
            .related("patientId", saved.user_id.as_uuid())
            .detail("from", from.as_str())
            .detail("to", ConversationStatus::Active.as_str()),
    );
    Ok(view(saved))
}

pub async fn messages(
    work: &mut Work<'_>,
    id: ConversationId,
    query: ListQuery,
) -> Result<Page<MessageView>> {
    let conversation = work.tx().find::<Conversation>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::Message,
        target(&conversation),
        Some(id.as_uuid()),
    )
    .await?;
    let page = work
        .tx()
        .list::<Message>(&query.filter("conversation_id", Value::Uuid(id.as_uuid())))
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(view_message(work, m).await?);
    }
    work.record(
        AuditEvent::health(AuditAction::Read, "messages", None)
            .related("conversationId", id.as_uuid())
            .related("patientId", conversation.user_id.as_uuid())
            .detail("count", items.len()),
    );
    Ok(Page {
        items,
        next: page.next,
    })
}

/// A message as the API shows it, its content decrypted.
pub async fn view_message(work: &mut Work<'_>, m: Message) -> Result<MessageView> {
    let content = match &m.content_encrypted {
        Some(sealed) => {
            let services = work.services;
            let plain = services
                .keys
                .decrypt(
                    work.tx(),
                    m.organization_id,
                    CONTENT_FIELD,
                    m.id.as_uuid(),
                    sealed,
                )
                .await?;
            Some(serde_json::from_slice(&plain).map_err(Error::internal)?)
        }
        None => None,
    };
    Ok(MessageView {
        id: m.id,
        conversation_id: m.conversation_id,
        whatsapp_message_id: m.whatsapp_message_id,
        direction: m.direction,
        message_type: m.message_type,
        content,
        status: m.status,
        sent_at: m.sent_at,
        ai_processed: m.ai_processed,
        ai_confidence: m.ai_confidence,
        ai_intent: m.ai_intent,
        ai_entities: m.ai_entities,
        health_keywords: m.health_keywords,
        urgency_level: m.urgency_level,
        error_code: m.error_code,
        error_title: m.error_title,
    })
}
