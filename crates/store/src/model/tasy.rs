use austa_domain::enums::{SyncDirection, SyncStatus, TasyProtocol};
use austa_domain::ids::{OrganizationId, TasyIntegrationId, TasySyncLogId};
use time::OffsetDateTime;
use uuid::Uuid;

crate::entity! {
    /// A connection to the organization's Philips Tasy ERP.
    TasyIntegration in "tasy_integrations" {
        id: TasyIntegrationId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["tasy_integrations_organization_id_name_key" => ["organization_id", "name"]],
        fields: {
            organization_id: OrganizationId,
            name: String,
            protocol: TasyProtocol,
            endpoint_url: String,
            credentials_encrypted: Option<Vec<u8>>,
            sync_direction: SyncDirection,
            sync_interval_seconds: i64,
            last_sync_at: Option<OffsetDateTime>,
            last_sync_status: Option<SyncStatus>,
            settings: serde_json::Value,
            is_active: bool,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// One synchronisation run or exchange with Tasy. Holds counts and codes, never patient data.
    TasySyncLog in "tasy_sync_logs" {
        id: TasySyncLogId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            integration_id: TasyIntegrationId,
            entity_type: String,
            entity_id: Option<Uuid>,
            direction: SyncDirection,
            status: SyncStatus,
            started_at: OffsetDateTime,
            finished_at: Option<OffsetDateTime>,
            records_processed: i64,
            records_failed: i64,
            error_code: Option<String>,
            error_message: Option<String>,
            payload_sha256: Option<String>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
