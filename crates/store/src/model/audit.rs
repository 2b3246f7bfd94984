use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{AuditLogId, OrganizationId};
use time::OffsetDateTime;
use uuid::Uuid;

crate::entity! {
    /// Who did what to which record, when and from where. Ids only, never personal data.
    /// Append-only: both databases reject updates and deletes.
    AuditLog in "audit_logs" {
        id: AuditLogId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: ["audit_logs_chain_id_chain_seq_key" => ["chain_id", "chain_seq"]],
        fields: {
            /// Empty only for platform events that belong to no organization.
            organization_id: Option<OrganizationId>,
            actor_id: Option<Uuid>,
            actor_role: Option<Role>,
            action: AuditAction,
            entity_type: String,
            entity_id: Option<Uuid>,
            ip_address: Option<String>,
            user_agent: Option<String>,
            risk_level: RiskLevel,
            hipaa_relevant: bool,
            lgpd_relevant: bool,
            sensitive_data: bool,
            requires_review: bool,
            occurred_at: OffsetDateTime,
            related_ids: serde_json::Value,
            details: serde_json::Value,
            request_id: Option<String>,
            /// Which of the organization's chains holds this entry (`<organization>/<n>`).
            chain_id: Option<String>,
            /// Position in the chain, from 1, without gaps.
            chain_seq: Option<i64>,
            /// HMAC over the previous entry's MAC and this entry's canonical bytes.
            entry_mac: Option<Vec<u8>>,
        }
    }
}
