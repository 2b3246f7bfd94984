use austa_domain::enums::{
    AccessLevel, DataSource, DoseDelivery, DoseStatus, HealthDataType, SensitivityLevel,
};
use austa_domain::ids::{
    DocumentId, HealthDataId, MedicationDoseId, MedicationReminderId, MessageId, OrganizationId, ProviderId,
    UserId,
};
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

crate::entity! {
    /// A patient's opt-in to be reminded of one of their medications at chosen times of day, in
    /// their own time zone.
    MedicationReminder in "medication_reminders" {
        id: MedicationReminderId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            /// The medication record (type MEDICATION) reminded of.
            health_data_id: HealthDataId,
            /// Local times of day, `["08:00", "20:00"]`.
            times: serde_json::Value,
            is_active: bool,
            /// Who opted in: the patient, or staff on their behalf.
            created_by: Option<UserId>,
            /// Reminders are due from here on (nothing before the opt-in is sent).
            checked_until: OffsetDateTime,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// One reminded dose and what the patient answered ("tomei" / "esqueci"): the adherence record.
    MedicationDose in "medication_doses" {
        id: MedicationDoseId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["medication_doses_reminder_id_scheduled_at_key" => ["organization_id", "reminder_id", "scheduled_at"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            reminder_id: MedicationReminderId,
            scheduled_at: OffsetDateTime,
            status: DoseStatus,
            delivery: DoseDelivery,
            /// The reminder message sent.
            message_id: Option<MessageId>,
            responded_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
