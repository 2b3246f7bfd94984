//! Patients (beneficiaries): CPF encrypted with a blind index for lookups and uniqueness, phone in
//! E.164, the emergency contact encrypted as one JSON value.

use austa_crypto::envelope::Field;
use austa_domain::EntityId;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, Role};
use austa_domain::ids::{OrganizationId, UserId};
use austa_domain::validation::{Cpf, PhoneNumber};
use austa_store::model::User;
use austa_store::{ListQuery, Page, StoreError, Value};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{invalid, required_text};
use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const CPF_FIELD: Field = Field::new("users", "cpf_encrypted");
pub const CONTACT_FIELD: Field = Field::new("users", "emergency_contact_encrypted");
/// The blind-index purpose of CPFs (the column `cpf_bidx` of `cpf_encrypted`).
pub const CPF_INDEX: &str = "cpf";

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmergencyContact {
    pub name: String,
    pub phone: String,
    pub relationship: Option<String>,
}

/// A patient as the API shows it: decrypted, CPF masked (minimum necessary).
#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientRecord {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// `***.***.*89-09`: enough to confirm identity on the phone, useless to anyone else.
    pub cpf_masked: Option<String>,
    pub phone: Option<String>,
    pub whatsapp_id: Option<String>,
    pub email: Option<String>,
    pub birth_date: Option<Date>,
    pub language: String,
    pub timezone: String,
    pub emergency_contact: Option<EmergencyContact>,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for PatientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientRecord")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPatient {
    pub name: String,
    pub cpf: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub birth_date: Option<Date>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub emergency_contact: Option<EmergencyContact>,
}

/// A partial update: absent fields stay as they are.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatientChanges {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birth_date: Option<Date>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub emergency_contact: Option<EmergencyContact>,
    pub is_active: Option<bool>,
}

pub fn validate_language(value: &str) -> Result<String> {
    let ok = match value.split_once('-') {
        None => (2..=3).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_lowercase()),
        Some((lang, region)) => {
            (2..=3).contains(&lang.len())
                && lang.bytes().all(|b| b.is_ascii_lowercase())
                && region.len() == 2
                && region.bytes().all(|b| b.is_ascii_uppercase())
        }
    };
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            "language",
            "invalid_language",
            "must be a language tag such as pt-BR",
        ))
    }
}

/// An IANA zone name such as `America/Sao_Paulo` (shape only: the zone database is not consulted).
pub fn validate_timezone(value: &str) -> Result<String> {
    // A zone the IANA database knows: reminders and streaks are computed in it.
    let ok = value.len() <= 64 && austa_domain::reminders::zone(value).is_some();
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            "timezone",
            "invalid_timezone",
            "must be an IANA zone such as America/Sao_Paulo",
        ))
    }
}

fn validate_contact(contact: &EmergencyContact) -> Result<EmergencyContact> {
    let phone = PhoneNumber::parse(&contact.phone).map_err(|e| invalid("emergencyContact.phone", e))?;
    Ok(EmergencyContact {
        name: required_text("emergencyContact.name", &contact.name, 200)?,
        phone: phone.e164().to_owned(),
        relationship: match &contact.relationship {
            Some(r) => Some(required_text("emergencyContact.relationship", r, 100)?),
            None => None,
        },
    })
}

fn validate_birth_date(date: Date, today: Date) -> Result<Date> {
    if date > today || date.year() < 1900 {
        return Err(Error::invalid(
            "birthDate",
            "implausible",
            "must be between 1900 and today",
        ));
    }
    Ok(date)
}

fn email(value: &str) -> Result<String> {
    super::staff::normalize_email(value)
}

/// Every stored index a CPF may have (all live key versions), for lookups and the uniqueness check.
pub async fn cpf_indexes(work: &mut Work<'_>, org: OrganizationId, cpf: &Cpf) -> Result<Vec<Vec<u8>>> {
    let ring = work.services.keys.get(work.tx(), org).await?;
    Ok(ring.blind_index_candidates(CPF_INDEX, cpf.as_digits().as_bytes()))
}

async fn find_by_cpf_indexes(work: &mut Work<'_>, indexes: Vec<Vec<u8>>) -> Result<Option<User>> {
    let query = ListQuery::first(1).any_of("cpf_bidx", indexes.into_iter().map(Value::Bytes).collect());
    Ok(work.tx().list::<User>(&query).await?.items.into_iter().next())
}

