//! Health records of a patient: conditions, medications, allergies, symptoms, vital signs, lab
//! results. The `data` object and the notes are encrypted; type, sensitivity, access level, source and
//! dates stay in clear so the policy and the lists can work without decrypting.

use austa_crypto::envelope::Field;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{
    AccessLevel, AuditAction, DataSource, HealthDataType, RiskLevel, Role, SensitivityLevel,
};
use austa_domain::health_record;
use austa_domain::ids::{HealthDataId, OrganizationId, ProviderId, UserId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::{HealthData, Provider, User};
use austa_store::{ListQuery, Page, Value};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const DATA_FIELD: Field = Field::new("health_data", "data_encrypted");
pub const NOTES_FIELD: Field = Field::new("health_data", "notes_encrypted");

#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthRecord {
    pub id: HealthDataId,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub data_type: HealthDataType,
    pub data: serde_json::Value,
    pub notes: Option<String>,
    pub sensitivity_level: SensitivityLevel,
    pub access_level: AccessLevel,
    pub source: DataSource,
    pub reliability_score: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub verified_by: Option<ProviderId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub is_active: bool,
    /// The document it was read from, when it came from one.
    pub document_id: Option<austa_domain::ids::DocumentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for HealthRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthRecord")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewHealthData {
    #[serde(rename = "type")]
    pub data_type: HealthDataType,
    pub data: serde_json::Value,
    pub notes: Option<String>,
    pub sensitivity_level: Option<SensitivityLevel>,
    pub access_level: Option<AccessLevel>,
    pub source: Option<DataSource>,
    pub reliability_score: Option<f64>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub recorded_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for NewHealthData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewHealthData")
            .field("type", &self.data_type)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthDataChanges {
    pub data: Option<serde_json::Value>,
    pub notes: Option<String>,
    pub sensitivity_level: Option<SensitivityLevel>,
    pub access_level: Option<AccessLevel>,
    pub is_active: Option<bool>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// `true`: the calling provider verifies the record.
    pub verify: Option<bool>,
}

/// What a record's type is by default: mental-health and similar are set CONFIDENTIAL by staff.
fn default_sensitivity(data_type: HealthDataType) -> SensitivityLevel {
    match data_type {
        HealthDataType::Condition | HealthDataType::LabResult | HealthDataType::Medication => {
            SensitivityLevel::Sensitive
        }
        _ => SensitivityLevel::Internal,
    }
}

async fn patient(work: &mut Work<'_>, id: UserId) -> Result<User> {
    match work.tx().find::<User>(id).await? {
        Some(user) if user.role == Role::Patient => Ok(user),
        _ => Err(Error::NotFound),
    }
}

fn target(org: OrganizationId, patient: UserId, record: Option<&HealthData>) -> Target {
    let t = Target::in_organization(org).about_patient(patient);
    match record {
        Some(r) => t.classified(r.sensitivity_level, r.access_level),
        None => t,
    }
}

fn event(action: AuditAction, record: &HealthData) -> AuditEvent {
    let mut e = AuditEvent::health(action, "health_data", Some(record.id.as_uuid()))
        .related("patientId", record.user_id.as_uuid())
        .detail("type", record.data_type.as_str())
        .detail("sensitivity", record.sensitivity_level.as_str());
    if record.sensitivity_level == SensitivityLevel::Confidential {
        e = e.risk(RiskLevel::High);
    }
    e
}

/// Marks accesses obtained only through break-glass for review.
fn flag(mut e: AuditEvent, relations: austa_domain::access::Relations) -> AuditEvent {
    if relations.break_glass && !relations.in_care_team {
        e = e
            .needs_review()
            .risk(RiskLevel::Critical)
            .detail("access", "break_glass");
    }
    e
}

pub async fn create(work: &mut Work<'_>, patient_id: UserId, input: NewHealthData) -> Result<HealthRecord> {
    let patient = patient(work, patient_id).await?;
    let org = patient.organization_id;
    let sensitivity = input
        .sensitivity_level
        .unwrap_or_else(|| default_sensitivity(input.data_type));
    let access = input.access_level.unwrap_or(AccessLevel::Organization);
    authorize(
        work,
        Action::Create,
        Resource::HealthData,
        target(org, patient_id, None).classified(sensitivity, access),
        None,
    )
    .await?;
    let data = health_record::validate(input.data_type, &input.data)
        .map_err(|e| Error::invalid(e.field, e.code, e.message))?;
    let reliability = input
        .reliability_score
        .unwrap_or(if work.actor.role() == Role::Patient {
            0.5
        } else {
            0.9
        });
    if !(0.0..=1.0).contains(&reliability) {
        return Err(Error::invalid(
            "reliabilityScore",
            "out_of_range",
            "must be between 0 and 1",
        ));
    }
    let notes = input
        .notes
        .as_deref()
        .map(|n| super::required_text("notes", n, 4000))
        .transpose()?;
    let now = work.services.clock.now();
    // Patients report; they cannot claim a record came from a lab or a doctor.
    let source = match work.actor.role() {
        Role::Patient => DataSource::PatientReported,
        _ => input.source.unwrap_or(DataSource::Provider),
    };
    let recorded_at = input
        .recorded_at
        .map(austa_store::value::to_stored_precision)
        .unwrap_or(now);
    if recorded_at > now + time::Duration::minutes(5) {
        return Err(Error::invalid(
            "recordedAt",
            "in_future",
            "must not be in the future",
        ));
    }
    let id = HealthDataId::generate();
    let ring = work.services.keys.get(work.tx(), org).await?;
    let record = HealthData {
        id,
        organization_id: org,
        user_id: patient_id,
        data_type: input.data_type,
        data_encrypted: ring.encrypt(DATA_FIELD, id.as_uuid(), data.to_string().as_bytes())?,
        notes_encrypted: notes
            .as_deref()
            .map(|n| ring.encrypt(NOTES_FIELD, id.as_uuid(), n.as_bytes()))
            .transpose()?,
        sensitivity_level: sensitivity,
        access_level: access,
        source,
        reliability_score: reliability,
        recorded_at,
        verified_by: None,
        verified_at: None,
        expires_at: input.expires_at.map(austa_store::value::to_stored_precision),
        is_active: true,
        message_id: None,
        document_id: None,
        created_by: match work.actor.principal.subject() {
            austa_domain::Subject::User(u) => Some(u),
            _ => None,
        },
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&record).await?;
    work.record(event(AuditAction::Create, &created));
    // What the patient reports themself counts for gamification (staff entries do not).
    if work.actor.role() == Role::Patient {
        use super::gamification::{Event, kinds, record};
        let kind = match created.data_type {
            HealthDataType::VitalSign => Some(kinds::VITAL_SIGN_RECORDED),
            HealthDataType::Symptom => Some(kinds::SYMPTOM_REPORTED),
            _ => None,
        };
        if let Some(kind) = kind {
            let detail =
                serde_json::json!({"kind": data.get("kind").cloned().unwrap_or(serde_json::Value::Null)});
            record(
                work,
                &patient,
                Event {
                    kind,
                    key: format!("health_data:{id}"),
                    at: now,
                    detail,
                },
            )
            .await?;
        }
    }
    Ok(view(created, data, notes))
}

pub async fn get(work: &mut Work<'_>, patient_id: UserId, id: HealthDataId) -> Result<HealthRecord> {
    let record = match work.tx().find::<HealthData>(id).await? {
        Some(r) if r.user_id == patient_id => r,
        _ => return Err(Error::NotFound),
    };
    let relations = authorize(
        work,
        Action::Read,
        Resource::HealthData,
        target(record.organization_id, patient_id, Some(&record)),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(flag(event(AuditAction::Read, &record), relations));
    decrypt(work, record).await
}

pub struct HealthDataFilter {
    pub data_type: Option<HealthDataType>,
    pub active: Option<bool>,
}

/// The patient's records the caller may read; restricted ones the caller may not read are left out
/// (and their omission is not an error: the list shows what this caller is allowed to see).
pub async fn list(
    work: &mut Work<'_>,
    patient_id: UserId,
    filter: HealthDataFilter,
    query: ListQuery,
) -> Result<Page<HealthRecord>> {
    let patient = patient(work, patient_id).await?;
    authorize(
        work,
        Action::Read,
        Resource::HealthData,
        target(patient.organization_id, patient_id, None),
        None,
    )
    .await?;
    let mut query = query.filter("user_id", Value::Uuid(patient_id.as_uuid()));
    if let Some(t) = filter.data_type {
        query = query.filter("data_type", Value::Text(t.as_str().into()));
    }
    if let Some(active) = filter.active {
        query = query.filter("is_active", Value::Bool(active));
    }
    let page = work.tx().list::<HealthData>(&query).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for record in page.items {
        let t = target(record.organization_id, patient_id, Some(&record));
        let decision = austa_domain::access::decide(
            &work.actor.principal,
            Action::Read,
            Resource::HealthData,
            &t,
            Default::default(),
        );
        let relations = if decision.is_allowed() {
            Default::default()
        } else {
            match authorize(
                work,
                Action::Read,
                Resource::HealthData,
                t,
                Some(record.id.as_uuid()),
            )
            .await
            {
                Ok(relations) => relations,
                Err(Error::Denied { .. }) => continue,
                Err(other) => return Err(other),
            }
        };
        work.record(flag(event(AuditAction::Read, &record), relations).detail("via", "list"));
        items.push(decrypt(work, record).await?);
    }
    Ok(Page {
        items,
        next: page.next,
    })
}

pub async fn update(
    work: &mut Work<'_>,
    patient_id: UserId,
    id: HealthDataId,
    changes: HealthDataChanges,
) -> Result<HealthRecord> {
    let mut record = match work.tx().find::<HealthData>(id).await? {
        Some(r) if r.user_id == patient_id => r,
        _ => return Err(Error::NotFound),
    };
    let relations = authorize(
        work,
        Action::Update,
        Resource::HealthData,
        target(record.organization_id, patient_id, Some(&record)),
        Some(id.as_uuid()),
    )
    .await?;
    let org = record.organization_id;
    let now = work.services.clock.now();
    let mut fields = Vec::new();
    if let Some(data) = &changes.data {
        let data = health_record::validate(record.data_type, data)
            .map_err(|e| Error::invalid(e.field, e.code, e.message))?;
        record.data_encrypted = work
            .services
            .keys
            .encrypt(
                work.tx(),
                org,
                DATA_FIELD,
                id.as_uuid(),
                data.to_string().as_bytes(),
            )
            .await?;
        // A changed value is no longer what the verifier saw.
        record.verified_by = None;
        record.verified_at = None;
        fields.push("data");
    }
    if let Some(notes) = &changes.notes {
        let notes = super::required_text("notes", notes, 4000)?;
        record.notes_encrypted = Some(
            work.services
                .keys
                .encrypt(work.tx(), org, NOTES_FIELD, id.as_uuid(), notes.as_bytes())
                .await?,
        );
        fields.push("notes");
    }
    if let Some(level) = changes.sensitivity_level {
        record.sensitivity_level = level;
        fields.push("sensitivityLevel");
    }
    if let Some(level) = changes.access_level {
        record.access_level = level;
        fields.push("accessLevel");
    }
    if let Some(active) = changes.is_active {
        record.is_active = active;
        fields.push("isActive");
    }
    if let Some(expires) = changes.expires_at {
        record.expires_at = Some(austa_store::value::to_stored_precision(expires));
        fields.push("expiresAt");
    }
    if changes.verify == Some(true) {
        let austa_domain::Subject::User(me) = work.actor.principal.subject() else {
            return Err(Error::invalid(
                "verify",
                "not_a_provider",
                "only a registered provider verifies records",
            ));
        };
        let registration = work
            .tx()
            .list::<Provider>(&ListQuery::first(1).filter("user_id", Value::Uuid(me.as_uuid())))
            .await?
            .items
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::invalid(
                    "verify",
                    "not_a_provider",
                    "only a registered provider verifies records",
                )
            })?;
        record.verified_by = Some(registration.id);
        record.verified_at = Some(now);
        fields.push("verifiedBy");
    }
    record.updated_at = now;
    let updated = work.tx().update(&record).await?;
    work.record(flag(event(AuditAction::Update, &updated), relations).detail("fields", fields));
    decrypt(work, updated).await
}

