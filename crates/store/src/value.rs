//! The values that cross the store boundary, independent of the SQL dialect.
//!
//! Each backend binds a [`Value`] to its own column type (PostgreSQL: `uuid`, `timestamptz`, `jsonb`…;
//! SQLite: text, integers and blobs) and decodes a column back by its declared [`Kind`].

use austa_domain::Vocabulary;
use austa_domain::ids::*;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::StoreError;

/// The storage kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Float,
    Text,
    Uuid,
    /// An instant, microsecond precision, UTC.
    Time,
    Date,
    Json,
    Bytes,
}

/// One column's value.
#[derive(Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Uuid(Uuid),
    Time(OffsetDateTime),
    Date(Date),
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// Values can hold personal data, so `Debug` shows only their shape.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shape = match self {
            Value::Null => "Null",
            Value::Bool(_) => "Bool(..)",
            Value::Int(_) => "Int(..)",
            Value::Float(_) => "Float(..)",
            Value::Text(_) => "Text(..)",
            Value::Uuid(_) => "Uuid(..)",
            Value::Time(_) => "Time(..)",
            Value::Date(_) => "Date(..)",
            Value::Json(_) => "Json(..)",
            Value::Bytes(_) => "Bytes(..)",
        };
        f.write_str(shape)
    }
}

/// Truncates an instant to the microsecond, the precision both databases keep, so that what is
/// read back equals what was written.
pub fn to_stored_precision(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    t.replace_microsecond(micros).unwrap_or(t)
}

/// A Rust type that maps to one column.
pub trait Column: Sized {
    const KIND: Kind;
    const NULLABLE: bool = false;
    /// For enumerations: every text the column accepts (the database checks the same list).
    const VOCABULARY: Option<&'static [&'static str]> = None;
    fn to_value(&self) -> Value;
    fn from_value(value: Value) -> Result<Self, StoreError>;
}

fn mismatch(expected: Kind) -> StoreError {
    StoreError::Decode(format!("column value is not of kind {expected:?}"))
}

macro_rules! column_impl {
    ($ty:ty, $kind:ident, |$v:ident| $to:expr, $variant:ident($x:ident) => $from:expr) => {
        impl Column for $ty {
            const KIND: Kind = Kind::$kind;
            fn to_value(&self) -> Value {
                let $v = self;
                $to
            }
            fn from_value(value: Value) -> Result<Self, StoreError> {
                match value {
                    Value::$variant($x) => $from,
                    _ => Err(mismatch(Kind::$kind)),
                }
            }
        }
    };
}

column_impl!(bool, Bool, |v| Value::Bool(*v), Bool(x) => Ok(x));
column_impl!(i64, Int, |v| Value::Int(*v), Int(x) => Ok(x));
column_impl!(i32, Int, |v| Value::Int(i64::from(*v)), Int(x) => i32::try_from(x).map_err(|_| mismatch(Kind::Int)));
column_impl!(f64, Float, |v| Value::Float(*v), Float(x) => Ok(x));
column_impl!(String, Text, |v| Value::Text(v.clone()), Text(x) => Ok(x));
column_impl!(Uuid, Uuid, |v| Value::Uuid(*v), Uuid(x) => Ok(x));
column_impl!(OffsetDateTime, Time, |v| Value::Time(to_stored_precision(*v)), Time(x) => Ok(x));
column_impl!(Date, Date, |v| Value::Date(*v), Date(x) => Ok(x));
column_impl!(serde_json::Value, Json, |v| Value::Json(v.clone()), Json(x) => Ok(x));
column_impl!(Vec<u8>, Bytes, |v| Value::Bytes(v.clone()), Bytes(x) => Ok(x));

impl<T: Column> Column for Option<T> {
    const KIND: Kind = T::KIND;
    const NULLABLE: bool = true;
    const VOCABULARY: Option<&'static [&'static str]> = T::VOCABULARY;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