pub async fn create(work: &mut Work<'_>, org: OrganizationId, input: NewPatient) -> Result<PatientRecord> {
    let id = UserId::generate();
    authorize(
        work,
        Action::Create,
        Resource::Patient,
        Target::in_organization(org).about_patient(id),
        None,
    )
    .await?;
    let now = work.services.clock.now();
    let name = required_text("name", &input.name, 200)?;
    let phone = PhoneNumber::parse(&input.phone).map_err(|e| invalid("phone", e))?;
    let cpf = input
        .cpf
        .as_deref()
        .map(Cpf::parse)
        .transpose()
        .map_err(|e| invalid("cpf", e))?;
    let contact = input
        .emergency_contact
        .as_ref()
        .map(validate_contact)
        .transpose()?;
    let birth_date = input
        .birth_date
        .map(|d| validate_birth_date(d, now.date()))
        .transpose()?;
    let language = input
        .language
        .as_deref()
        .map(validate_language)
        .transpose()?
        .unwrap_or_else(|| "pt-BR".into());
    let timezone = input
        .timezone
        .as_deref()
        .map(validate_timezone)
        .transpose()?
        .unwrap_or_else(|| "America/Sao_Paulo".into());
    let email = input.email.as_deref().map(email).transpose()?;

    let ring = work.services.keys.get(work.tx(), org).await?;
    let (cpf_encrypted, cpf_bidx) = match &cpf {
        Some(cpf) => {
            if find_by_cpf_indexes(
                work,
                ring.blind_index_candidates(CPF_INDEX, cpf.as_digits().as_bytes()),
            )
            .await?
            .is_some()
            {
                return Err(Error::conflict(
                    "cpf_taken",
                    "a patient with this CPF already exists in the organization",
                ));
            }
            (
                Some(ring.encrypt(CPF_FIELD, id.as_uuid(), cpf.as_digits().as_bytes())?),
                Some(ring.blind_index(CPF_INDEX, cpf.as_digits().as_bytes())?),
            )
        }
        None => (None, None),
    };
    let emergency_contact_encrypted = match &contact {
        Some(c) => Some(ring.encrypt(
            CONTACT_FIELD,
            id.as_uuid(),
            &serde_json::to_vec(c).map_err(Error::internal)?,
        )?),
        None => None,
    };
    let user = User {
        id,
        organization_id: org,
        role: Role::Patient,
        name,
        cpf_encrypted,
        cpf_bidx,
        phone: Some(phone.e164().to_owned()),
        whatsapp_id: Some(phone.whatsapp_id().to_owned()),
        email,
        password_hash: None,
        totp_secret_encrypted: None,
        birth_date,
        language,
        timezone,
        emergency_contact_encrypted,
        is_active: true,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&user).await.map_err(unique_conflict)?;
    work.tx()
        .create(&super::points::new_account(
            created.organization_id,
            created.id,
            now,
        ))
        .await?;
    work.record(
        AuditEvent::personal(AuditAction::Create, "users", Some(id.as_uuid()))
            .related("patientId", id.as_uuid()),
    );
    record(work, created, cpf.as_ref()).await
}

fn unique_conflict(e: StoreError) -> Error {
    match e {
        StoreError::UniqueViolation { constraint } if constraint.contains("phone") => Error::conflict(
            "phone_taken",
            "a person with this phone number already exists in the organization",
        ),
        StoreError::UniqueViolation { constraint } if constraint.contains("cpf") => Error::conflict(
            "cpf_taken",
            "a patient with this CPF already exists in the organization",
        ),
        StoreError::UniqueViolation { constraint } if constraint.contains("email") => Error::conflict(
            "email_taken",
            "a person with this e-mail already exists in the organization",
        ),
        other => other.into(),
    }
}

/// Loads a patient of the caller's organization, or 404 (also for staff ids: they are not patients).
async fn load(work: &mut Work<'_>, id: UserId) -> Result<User> {
    match work.tx().find::<User>(id).await? {
        Some(user) if user.role == Role::Patient => Ok(user),
        _ => Err(Error::NotFound),
    }
}

fn target(user: &User) -> Target {
    Target::in_organization(user.organization_id).about_patient(user.id)
}

pub async fn get(work: &mut Work<'_>, id: UserId) -> Result<PatientRecord> {
    let user = load(work, id).await?;
    authorize(
        work,
        Action::Read,
        Resource::Patient,
        target(&user),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::personal(AuditAction::Read, "users", Some(id.as_uuid()))
            .related("patientId", id.as_uuid()),
    );
    record(work, user, None).await
}

