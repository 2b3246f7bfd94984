use austa_domain::enums::{AuthorizationStatus, CareCharacter, Priority, SyncStatus};
use austa_domain::ids::{AuthorizationId, OrganizationId, ProviderId, UserId};
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
        }
    }
}
