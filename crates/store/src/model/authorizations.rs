use austa_domain::enums::{AuthorizationStatus, CareCharacter, Priority, Role, ServiceType, SyncStatus};
use austa_domain::ids::{AuthorizationId, AuthorizationTransitionId, OrganizationId, ProviderId, UserId};
use time::OffsetDateTime;

crate::entity! {
    /// A request to authorize procedures (TUSS codes) for a patient, answered under ANS deadlines.
    Authorization in "authorizations" {
        id: AuthorizationId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "authorizations_organization_id_protocol_number_key" => ["organization_id", "protocol_number"],
        ],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            requesting_provider_id: Option<ProviderId>,
            /// Issued at once (RN 623/2024).
            protocol_number: String,
            /// `[{"tussCode": "40304361", "quantity": 1}, …]`
            procedures: serde_json::Value,
            care_character: CareCharacter,
            priority: Priority,
            status: AuthorizationStatus,
            /// Clinical indication and CID-10, encrypted together.
            clinical_encrypted: Option<Vec<u8>>,
            due_at: Option<OffsetDateTime>,
            decided_at: Option<OffsetDateTime>,
            decided_by: Option<UserId>,
            /// The "senha" of an approval, and until when it is valid.
            authorization_password: Option<String>,
            password_valid_until: Option<OffsetDateTime>,
            denial_reason: Option<String>,
            denial_clause: Option<String>,
            tasy_external_id: Option<String>,
            tasy_sync_status: Option<SyncStatus>,
            insurance_claim_ref: Option<String>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
            /// What kind of service: it sets the ANS answer deadline.
            service_type: Option<ServiceType>,
        }
    }
}

crate::entity! {
    /// One move of an authorization's state: who, when and why (append-only).
    AuthorizationTransition in "authorization_transitions" {
        id: AuthorizationTransitionId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            authorization_id: AuthorizationId,
            from_status: AuthorizationStatus,
            to_status: AuthorizationStatus,
            actor_id: Option<UserId>,
            actor_role: Role,
            /// The reason given, sealed (it may be clinical).
            reason_encrypted: Option<Vec<u8>>,
            occurred_at: OffsetDateTime,
            created_at: OffsetDateTime,
        }
    }
}