pub async fn find_by_cpf(
    work: &mut Work<'_>,
    org: OrganizationId,
    cpf: &str,
) -> Result<Option<PatientRecord>> {
    let cpf = Cpf::parse(cpf).map_err(|e| invalid("cpf", e))?;
    authorize(
        work,
        Action::Read,
        Resource::Patient,
        Target::in_organization(org),
        None,
    )
    .await?;
    let indexes = cpf_indexes(work, org, &cpf).await?;
    let Some(user) = find_by_cpf_indexes(work, indexes).await? else {
        return Ok(None);
    };
    // Lookups by CPF are how records are searched: the access is recorded like a read.
    authorize(
        work,
        Action::Read,
        Resource::Patient,
        target(&user),
        Some(user.id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::personal(AuditAction::Read, "users", Some(user.id.as_uuid())).detail("lookup", "cpf"),
    );
    Ok(Some(record(work, user, Some(&cpf)).await?))
}

pub async fn list(work: &mut Work<'_>, org: OrganizationId, query: ListQuery) -> Result<Page<PatientRecord>> {
    authorize(
        work,
        Action::Read,
        Resource::Patient,
        Target::in_organization(org),
        None,
    )
    .await?;
    let page = work
        .tx()
        .list::<User>(&query.filter("role", Value::Text("patient".into())))
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for user in page.items {
        work.record(
            AuditEvent::personal(AuditAction::Read, "users", Some(user.id.as_uuid())).detail("via", "list"),
        );
        items.push(record(work, user, None).await?);
    }
    Ok(Page {
        items,
        next: page.next,
    })
}

pub async fn update(work: &mut Work<'_>, id: UserId, changes: PatientChanges) -> Result<PatientRecord> {
    let mut user = load(work, id).await?;
    authorize(
        work,
        Action::Update,
        Resource::Patient,
        target(&user),
        Some(id.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    let org = user.organization_id;
    let mut fields = Vec::new();
    if let Some(name) = &changes.name {
        user.name = required_text("name", name, 200)?;
        fields.push("name");
    }
    if let Some(phone) = &changes.phone {
        let phone = PhoneNumber::parse(phone).map_err(|e| invalid("phone", e))?;
        user.phone = Some(phone.e164().to_owned());
        user.whatsapp_id = Some(phone.whatsapp_id().to_owned());
        fields.push("phone");
    }
    if let Some(e) = &changes.email {
        user.email = Some(email(e)?);
        fields.push("email");
    }
    if let Some(date) = changes.birth_date {
        user.birth_date = Some(validate_birth_date(date, now.date())?);
        fields.push("birthDate");
    }
    if let Some(language) = &changes.language {
        user.language = validate_language(language)?;
        fields.push("language");
    }
    if let Some(zone) = &changes.timezone {
        user.timezone = validate_timezone(zone)?;
        fields.push("timezone");
    }
    if let Some(contact) = &changes.emergency_contact {
        let contact = validate_contact(contact)?;
        let plain = serde_json::to_vec(&contact).map_err(Error::internal)?;
        user.emergency_contact_encrypted = Some(
            work.services
                .keys
                .encrypt(work.tx(), org, CONTACT_FIELD, id.as_uuid(), &plain)
                .await?,
        );
        fields.push("emergencyContact");
    }
    if let Some(active) = changes.is_active {
        // Deactivation is a staff decision; a patient cannot switch their own record off.
        if work.actor.role() == Role::Patient {
            return Err(Error::invalid(
                "isActive",
                "not_allowed",
                "patients cannot change this field",
            ));
        }
        user.is_active = active;
        fields.push("isActive");
    }
    user.updated_at = now;
    let updated = work.tx().update(&user).await.map_err(unique_conflict)?;
    work.record(
        AuditEvent::personal(AuditAction::Update, "users", Some(id.as_uuid())).detail("fields", fields),
    );
    record(work, updated, None).await
}

/// Decrypts a stored patient into its API form. `known_cpf` saves a decryption when the caller has it.
pub async fn record(work: &mut Work<'_>, user: User, known_cpf: Option<&Cpf>) -> Result<PatientRecord> {
    let org = user.organization_id;
    let cpf_masked = match (known_cpf, &user.cpf_encrypted) {
        (Some(cpf), _) => Some(cpf.masked()),
        (None, Some(sealed)) => {
            let digits = work
                .services
                .keys
                .decrypt(work.tx(), org, CPF_FIELD, user.id.as_uuid(), sealed)
                .await?;
            let text = std::str::from_utf8(&digits).map_err(Error::internal)?;
            Some(Cpf::parse(text).map_err(Error::internal)?.masked())
        }
        (None, None) => None,
    };
    let emergency_contact = match &user.emergency_contact_encrypted {
        Some(sealed) => {
            let plain = work
                .services
                .keys
                .decrypt(work.tx(), org, CONTACT_FIELD, user.id.as_uuid(), sealed)
                .await?;
            Some(serde_json::from_slice(&plain).map_err(Error::internal)?)
        }
        None => None,
    };
    Ok(PatientRecord {
        id: user.id,
        organization_id: user.organization_id,
        name: user.name,
        cpf_masked,
        phone: user.phone,
        whatsapp_id: user.whatsapp_id,
        email: user.email,
        birth_date: user.birth_date,
        language: user.language,
        timezone: user.timezone,
        emergency_contact,
        is_active: user.is_active,
        created_at: user.created_at,
        updated_at: user.updated_at,
    })
}

crate::redacted_debug!(EmergencyContact, NewPatient, PatientChanges);
