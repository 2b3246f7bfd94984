use austa_domain::enums::{AccessLevel, DataSource, HealthDataType, SensitivityLevel};
use austa_domain::ids::{DocumentId, HealthDataId, MessageId, OrganizationId, ProviderId, UserId};
use time::OffsetDateTime;

crate::entity! {
    /// One item of a patient's record: a condition, medication, allergy, symptom, vital sign or lab result.
    HealthData in "health_data" {
        id: HealthDataId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            data_type: HealthDataType,
            /// The record's value (JSON object), encrypted.
            data_encrypted: Vec<u8>,
            notes_encrypted: Option<Vec<u8>>,
            sensitivity_level: SensitivityLevel,
            access_level: AccessLevel,
            source: DataSource,
            /// 0 to 1.
            reliability_score: f64,
            recorded_at: OffsetDateTime,
            verified_by: Option<ProviderId>,
            verified_at: Option<OffsetDateTime>,
            expires_at: Option<OffsetDateTime>,
            is_active: bool,
            message_id: Option<MessageId>,
            document_id: Option<DocumentId>,
            created_by: Option<UserId>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
