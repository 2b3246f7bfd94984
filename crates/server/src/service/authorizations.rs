//! Procedure authorizations: requested by providers (or the system), numbered at once (RN 623
//! requires a protocol), answered within the ANS deadline computed in business days over the
//! holiday calendar, moved only along the state machine (`austa_domain::authorization`, enforced
//! again by the database), every move recorded with who, when and why. The patient is told of
//! each change over WhatsApp.

use austa_crypto::envelope::Field;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::authorization::{
    AWAITING_ANSWER, Calendar, answer_business_days, awaits_answer, can_move, optional_holidays,
};
use austa_domain::enums::{AuditAction, AuthorizationStatus, CareCharacter, Priority, ServiceType};
use austa_domain::ids::{AuthorizationId, AuthorizationTransitionId, DocumentId, ProviderId, UserId};
use austa_domain::validation::{Cid10, TussCode};
use austa_domain::{EntityId, Subject, Vocabulary};
use austa_store::model::{Authorization, AuthorizationTransition, Document, Organization, Provider, User};
use austa_store::{Cmp, ListQuery, Page, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime, Time};

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

const CLINICAL_FIELD: Field = Field::new("authorizations", "clinical_encrypted");
const REASON_FIELD: Field = Field::new("authorization_transitions", "reason_encrypted");

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcedureInput {
    /// 8 digits with a valid check digit (`40304361`; `4.03.04.36-1` accepted).
    pub tuss_code: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAuthorization {
    /// The patient.
    pub user_id: UserId,
    /// The requesting provider (a registered one of the organization).
    pub requesting_provider_id: Option<ProviderId>,
    pub procedures: Vec<ProcedureInput>,
    pub care_character: CareCharacter,
    pub service_type: ServiceType,
    pub priority: Option<Priority>,
    /// Sealed with the CID-10 (clinical data).
    pub clinical_indication: String,
    pub cid10: Option<String>,
    /// Documents of the patient to attach (a medical order, a report).
    #[serde(default)]
    pub document_ids: Vec<DocumentId>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTransition {
    pub to: AuthorizationStatus,
    /// Why (sealed; shown to staff).
    pub reason: Option<String>,
    /// The senha of an approval.
    pub authorization_password: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub password_valid_until: Option<OffsetDateTime>,
    /// A denial's reason in plain language (RN 623) …
    pub denial_reason: Option<String>,
    /// … and the contract clause or rule it rests on.
    pub denial_clause: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionView {
    pub from: AuthorizationStatus,
    pub to: AuthorizationStatus,
    pub actor_id: Option<UserId>,
    pub actor_role: austa_domain::enums::Role,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationView {
    pub id: AuthorizationId,
    pub user_id: UserId,
    pub requesting_provider_id: Option<ProviderId>,
    pub protocol_number: String,
    #[schema(value_type = Object)]
    pub procedures: serde_json::Value,
    pub care_character: CareCharacter,
    pub service_type: Option<ServiceType>,
    pub priority: Priority,
    pub status: AuthorizationStatus,
    /// The answer is due by then (ANS business days; immediately for urgency/emergency).
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// Past its deadline without an answer.
    pub overdue: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub authorization_password: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_valid_until: Option<OffsetDateTime>,
    pub denial_reason: Option<String>,
    pub denial_clause: Option<String>,
    /// Clinical indication and CID-10, for those who may read them.
    pub clinical: Option<serde_json::Value>,
    pub transitions: Vec<TransitionView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn target(a: &Authorization) -> Target {
    Target::in_organization(a.organization_id).about_patient(a.user_id)
}

fn overdue(a: &Authorization, now: OffsetDateTime) -> bool {
    awaits_answer(a.status) && a.due_at.is_some_and(|d| d < now)
}

/// The organization's business-day calendar: national holidays, plus its own days
/// (`settings.holidays`: dates), plus Carnival and Corpus Christi when `settings.closedOnOptionalHolidays`.
pub fn calendar(org: &Organization, years: std::ops::RangeInclusive<i32>) -> Calendar {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut extra: Vec<Date> = org
        .settings
        .get("holidays")
        .and_then(|h| h.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .filter_map(|d| Date::parse(d, format).ok())
        .collect();
    if org
        .settings
        .get("closedOnOptionalHolidays")
        .and_then(|v| v.as_bool())
        == Some(true)
    {
        for y in years {
            extra.extend(optional_holidays(y));
        }
    }
    Calendar::new(extra)
}

/// When the answer is due: immediately for urgency/emergency, else the end of the N-th business
/// day in the organization's zone.
pub fn due_at(
    org: &Organization,
    character: CareCharacter,
    service: ServiceType,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let days = answer_business_days(character, service);
    if days == 0 {
        return now;
    }
    let zone = austa_domain::reminders::zone(&org.timezone);
    let local = zone
        .as_ref()
        .and_then(|z| austa_domain::reminders::local_date(now, z))
        .and_then(|d| Date::parse(&d, time::macros::format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or(now.date());
    let cal = calendar(org, local.year()..=local.year() + 1);
    let day = cal.add_business_days(local, days);
    let end = zone
        .as_ref()
        .and_then(|z| austa_domain::reminders::end_of_local_day(day, z));
    let fallback = day
        .with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_utc();
    austa_store::value::to_stored_precision(end.unwrap_or(fallback))
}

/// A protocol number: the date and 10 random digits (unique per organization by constraint).
fn protocol_number(now: OffsetDateTime) -> Result<String> {
    let bytes = austa_crypto::random::bytes::<8>().map_err(Error::internal)?;
    let n = u64::from_le_bytes(bytes) % 10_000_000_000;
    Ok(format!(
        "{:04}{:02}{:02}{n:010}",
        now.year(),
        u8::from(now.month()),
        now.day()
    ))
}

async fn view(work: &mut Work<'_>, a: Authorization) -> Result<AuthorizationView> {
    let now = work.services.clock.now();
    let services = work.services;
    let clinical = match &a.clinical_encrypted {
        Some(sealed) => {
            let plain = services
                .keys
                .decrypt(
                    work.tx(),
                    a.organization_id,
                    CLINICAL_FIELD,
                    a.id.as_uuid(),
                    sealed,
                )
                .await?;
            serde_json::from_slice(&plain).ok()
        }
        None => None,
    };
    let rows = work
        .tx()
        .list::<AuthorizationTransition>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("authorization_id", Value::Uuid(a.id.as_uuid())),
        )
        .await?
        .items;
    let mut transitions = Vec::with_capacity(rows.len());
    for t in rows {
        let reason = match &t.reason_encrypted {
            Some(sealed) => {
                let plain = services
                    .keys
                    .decrypt(work.tx(), a.organization_id, REASON_FIELD, t.id.as_uuid(), sealed)
                    .await?;
                String::from_utf8(plain.to_vec()).ok()
            }
            None => None,
        };
        transitions.push(TransitionView {
            from: t.from_status,
            to: t.to_status,
            actor_id: t.actor_id,
            actor_role: t.actor_role,
            reason,
            occurred_at: t.occurred_at,
        });
    }
    Ok(AuthorizationView {
        overdue: overdue(&a, now),
        id: a.id,
        user_id: a.user_id,
        requesting_provider_id: a.requesting_provider_id,
        protocol_number: a.protocol_number,
        procedures: a.procedures,
        care_character: a.care_character,
        service_type: a.service_type,
        priority: a.priority,
        status: a.status,
        due_at: a.due_at,
        decided_at: a.decided_at,
        authorization_password: a.authorization_password,
        password_valid_until: a.password_valid_until,
        denial_reason: a.denial_reason,
        denial_clause: a.denial_clause,
        clinical,
        transitions,
        created_at: a.created_at,
    })
}

pub async fn create(work: &mut Work<'_>, input: NewAuthorization) -> Result<AuthorizationView> {
    let patient = work.tx().find::<User>(input.user_id).await?.ok_or_else(|| {
        Error::invalid(
            "userId",
            "unknown_patient",
            "no such patient in this organization",
        )
    })?;
    let org = patient.organization_id;
    authorize(
        work,
        Action::Create,
        Resource::Authorization,
        Target::in_organization(org).about_patient(patient.id),
        None,
    )
    .await?;
    if input.procedures.is_empty() || input.procedures.len() > 50 {
        return Err(Error::invalid(
            "procedures",
            "required",
            "must list 1 to 50 procedures",
        ));
    }
    let mut procedures = Vec::with_capacity(input.procedures.len());
    for (i, p) in input.procedures.iter().enumerate() {
        let code = TussCode::parse(&p.tuss_code)
            .map_err(|e| Error::invalid(format!("procedures[{i}].tussCode"), e.code(), e.to_string()))?;
        if !(1..=999).contains(&p.quantity) {
            return Err(Error::invalid(
                format!("procedures[{i}].quantity"),
                "out_of_range",
                "must be 1 to 999",
            ));
        }
        procedures.push(json!({"tussCode": code.as_str(), "quantity": p.quantity}));
    }
    let indication = super::required_text("clinicalIndication", &input.clinical_indication, 500)?;
    let cid10 = input
        .cid10
        .as_deref()
        .map(|c| Cid10::parse(c).map_err(|e| Error::invalid("cid10", e.code(), e.to_string())))
        .transpose()?;
    if let Some(provider) = input.requesting_provider_id
        && work.tx().find::<Provider>(provider).await?.is_none()
    {
        return Err(Error::invalid(
            "requestingProviderId",
            "unknown_provider",
            "no such provider in this organization",
        ));
    }
    for d in &input.document_ids {
        if work
            .tx()
            .find::<Document>(*d)
            .await?
            .is_none_or(|doc| doc.user_id != patient.id)
        {
            return Err(Error::invalid(
                "documentIds",
                "unknown_document",
                "every document must be the patient's",
            ));
        }
    }
    let now = work.services.clock.now();
    let organization = work.tx().get::<Organization>(org).await?;
    let id = AuthorizationId::generate();
    let services = work.services;
    let clinical = json!({"indication": indication, "cid10": cid10.as_ref().map(|c| c.as_str())});
    let sealed = services
        .keys
        .encrypt(
            work.tx(),
            org,
            CLINICAL_FIELD,
            id.as_uuid(),
            clinical.to_string().as_bytes(),
        )
        .await?;
    let priority = input
        .priority
        .unwrap_or(if input.care_character == CareCharacter::UrgencyEmergency {
            Priority::Urgent
        } else {
            Priority::Normal
        });
    let row = Authorization {
        id,
        organization_id: org,
        user_id: patient.id,
        requesting_provider_id: input.requesting_provider_id,
        protocol_number: protocol_number(now)?,
        procedures: json!(procedures),
        care_character: input.care_character,
        priority,
        status: AuthorizationStatus::Requested,
        clinical_encrypted: Some(sealed),
        due_at: Some(due_at(
            &organization,
            input.care_character,
            input.service_type,
            now,
        )),
        decided_at: None,
        decided_by: None,
        authorization_password: None,
        password_valid_until: None,
        denial_reason: None,
        denial_clause: None,
        tasy_external_id: None,
        tasy_sync_status: None,
        insurance_claim_ref: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        service_type: Some(input.service_type),
    };
    let created = work.tx().create(&row).await?;
    for d in &input.document_ids {
        if let Some(mut doc) = work.tx().find_for_update::<Document>(*d).await? {
            doc.authorization_id = Some(id);
            doc.updated_at = now;
            work.tx().update(&doc).await?;
        }
    }
    work.record(
        AuditEvent::health(AuditAction::Create, "authorizations", Some(id.as_uuid()))
            .related("patientId", patient.id.as_uuid())
            .detail("careCharacter", created.care_character.as_str())
            .detail("protocol", created.protocol_number.as_str()),
    );
    view(work, created).await
}

pub async fn get(work: &mut Work<'_>, id: AuthorizationId) -> Result<AuthorizationView> {
    let a = work
        .tx()
        .find::<Authorization>(id)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::Authorization,
        target(&a),
        Some(id.as_uuid()),
    )
    .await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "authorizations", Some(id.as_uuid()))
            .related("patientId", a.user_id.as_uuid()),
    );
    view(work, a).await
}

pub struct Filter {
    pub user_id: Option<UserId>,
    pub status: Option<AuthorizationStatus>,
    pub overdue: bool,
}

pub async fn list(work: &mut Work<'_>, filter: Filter, query: ListQuery) -> Result<Page<AuthorizationView>> {
    let org = work.actor.principal.organization().ok_or(Error::Forbidden)?;
    let patient_self = match (work.actor.role(), work.actor.principal.subject()) {
        (austa_domain::enums::Role::Patient, Subject::User(me)) => Some(me),
        _ => None,
    };
    let about = filter.user_id.or(patient_self);
    let mut t = Target::in_organization(org);
    if let Some(p) = about {
        t = t.about_patient(p);
    }
    authorize(work, Action::Read, Resource::Authorization, t, None).await?;
    let now = work.services.clock.now();
    let mut query = query.newest_first();
    if let Some(p) = about {
        query = query.filter("user_id", Value::Uuid(p.as_uuid()));
    }
    if let Some(s) = filter.status {
        query = query.filter("status", Value::Text(s.as_str().into()));
    }
    if filter.overdue {
        query = query
            .compare("due_at", Cmp::Lt, Value::Time(now))
            .any_of("status", statuses(&AWAITING_ANSWER));
    }
    let page = work.tx().list::<Authorization>(&query).await?;
    work.record(
        AuditEvent::health(AuditAction::Read, "authorizations", None).detail("count", page.items.len()),
    );
    let mut items = Vec::with_capacity(page.items.len());
    for a in page.items {
        items.push(view(work, a).await?);
    }
    Ok(Page {
        items,
        next: page.next,
    })
}

/// Moves an authorization: 409 naming the current state when the state machine says no.
pub async fn transition(
    work: &mut Work<'_>,
    id: AuthorizationId,
    input: NewTransition,
) -> Result<AuthorizationView> {
    let mut a = work
        .tx()
        .find_for_update::<Authorization>(id)
        .await?
        .ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Update,
        Resource::Authorization,
        target(&a),
        Some(id.as_uuid()),
    )
    .await?;
    let from = a.status;
    if !can_move(from, input.to) {
        return Err(Error::conflict(
            "illegal_transition",
            format!(
                "the authorization is {}: it cannot become {}",
                from.as_str(),
                input.to.as_str()
            ),
        ));
    }
    if input.to == AuthorizationStatus::PendingDocuments
        && a.care_character == CareCharacter::UrgencyEmergency
    {
        return Err(Error::conflict(
            "urgent_never_waits",
            "an urgency/emergency request is never held waiting for documents (answer it now)",
        ));
    }
    let now = work.services.clock.now();
    let reason = input
        .reason
        .as_deref()
        .map(|r| super::required_text("reason", r, 2000))
        .transpose()?;
    match input.to {
        AuthorizationStatus::Approved | AuthorizationStatus::PartiallyApproved => {
            let password = input
                .authorization_password
                .as_deref()
                .map(|p| super::required_text("authorizationPassword", p, 40))
                .transpose()?
                .ok_or_else(|| {
                    Error::invalid(
                        "authorizationPassword",
                        "required",
                        "an approval carries its senha",
                    )
                })?;
            let until = input.password_valid_until.filter(|u| *u > now).ok_or_else(|| {
                Error::invalid(
                    "passwordValidUntil",
                    "required",
                    "an approval says until when it is valid (in the future)",
                )
            })?;
            a.authorization_password = Some(password);
            a.password_valid_until = Some(austa_store::value::to_stored_precision(until));
        }
        AuthorizationStatus::Denied => {
            let why = input
                .denial_reason
                .as_deref()
                .map(|r| super::required_text("denialReason", r, 2000))
                .transpose()?
                .ok_or_else(|| {
                    Error::invalid(
                        "denialReason",
                        "required",
                        "a denial says why, in plain language (RN 623)",
                    )
                })?;
            let clause = input
                .denial_clause
                .as_deref()
                .map(|c| super::required_text("denialClause", c, 500))
                .transpose()?
                .ok_or_else(|| {
                    Error::invalid(
                        "denialClause",
                        "required",
                        "a denial cites the contract clause or the rule",
                    )
                })?;
            a.denial_reason = Some(why);
            a.denial_clause = Some(clause);
        }
        _ => {}
    }
    if matches!(
        input.to,
        AuthorizationStatus::Approved | AuthorizationStatus::PartiallyApproved | AuthorizationStatus::Denied
    ) {
        a.decided_at = Some(now);
        a.decided_by = match work.actor.principal.subject() {
            Subject::User(u) => Some(u),
            _ => None,
        };
    }
    a.status = input.to;
    a.updated_at = now;
    let saved = work.tx().update(&a).await?;
    record_transition(work, &saved, from, reason.as_deref(), now).await?;
    super::authorization_notices::tell_patient(work, &saved).await?;
    view(work, saved).await
}

pub(crate) async fn record_transition(
    work: &mut Work<'_>,
    a: &Authorization,
    from: AuthorizationStatus,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    let tid = AuthorizationTransitionId::generate();
    let services = work.services;
    let actor_id = match work.actor.principal.subject() {
        Subject::User(u) => Some(u),
        _ => None,
    };
    let actor_role = work.actor.role();
    let sealed = match reason {
        Some(r) => Some(
            services
                .keys
                .encrypt(
                    work.tx(),
                    a.organization_id,
                    REASON_FIELD,
                    tid.as_uuid(),
                    r.as_bytes(),
                )
                .await?,
        ),
        None => None,
    };
    work.tx()
        .create(&AuthorizationTransition {
            id: tid,
            organization_id: a.organization_id,
            authorization_id: a.id,
            from_status: from,
            to_status: a.status,
            actor_id,
            actor_role,
            reason_encrypted: sealed,
            occurred_at: now,
            created_at: now,
        })
        .await?;
    work.record(
        AuditEvent::health(AuditAction::Update, "authorizations", Some(a.id.as_uuid()))
            .related("patientId", a.user_id.as_uuid())
            .detail("from", from.as_str())
            .detail("to", a.status.as_str()),
    );
    Ok(())
}

/// Statuses as a list filter's values.
fn statuses(list: &[AuthorizationStatus]) -> Vec<Value> {
    list.iter().map(|s| Value::Text(s.as_str().into())).collect()
}

/// Requests left unanswered this long expire (`settings.authorizationRequestLimitDays`).
const DEFAULT_REQUEST_LIMIT_DAYS: i64 = 60;

/// The expiry job: approvals whose senha is no longer valid, and requests left unanswered past the
/// organization's limit, become `EXPIRED` (recorded as a transition by the system). Returns how many.
pub async fn expire_due(services: &crate::context::Services) -> Result<usize> {
    use austa_store::TxMode;
    let now = services.clock.now();
    let candidates = {
        let mut tx = services
            .store
            .begin(austa_domain::Principal::system().scope(), TxMode::Read)
            .await?;
        let approved = tx
            .list::<Authorization>(
                &ListQuery::first(ListQuery::MAX_LIMIT)
                    .any_of(
                        "status",
                        statuses(&[
                            AuthorizationStatus::Approved,
                            AuthorizationStatus::PartiallyApproved,
                        ]),
                    )
                    .compare("password_valid_until", Cmp::Lt, Value::Time(now)),
            )
            .await?
            .items;
        let waiting = tx
            .list::<Authorization>(
                &ListQuery::first(ListQuery::MAX_LIMIT)
                    .any_of("status", statuses(&AWAITING_ANSWER))
                    .compare(
                        "created_at",
                        Cmp::Lt,
                        Value::Time(now - time::Duration::days(DEFAULT_REQUEST_LIMIT_DAYS)),
                    ),
            )
            .await?
            .items;
        tx.rollback().await?;
        approved.into_iter().chain(waiting).collect::<Vec<_>>()
    };
    let mut expired = 0;
    for a in candidates {
        let actor =
            crate::context::Actor::system_for(a.organization_id).with_user_agent("authorization-expiry");
        let done = crate::transact!(services, &actor, TxMode::Write, |work| {
            let Some(mut current) = work.tx().find_for_update::<Authorization>(a.id).await? else {
                return Ok(false);
            };
            let organization = work.tx().get::<Organization>(current.organization_id).await?;
            let limit = organization
                .settings
                .get("authorizationRequestLimitDays")
                .and_then(|v| v.as_i64())
                .unwrap_or(DEFAULT_REQUEST_LIMIT_DAYS);
            let lapsed = current.password_valid_until.is_some_and(|u| u < now)
                && matches!(
                    current.status,
                    AuthorizationStatus::Approved | AuthorizationStatus::PartiallyApproved
                );
            let abandoned =
                awaits_answer(current.status) && current.created_at < now - time::Duration::days(limit);
            if !(lapsed || abandoned) {
                return Ok(false);
            }
            let from = current.status;
            current.status = AuthorizationStatus::Expired;
            current.updated_at = now;
            let saved = work.tx().update(&current).await?;
            let why = if lapsed {
                "validade da senha encerrada"
            } else {
                "pedido sem resposta além do prazo da operadora"
            };
            record_transition(work, &saved, from, Some(why), now).await?;
            super::authorization_notices::tell_patient(work, &saved).await?;
            Ok(true)
        })?;
        expired += usize::from(done);
    }
    Ok(expired)
}

/// How long before its deadline an unanswered request raises an alert for the staff.
const DEADLINE_WARNING: time::Duration = time::Duration::hours(24);

/// The deadline job: an alert for staff when an unanswered request is due within a day, and another
/// when its deadline has passed — each once (unique per authorization and reason). Returns how many.
pub async fn warn_deadlines(services: &crate::context::Services) -> Result<usize> {
    use austa_domain::enums::{AlertKind, UrgencyLevel};
    use austa_store::TxMode;
    let now = services.clock.now();
    let soon = {
        let mut tx = services
            .store
            .begin(austa_domain::Principal::system().scope(), TxMode::Read)
            .await?;
        let items = tx
            .list::<Authorization>(
                &ListQuery::first(ListQuery::MAX_LIMIT)
                    .any_of("status", statuses(&AWAITING_ANSWER))
                    .compare("due_at", Cmp::Lt, Value::Time(now + DEADLINE_WARNING)),
            )
            .await?
            .items;
        tx.rollback().await?;
        items
    };
    let mut raised = 0;
    for a in soon {
        let reason = if a.due_at.is_some_and(|d| d < now) {
            "deadline_missed"
        } else {
            "deadline_within_24h"
        };
        let actor =
            crate::context::Actor::system_for(a.organization_id).with_user_agent("authorization-deadlines");
        let done = crate::transact!(services, &actor, TxMode::Write, |work| {
            let existing = work
                .tx()
                .list::<austa_store::model::Alert>(
                    &ListQuery::first(1)
                        .filter("authorization_id", Value::Uuid(a.id.as_uuid()))
                        .filter("reason", Value::Text(reason.into())),
                )
                .await?;
            if !existing.items.is_empty() {
                return Ok(false);
            }
            super::alerts::raise(
                work,
                super::alerts::NewAlert {
                    organization: a.organization_id,
                    patient: a.user_id,
                    conversation: None,
                    authorization: Some(a.id),
                    message: None,
                    kind: AlertKind::AuthorizationDeadline,
                    urgency: UrgencyLevel::High,
                    reason,
                },
            )
            .await?;
            Ok(true)
        })?;
        raised += usize::from(done);
    }
    Ok(raised)
}
