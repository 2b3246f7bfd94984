use austa_domain::enums::{KeyState, Role};
use austa_domain::ids::*;
use time::OffsetDateTime;

crate::entity! {
    /// One version of an organization's data key, wrapped by the key-encryption key.
    EncryptionKey in "encryption_keys" {
        id: EncryptionKeyId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "encryption_keys_organization_id_version_key" => ["organization_id", "version"],
            "encryption_keys_one_primary_key" => ["organization_id", "state"],
        ],
        fields: {
            organization_id: OrganizationId,
            version: i64,
            state: KeyState,
            /// Empty once retired: the key material is destroyed.
            wrapped_key: Option<Vec<u8>>,
            /// Progress of the re-encryption job (JSON object).
            rotation_cursor: serde_json::Value,
            retired_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A login session; the bearer token itself is never stored, only its SHA-256.
    Session in "sessions" {
        id: SessionId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["sessions_token_hash_key" => ["token_hash"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            role: Role,
            token_hash: Vec<u8>,
            expires_at: OffsetDateTime,
            last_seen_at: OffsetDateTime,
            revoked_at: Option<OffsetDateTime>,
            ip_address: Option<String>,
            user_agent: Option<String>,
            /// The TOTP step an admin logged in with (a code is accepted once).
            totp_step: Option<i64>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A machine credential (role `system`), shown once and stored as its SHA-256.
    ApiKey in "api_keys" {
        id: ApiKeyId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["api_keys_key_hash_key" => ["key_hash"]],
        fields: {
            /// Empty: a platform key, valid for every organization.
            organization_id: Option<OrganizationId>,
            name: String,
            role: Role,
            key_hash: Vec<u8>,
            expires_at: Option<OffsetDateTime>,
            last_used_at: Option<OffsetDateTime>,
            revoked_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A one-time login code sent to a patient over WhatsApp (its HMAC only).
    OtpChallenge in "otp_challenges" {
        id: OtpChallengeId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            code_hash: Vec<u8>,
            attempts: i64,
            expires_at: OffsetDateTime,
            consumed_at: Option<OffsetDateTime>,
            whatsapp_message_id: Option<String>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A staff login attempt, counted for rate limits per account (an HMAC of the e-mail) and address.
    LoginAttempt in "login_attempts" {
        id: LoginAttemptId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: Option<OrganizationId>,
            account_hash: Vec<u8>,
            ip_address: Option<String>,
            succeeded: bool,
            occurred_at: OffsetDateTime,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A provider in a patient's care team: may read the patient's CONFIDENTIAL health data.
    CareAssignment in "care_assignments" {
        id: CareAssignmentId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "care_assignments_patient_id_provider_user_id_key" =>
                ["organization_id", "patient_id", "provider_user_id"],
        ],
        fields: {
            organization_id: OrganizationId,
            patient_id: UserId,
            provider_user_id: UserId,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// Time-limited emergency access of a provider to one patient's CONFIDENTIAL data.
    BreakGlassGrant in "break_glass_grants" {
        id: BreakGlassGrantId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            provider_user_id: UserId,
            patient_id: UserId,
            reason_encrypted: Vec<u8>,
            expires_at: OffsetDateTime,
            revoked_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// The last entry of one audit chain: the row an append locks and advances.
    AuditChainHead in "audit_chain_heads" {
        id: AuditChainHeadId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["audit_chain_heads_chain_id_key" => ["chain_id"]],
        fields: {
            organization_id: Option<OrganizationId>,
            chain_id: String,
            seq: i64,
            head_mac: Vec<u8>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A signed statement of a chain's length and head MAC. Append-only.
    AuditCheckpoint in "audit_checkpoints" {
        id: AuditCheckpointId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: ["audit_checkpoints_chain_id_seq_key" => ["chain_id", "seq"]],
        fields: {
            organization_id: Option<OrganizationId>,
            chain_id: String,
            seq: i64,
            head_mac: Vec<u8>,
            signature: Vec<u8>,
            signed_at: OffsetDateTime,
        }
    }
}

crate::entity! {
    /// The first response to a creating request with an `Idempotency-Key`, replayed for retries.
    IdempotencyKey in "idempotency_keys" {
        id: IdempotencyKeyId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["idempotency_keys_actor_key_idempotency_key_key" => ["actor_key", "idempotency_key"]],
        fields: {
            organization_id: Option<OrganizationId>,
            actor_key: String,
            idempotency_key: String,
            request_hash: Vec<u8>,
            /// Empty while the first request is still running.
            status_code: Option<i64>,
            response_encrypted: Option<Vec<u8>>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