macro_rules! id_columns {
    ($($id:ty),+ $(,)?) => {$(
        impl Column for $id {
            const KIND: Kind = Kind::Uuid;
            fn to_value(&self) -> Value { Value::Uuid(self.as_uuid()) }
            fn from_value(value: Value) -> Result<Self, StoreError> {
                Uuid::from_value(value).map(<$id>::from_uuid)
            }
        }
    )+};
}

id_columns!(
    OrganizationId,
    UserId,
    ProviderId,
    ConversationId,
    MessageId,
    HealthDataId,
    MissionId,
    HealthPointsId,
    OnboardingProgressId,
    PointTransactionId,
    AuthorizationId,
    DocumentId,
    TasyIntegrationId,
    TasySyncLogId,
    AuditLogId,
    EncryptionKeyId,
    SessionId,
    ApiKeyId,
    OtpChallengeId,
    LoginAttemptId,
    CareAssignmentId,
    BreakGlassGrantId,
    IdempotencyKeyId,
    JobId,
    ConsentId,
    AlertId,
    MedicationReminderId,
    MedicationDoseId,
    GamificationEventId,
    BadgeId,
    AuthorizationTransitionId,
    WebhookDeliveryId,
    AuditChainHeadId,
    AuditCheckpointId,
);

macro_rules! vocabulary_columns {
    ($($ty:ty),+ $(,)?) => {$(
        impl Column for $ty {
            const KIND: Kind = Kind::Text;
            const VOCABULARY: Option<&'static [&'static str]> = Some(<$ty as Vocabulary>::TEXTS);
            fn to_value(&self) -> Value { Value::Text(self.as_str().to_owned()) }
            fn from_value(value: Value) -> Result<Self, StoreError> {
                let text = String::from_value(value)?;
                <$ty as Vocabulary>::parse_str(&text).map_err(|e| StoreError::Decode(e.to_string()))
            }
        }
    )+};
}

use austa_domain::enums::*;
vocabulary_columns!(
    Role,
    MessageDirection,
    MessageType,
    MessageStatus,
    UrgencyLevel,
    HealthDataType,
    SensitivityLevel,
    AccessLevel,
    DataSource,
    ConversationStatus,
    Priority,
    ProviderVerification,
    MissionCategory,
    Difficulty,
    Repeatability,
    ProgressStatus,
    PointSource,
    AuthorizationStatus,
    CareCharacter,
    DocumentType,
    StorageProvider,
    OcrStatus,
    TasyProtocol,
    SyncDirection,
    SyncStatus,
    AuditAction,
    RiskLevel,
    KeyState,
    JobStatus,
    ConsentKind,
    ConsentChannel,
    AlertKind,
    AlertStatus,
    DoseStatus,
    ServiceType,
    DoseDelivery,
    ConsentSource,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_kept_to_the_microsecond() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let stored = to_stored_precision(t);
        assert_eq!(stored.nanosecond(), 123_456_000);
        assert_eq!(OffsetDateTime::from_value(t.to_value()).unwrap(), stored);
    }

    #[test]
    fn options_map_none_to_null_and_back() {
        assert_eq!(Option::<i64>::None.to_value(), Value::Null);
        assert_eq!(Option::<i64>::from_value(Value::Null).unwrap(), None);
        assert_eq!(Option::<i64>::from_value(Value::Int(3)).unwrap(), Some(3));
        const { assert!(<Option<i64> as Column>::NULLABLE) };
        const { assert!(!<i64 as Column>::NULLABLE) };
    }

    #[test]
    fn wrong_kinds_and_unknown_enum_text_are_decode_errors() {
        assert!(matches!(
            i64::from_value(Value::Text("x".into())),
            Err(StoreError::Decode(_))
        ));
        assert!(matches!(
            Role::from_value(Value::Text("root".into())),
            Err(StoreError::Decode(_))
        ));
        assert!(i32::from_value(Value::Int(i64::MAX)).is_err());
    }

    #[test]
    fn debug_never_shows_the_content() {
        let v = Value::Text("529.982.247-25".into());
        assert_eq!(format!("{v:?}"), "Text(..)");
    }
}
