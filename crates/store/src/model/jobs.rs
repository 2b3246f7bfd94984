use austa_domain::enums::{ConsentChannel, ConsentKind, ConsentSource, JobStatus};
use austa_domain::ids::{ConsentId, JobId, MessageId, OrganizationId, UserId, WebhookDeliveryId};
use time::OffsetDateTime;

crate::entity! {
    /// A unit of background work in the durable queue (at-least-once: handlers are idempotent).
    Job in "jobs" {
        id: JobId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["jobs_kind_dedupe_key_key" => ["kind", "dedupe_key"]],
        fields: {
            /// Empty for platform work (e.g. a webhook not yet routed to its organization).
            organization_id: Option<OrganizationId>,
            kind: String,
            /// What the handler needs (JSON object; ids, never personal data).
            payload: serde_json::Value,
            status: JobStatus,
            attempts: i64,
            max_attempts: i64,
            /// Not before this instant (backoff).
            run_at: OffsetDateTime,
            /// A worker's lease: past it, the job is claimable again (the worker died).
            locked_until: Option<OffsetDateTime>,
            locked_by: Option<String>,
            last_error: Option<String>,
            dedupe_key: Option<String>,
            finished_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A signed webhook notification exactly as received (sealed), stored before it is acknowledged.
    WebhookDelivery in "webhook_deliveries" {
        id: WebhookDeliveryId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["webhook_deliveries_body_sha256_key" => ["body_sha256"]],
        fields: {
            organization_id: Option<OrganizationId>,
            channel: String,
            body_sha256: Vec<u8>,
            body_encrypted: Vec<u8>,
            body_bytes: i64,
            received_at: OffsetDateTime,
            processed_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// One grant or withdrawal of a consent (the trail LGPD asks for). Append-only: the current state
    /// is the latest row per user and kind.
    Consent in "consents" {
        id: ConsentId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            kind: ConsentKind,
            granted: bool,
            source: ConsentSource,
            /// The message that carried it (a WhatsApp keyword or answer).
            message_id: Option<MessageId>,
            recorded_at: OffsetDateTime,
            created_at: OffsetDateTime,
            /// The version of the consent text the patient answered (LGPD art. 8: what was agreed).
            terms_version: Option<String>,
            channel: Option<ConsentChannel>,
        }
    }
}
