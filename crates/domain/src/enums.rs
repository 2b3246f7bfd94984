//! The closed vocabularies of the data model. Each enumeration is stored as text and checked by the
//! database (a `CHECK (col IN (...))` in both migration trees); `ALL` lists the values so tests can
//! prove the two agree.

use std::fmt;
use std::str::FromStr;

/// The text did not name a value of the enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{enumeration} must be one of: {allowed}")]
pub struct UnknownVariant {
    pub enumeration: &'static str,
    pub allowed: String,
}

/// One value of a closed vocabulary, with its stored spelling.
pub trait Vocabulary: Sized + Copy + 'static {
    /// The name used in error messages (`role`, `messageType`).
    const NAME: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The stored spellings of [`Vocabulary::ALL`], in the same order.
    const TEXTS: &'static [&'static str];
    fn as_str(self) -> &'static str;
    fn parse_str(text: &str) -> Result<Self, UnknownVariant> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| UnknownVariant {
                enumeration: Self::NAME,
                allowed: Self::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident as $label:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl Vocabulary for $name {
            const NAME: &'static str = $label;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const TEXTS: &'static [&'static str] = &[$($text),+];
            fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse_str(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse_str(&text).map_err(serde::de::Error::custom)
            }
        }

        /// In the OpenAPI document: a string with exactly these values.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::TEXTS.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

vocabulary! {
    /// Who a principal is. Lower case, as the CLI and the access matrix spell them.
    Role as "role" { Patient = "patient", Provider = "provider", Admin = "admin", System = "system" }
}

vocabulary! {
    MessageDirection as "direction" { Inbound = "INBOUND", Outbound = "OUTBOUND" }
}

vocabulary! {
    /// WhatsApp Cloud API message types (`voice` notes are `AUDIO` with a flag in the metadata).
    MessageType as "messageType" {
        Text = "TEXT", Image = "IMAGE", Document = "DOCUMENT", Audio = "AUDIO", Video = "VIDEO",
        Sticker = "STICKER", Location = "LOCATION", Contacts = "CONTACTS", Interactive = "INTERACTIVE",
        Button = "BUTTON", Reaction = "REACTION", Template = "TEMPLATE", Order = "ORDER",
        System = "SYSTEM", Unsupported = "UNSUPPORTED",
    }
}

vocabulary! {
    /// Delivery state; outbound statuses only ever move forwards (see the WhatsApp channel).
    MessageStatus as "messageStatus" {
        Received = "RECEIVED", Queued = "QUEUED", Sent = "SENT", Delivered = "DELIVERED",
        Read = "READ", Played = "PLAYED", Failed = "FAILED", Deleted = "DELETED",
    }
}

vocabulary! {
    /// The four urgencies of `nlp/TAXONOMY.md`.
    UrgencyLevel as "urgencyLevel" { Low = "LOW", Medium = "MEDIUM", High = "HIGH", Emergency = "EMERGENCY" }
}

vocabulary! {
    HealthDataType as "type" {
        Condition = "CONDITION", Medication = "MEDICATION", Allergy = "ALLERGY", Symptom = "SYMPTOM",
        VitalSign = "VITAL_SIGN", LabResult = "LAB_RESULT",
    }
}

vocabulary! {
    /// How harmful disclosure would be; `CONFIDENTIAL` needs the assigned provider or break-glass.
    SensitivityLevel as "sensitivityLevel" {
        Public = "PUBLIC", Internal = "INTERNAL", Sensitive = "SENSITIVE", Confidential = "CONFIDENTIAL",
    }
}

vocabulary! {
    /// Who inside the organization may see a record, before sensitivity is considered.
    AccessLevel as "accessLevel" {
        PatientOnly = "PATIENT_ONLY", CareTeam = "CARE_TEAM", Organization = "ORGANIZATION",
    }
}

vocabulary! {
    /// Where a piece of health data came from; drives its default reliability.
    DataSource as "source" {
        PatientReported = "PATIENT_REPORTED", Whatsapp = "WHATSAPP", Provider = "PROVIDER",
        Device = "DEVICE", Laboratory = "LABORATORY", Document = "DOCUMENT", Tasy = "TASY", Import = "IMPORT",
    }
}

vocabulary! {
    ConversationStatus as "status" {
        Active = "ACTIVE", WaitingHuman = "WAITING_HUMAN", Escalated = "ESCALATED",
        Resolved = "RESOLVED", Closed = "CLOSED",
    }
}

vocabulary! {
    /// Shared by conversations and authorizations.
    Priority as "priority" { Low = "LOW", Normal = "NORMAL", High = "HIGH", Urgent = "URGENT" }
}

vocabulary! {
    ProviderVerification as "verificationStatus" {
        Pending = "PENDING", Verified = "VERIFIED", Rejected = "REJECTED",
    }
}

vocabulary! {
    MissionCategory as "category" { Onboarding = "ONBOARDING", Engagement = "ENGAGEMENT", Health = "HEALTH" }
}

vocabulary! {
    Difficulty as "difficulty" { Easy = "EASY", Medium = "MEDIUM", Hard = "HARD", Expert = "EXPERT" }
}

vocabulary! {
    Repeatability as "repeatability" { Once = "ONCE", Daily = "DAILY", Weekly = "WEEKLY" }
}

vocabulary! {
    ProgressStatus as "status" {
        Locked = "LOCKED", Available = "AVAILABLE", InProgress = "IN_PROGRESS",
        Completed = "COMPLETED", Expired = "EXPIRED",
    }
}

vocabulary! {
    PointSource as "source" {
        Mission = "MISSION", Engagement = "ENGAGEMENT", Purchase = "PURCHASE",
        Penalty = "PENALTY", Adjustment = "ADJUSTMENT",
    }
}

vocabulary! {
    /// The states of a procedure authorization (TISS status table, RN 623/2024).
    AuthorizationStatus as "status" {
        Requested = "REQUESTED", UnderReview = "UNDER_REVIEW", PendingDocuments = "PENDING_DOCUMENTS",
        PendingJustification = "PENDING_JUSTIFICATION", Approved = "APPROVED",
        PartiallyApproved = "PARTIALLY_APPROVED", Denied = "DENIED", Cancelled = "CANCELLED",
        Expired = "EXPIRED",
    }
}

vocabulary! {
    /// What kind of service an authorization asks for: it sets the ANS deadlines.
    ServiceType as "serviceType" {
        BasicConsultation = "BASIC_CONSULTATION", SpecialistConsultation = "SPECIALIST_CONSULTATION",
        Therapy = "THERAPY", Dental = "DENTAL", LabTest = "LAB_TEST", Diagnostic = "DIAGNOSTIC",
        HighComplexity = "HIGH_COMPLEXITY", DayHospital = "DAY_HOSPITAL",
        ElectiveHospitalization = "ELECTIVE_HOSPITALIZATION", NonCare = "NON_CARE",
    }
}

vocabulary! {
    /// TISS "caráter do atendimento" (table 23).
    CareCharacter as "character" { Elective = "ELECTIVE", UrgencyEmergency = "URGENCY_EMERGENCY" }
}

vocabulary! {
    DocumentType as "documentType" {
        Prescription = "PRESCRIPTION", MedicalOrder = "MEDICAL_ORDER", LabReport = "LAB_REPORT",
        ImagingReport = "IMAGING_REPORT", HealthCard = "HEALTH_CARD", IdDocument = "ID_DOCUMENT",
        Other = "OTHER",
    }
}

vocabulary! {
    StorageProvider as "storageProvider" { Local = "LOCAL", S3 = "S3", Gcs = "GCS" }
}

vocabulary! {
    OcrStatus as "ocrStatus" {
        Pending = "PENDING", Processing = "PROCESSING", Completed = "COMPLETED",
        Failed = "FAILED", NotApplicable = "NOT_APPLICABLE",
    }
}

vocabulary! {
    TasyProtocol as "protocol" { Hl7v2 = "HL7V2", Rest = "REST", Soap = "SOAP", Mock = "MOCK" }
}

vocabulary! {
    SyncDirection as "direction" { Inbound = "INBOUND", Outbound = "OUTBOUND", Bidirectional = "BIDIRECTIONAL" }
}

vocabulary! {
    /// State of an exchange with the ERP, for sync logs and for records linked to Tasy.
    SyncStatus as "syncStatus" {
        Pending = "PENDING", InProgress = "IN_PROGRESS", Synced = "SYNCED", Partial = "PARTIAL",
        Failed = "FAILED",
    }
}

vocabulary! {
    AuditAction as "action" {
        Create = "CREATE", Read = "READ", Update = "UPDATE", Delete = "DELETE", Login = "LOGIN",
        LoginFailed = "LOGIN_FAILED", Logout = "LOGOUT", AccessDenied = "ACCESS_DENIED", Export = "EXPORT",
        BreakGlass = "BREAK_GLASS", RoleChange = "ROLE_CHANGE", KeyChange = "KEY_CHANGE",
        SettingsChange = "SETTINGS_CHANGE", ConsentChange = "CONSENT_CHANGE",
        EmergencyAlert = "EMERGENCY_ALERT",
    }
}

vocabulary! {
    /// What a consent is about: WhatsApp messages beyond the essential ones, or processing of data.
    ConsentKind as "kind" { WhatsappMessages = "WHATSAPP_MESSAGES", DataProcessing = "DATA_PROCESSING" }
}

vocabulary! {
    /// Where a consent was given or withdrawn.
    ConsentSource as "source" { WhatsappKeyword = "WHATSAPP_KEYWORD", Api = "API", Onboarding = "ONBOARDING" }
}

vocabulary! {
    /// Where a consent was given: the patient's channel.
    ConsentChannel as "channel" { Whatsapp = "WHATSAPP", Api = "API", App = "APP" }
}

vocabulary! {
    /// What an alert asks of the organization's staff: act on an emergency now, take over a
    /// conversation the patient wants a person for, or book what the patient asked for.
    AlertKind as "kind" {
        Emergency = "EMERGENCY", HumanHandoff = "HUMAN_HANDOFF", AppointmentRequest = "APPOINTMENT_REQUEST",
        AuthorizationDeadline = "AUTHORIZATION_DEADLINE",
    }
}

vocabulary! {
    AlertStatus as "status" { Open = "OPEN", Acknowledged = "ACKNOWLEDGED", Resolved = "RESOLVED" }
}

vocabulary! {
    /// A reminded dose: waiting for the patient's answer, taken, or missed ("esqueci", or no
    /// answer by the next dose).
    DoseStatus as "status" { Pending = "PENDING", Taken = "TAKEN", Missed = "MISSED" }
}

vocabulary! {
    /// How a reminder went out: free text inside the 24-hour window, an approved template outside
    /// it, or not at all (outside the window with no template configured, or the patient opted out).
    DoseDelivery as "delivery" { Text = "TEXT", Template = "TEMPLATE", NotSent = "NOT_SENT" }
}

vocabulary! {
    /// A background job's state: DEAD once its attempts are spent (kept for inspection).
    JobStatus as "status" { Pending = "PENDING", Running = "RUNNING", Done = "DONE", Dead = "DEAD" }
}

vocabulary! {
    /// A data key version's life: PRIMARY encrypts, ACTIVE only decrypts (rows not yet re-encrypted),
    /// RETIRED is destroyed once no row uses it.
    KeyState as "state" { Primary = "PRIMARY", Active = "ACTIVE", Retired = "RETIRED" }
}

vocabulary! {
    RiskLevel as "riskLevel" { Low = "LOW", Medium = "MEDIUM", High = "HIGH", Critical = "CRITICAL" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<V: Vocabulary + PartialEq + fmt::Debug>() {
        assert_eq!(V::ALL.len(), V::TEXTS.len());
        for (v, text) in V::ALL.iter().zip(V::TEXTS) {
            assert_eq!(v.as_str(), *text);
            assert_eq!(V::parse_str(v.as_str()), Ok(*v));
        }
        let err = V::parse_str("not-a-value").unwrap_err();
        assert_eq!(err.enumeration, V::NAME);
        assert!(err.allowed.contains(V::ALL[0].as_str()));
    }

    #[test]
    fn every_vocabulary_round_trips_and_rejects_unknown_text() {
        round_trips::<Role>();
        round_trips::<MessageDirection>();
        round_trips::<MessageType>();
        round_trips::<MessageStatus>();
        round_trips::<UrgencyLevel>();
        round_trips::<ConsentChannel>();
        round_trips::<AlertKind>();
        round_trips::<AlertStatus>();
        round_trips::<DoseStatus>();
        round_trips::<ServiceType>();
        round_trips::<DoseDelivery>();
        round_trips::<HealthDataType>();
        round_trips::<SensitivityLevel>();
        round_trips::<AccessLevel>();
        round_trips::<DataSource>();
        round_trips::<ConversationStatus>();
        round_trips::<Priority>();
        round_trips::<ProviderVerification>();
        round_trips::<MissionCategory>();
        round_trips::<Difficulty>();
        round_trips::<Repeatability>();
        round_trips::<ProgressStatus>();
        round_trips::<PointSource>();
        round_trips::<AuthorizationStatus>();
        round_trips::<CareCharacter>();
        round_trips::<DocumentType>();
        round_trips::<StorageProvider>();
        round_trips::<OcrStatus>();
        round_trips::<TasyProtocol>();
        round_trips::<SyncDirection>();
        round_trips::<SyncStatus>();
        round_trips::<AuditAction>();
        round_trips::<RiskLevel>();
    }

    #[test]
    fn serde_uses_the_stored_spelling() {
        assert_eq!(
            serde_json::to_string(&HealthDataType::VitalSign).unwrap(),
            "\"VITAL_SIGN\""
        );
        assert_eq!(serde_json::from_str::<Role>("\"admin\"").unwrap(), Role::Admin);
        assert!(serde_json::from_str::<Role>("\"ADMIN\"").is_err());
    }
}