pub async fn delete(work: &mut Work<'_>, patient_id: UserId, id: HealthDataId) -> Result<()> {
    let record = match work.tx().find::<HealthData>(id).await? {
        Some(r) if r.user_id == patient_id => r,
        _ => return Err(Error::NotFound),
    };
    authorize(
        work,
        Action::Delete,
        Resource::HealthData,
        target(record.organization_id, patient_id, Some(&record)),
        Some(id.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    work.tx().soft_delete::<HealthData>(id, now).await?;
    work.record(event(AuditAction::Delete, &record));
    Ok(())
}

async fn decrypt(work: &mut Work<'_>, record: HealthData) -> Result<HealthRecord> {
    let org = record.organization_id;
    let data = work
        .services
        .keys
        .decrypt(
            work.tx(),
            org,
            DATA_FIELD,
            record.id.as_uuid(),
            &record.data_encrypted,
        )
        .await?;
    let data: serde_json::Value = serde_json::from_slice(&data).map_err(Error::internal)?;
    let notes = match &record.notes_encrypted {
        Some(sealed) => {
            let plain = work
                .services
                .keys
                .decrypt(work.tx(), org, NOTES_FIELD, record.id.as_uuid(), sealed)
                .await?;
            Some(String::from_utf8(plain.to_vec()).map_err(Error::internal)?)
        }
        None => None,
    };
    Ok(view(record, data, notes))
}

fn view(record: HealthData, data: serde_json::Value, notes: Option<String>) -> HealthRecord {
    HealthRecord {
        id: record.id,
        user_id: record.user_id,
        data_type: record.data_type,
        data,
        notes,
        sensitivity_level: record.sensitivity_level,
        access_level: record.access_level,
        source: record.source,
        reliability_score: record.reliability_score,
        recorded_at: record.recorded_at,
        verified_by: record.verified_by,
        verified_at: record.verified_at,
        expires_at: record.expires_at,
        is_active: record.is_active,
        document_id: record.document_id,
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

crate::redacted_debug!(HealthDataChanges);

/// A record read from a document and verified by a provider (source DOCUMENT). The values are
/// checked like any other; one that is not plausible is skipped, not stored.
pub async fn create_verified(
    work: &mut Work<'_>,
    document: &austa_store::model::Document,
    data_type: HealthDataType,
    data: serde_json::Value,
    provider: ProviderId,
) -> Result<bool> {
    let Ok(data) = health_record::validate(data_type, &data) else {
        return Ok(false);
    };
    let now = work.services.clock.now();
    let id = HealthDataId::generate();
    let org = document.organization_id;
    let ring = work.services.keys.get(work.tx(), org).await?;
    let record = HealthData {
        id,
        organization_id: org,
        user_id: document.user_id,
        data_type,
        data_encrypted: ring.encrypt(DATA_FIELD, id.as_uuid(), data.to_string().as_bytes())?,
        notes_encrypted: None,
        sensitivity_level: default_sensitivity(data_type),
        access_level: AccessLevel::Organization,
        source: DataSource::Document,
        reliability_score: 0.9,
        recorded_at: document.created_at,
        verified_by: Some(provider),
        verified_at: Some(now),
        expires_at: None,
        is_active: true,
        message_id: document.message_id,
        document_id: Some(document.id),
        created_by: match work.actor.principal.subject() {
            austa_domain::Subject::User(u) => Some(u),
            _ => None,
        },
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&record).await?;
    work.record(event(AuditAction::Create, &created));
    Ok(true)
}
