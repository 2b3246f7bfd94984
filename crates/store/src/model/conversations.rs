use austa_domain::enums::{
    AlertKind, AlertStatus, ConversationStatus, MessageDirection, MessageStatus, MessageType, Priority,
    UrgencyLevel,
};
use austa_domain::ids::{
    AlertId, AuthorizationId, ConversationId, MessageId, OrganizationId, ProviderId, UserId,
};
use time::OffsetDateTime;

crate::entity! {
    /// A thread between a patient and the organization on one channel.
    Conversation in "conversations" {
        id: ConversationId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            channel: String,
            business_phone_number_id: Option<String>,
            status: ConversationStatus,
            priority: Priority,
            health_topics: serde_json::Value,
            medications_mentioned: serde_json::Value,
            symptoms_reported: serde_json::Value,
            ai_context_encrypted: Option<Vec<u8>>,
            assigned_provider_id: Option<ProviderId>,
            last_message_at: Option<OffsetDateTime>,
            first_response_at: Option<OffsetDateTime>,
            message_count: i64,
            metrics: serde_json::Value,
            closed_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// One WhatsApp message, inbound or outbound, with its analysis.
    Message in "messages" {
        id: MessageId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "messages_wamid_key" =>
                ["organization_id", "business_phone_number_id", "whatsapp_message_id"],
        ],
        fields: {
            organization_id: OrganizationId,
            conversation_id: ConversationId,
            user_id: UserId,
            /// Meta's id (`wamid.…`); unique per business number.
            whatsapp_message_id: Option<String>,
            business_phone_number_id: Option<String>,
            direction: MessageDirection,
            message_type: MessageType,
            /// Body, caption and other content, as one encrypted JSON document.
            content_encrypted: Option<Vec<u8>>,
            media_id: Option<String>,
            /// The wamid this message replies to.
            context_message_id: Option<String>,
            status: MessageStatus,
            status_updated_at: Option<OffsetDateTime>,
            error_code: Option<i64>,
            error_title: Option<String>,
            sent_at: OffsetDateTime,
            delivered_at: Option<OffsetDateTime>,
            read_at: Option<OffsetDateTime>,
            ai_processed: bool,
            ai_confidence: Option<f64>,
            ai_intent: Option<String>,
            ai_entities: serde_json::Value,
            health_keywords: serde_json::Value,
            urgency_level: Option<UrgencyLevel>,
            /// Protocol fields without personal data (unknown fields Meta adds are kept here).
            metadata: serde_json::Value,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// Something the organization's staff must act on, raised by the assistant: an emergency, a
    /// patient asking for a person, an appointment request. Holds no message text: staff open the
    /// conversation (an audited read) to see what was said.
    Alert in "alerts" {
        id: AlertId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["alerts_message_id_kind_key" => ["organization_id", "message_id", "kind"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            /// None for an alert about an authorization's deadline.
            conversation_id: Option<ConversationId>,
            /// The message that raised it.
            message_id: Option<MessageId>,
            kind: AlertKind,
            status: AlertStatus,
            urgency_level: UrgencyLevel,
            /// Why, as a code (`chest_pain`, `suicide_risk`, `appointment`…), never patient words.
            reason: String,
            acknowledged_by: Option<UserId>,
            acknowledged_at: Option<OffsetDateTime>,
            resolved_at: Option<OffsetDateTime>,
            /// When the organization's alert webhook accepted it (none configured: stays empty).
            pushed_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
            /// The authorization a deadline alert is about.
            authorization_id: Option<AuthorizationId>,
        }
    }
}
