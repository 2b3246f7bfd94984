//! Medication reminders: a patient (or staff on their behalf) opts into reminders of one of their
//! active medications at chosen times of day; `send_due` (every minute in `austa serve`) sends each
//! due reminder once, in the patient's own time zone, within WhatsApp's rules — free text inside the
//! 24-hour window, the organization's approved template (`settings.whatsapp.reminderTemplate`)
//! outside it, nothing to a patient who opted out. "tomei" / "esqueci" answers (the assistant)
//! record adherence on the latest pending dose; a dose left unanswered is missed at the next one.

use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{
    AuditAction, ConsentKind, DoseDelivery, DoseStatus, HealthDataType, MessageDirection, RiskLevel,
};
use austa_domain::ids::{HealthDataId, MedicationReminderId, OrganizationId, UserId};
use austa_domain::reminders;
use austa_domain::{EntityId, Principal, Subject, Vocabulary};
use austa_store::model::{
    Conversation, HealthData, MedicationDose, MedicationReminder, Message, Organization, User,
};
use austa_store::{Cmp, ListQuery, StoreError, TxMode, Value};
use austa_whatsapp::outbound::Outbound;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

/// A reminder found late (the server was down) is still sent within this; older ones are skipped.
pub const LATE_TOLERANCE: Duration = Duration::minutes(30);
/// A "tomei" answers a reminder sent within this.
pub const ANSWER_WINDOW: Duration = Duration::hours(12);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewReminder {
    /// A MEDICATION health record of the patient, active.
    pub health_data_id: HealthDataId,
    /// Local times of day in the patient's time zone, `["08:00", "20:00"]` (1 to 12).
    pub times: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Adherence {
    pub taken: usize,
    pub missed: usize,
    pub pending: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReminderView {
    pub id: MedicationReminderId,
    pub user_id: UserId,
    pub health_data_id: HealthDataId,
    pub times: Vec<String>,
    /// The patient's zone the times are read in.
    pub timezone: String,
    pub is_active: bool,
    pub adherence: Adherence,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn target(org: OrganizationId, patient: UserId) -> Target {
    Target::in_organization(org).about_patient(patient)
}

async fn view(work: &mut Work<'_>, r: MedicationReminder, timezone: &str) -> Result<ReminderView> {
    let doses = work
        .tx()
        .list::<MedicationDose>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("reminder_id", Value::Uuid(r.id.as_uuid())),
        )
        .await?
        .items;
    let count = |s: DoseStatus| doses.iter().filter(|d| d.status == s).count();
    Ok(ReminderView {
        id: r.id,
        user_id: r.user_id,
        health_data_id: r.health_data_id,
        times: serde_json::from_value(r.times).unwrap_or_default(),
        timezone: timezone.to_owned(),
        is_active: r.is_active,
        adherence: Adherence {
            taken: count(DoseStatus::Taken),
            missed: count(DoseStatus::Missed),
            pending: count(DoseStatus::Pending),
        },
        created_at: r.created_at,
    })
}

pub async fn create(work: &mut Work<'_>, patient_id: UserId, input: NewReminder) -> Result<ReminderView> {
    let patient = work.tx().find::<User>(patient_id).await?.ok_or(Error::NotFound)?;
    let org = patient.organization_id;
    authorize(
        work,
        Action::Create,
        Resource::MedicationReminder,
        target(org, patient_id),
        None,
    )
    .await?;
    let times = reminders::parse_times(&input.times)
        .map_err(|e| Error::invalid("times", "invalid_times", e.to_string()))?;
    if reminders::zone(&patient.timezone).is_none() {
        return Err(Error::invalid(
            "timezone",
            "unknown_timezone",
            "the patient's time zone is not a known IANA zone",
        ));
    }
    let now = work.services.clock.now();
    let medication = work.tx().find::<HealthData>(input.health_data_id).await?;
    let active_medication = medication.as_ref().is_some_and(|h| {
        h.user_id == patient_id
            && h.data_type == HealthDataType::Medication
            && h.is_active
            && h.expires_at.is_none_or(|at| at > now)
            && h.deleted_at.is_none()
    });
    if !active_medication {
        return Err(Error::invalid(
            "healthDataId",
            "not_an_active_medication",
            "must be an active MEDICATION record of this patient",
        ));
    }
    let reminder = MedicationReminder {
        id: MedicationReminderId::generate(),
        organization_id: org,
        user_id: patient_id,
        health_data_id: input.health_data_id,
        times: json!(
            times
                .iter()
                .map(|(h, m)| format!("{h:02}:{m:02}"))
                .collect::<Vec<_>>()
        ),
        is_active: true,
        created_by: match work.actor.principal.subject() {
            Subject::User(u) => Some(u),
            _ => None,
        },
        checked_until: now,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&reminder).await?;
    work.record(
        AuditEvent::health(
            AuditAction::Create,
            "medication_reminders",
            Some(created.id.as_uuid()),
        )
        .related("patientId", patient_id.as_uuid())
        .related("healthDataId", input.health_data_id.as_uuid()),
    );
    view(work, created, &patient.timezone).await
}

pub async fn list(work: &mut Work<'_>, patient_id: UserId) -> Result<Vec<ReminderView>> {
    let patient = work.tx().find::<User>(patient_id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::MedicationReminder,
        target(patient.organization_id, patient_id),
        None,
    )
    .await?;
    let items = work
        .tx()
        .list::<MedicationReminder>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("user_id", Value::Uuid(patient_id.as_uuid())),
        )
        .await?
        .items;
    work.record(
        AuditEvent::health(AuditAction::Read, "medication_reminders", None)
            .related("patientId", patient_id.as_uuid())
            .detail("count", items.len()),
    );
    let mut out = Vec::with_capacity(items.len());
    for r in items {
        out.push(view(work, r, &patient.timezone).await?);
    }
    Ok(out)
}

/// Opting out: the reminder stops and is kept (soft-deleted) with its adherence history.
pub async fn stop(work: &mut Work<'_>, patient_id: UserId, id: MedicationReminderId) -> Result<()> {
    let reminder = work.tx().find_for_update::<MedicationReminder>(id).await?;
    let Some(mut reminder) = reminder.filter(|r| r.user_id == patient_id) else {
        return Err(Error::NotFound);
    };
    authorize(
        work,
        Action::Delete,
        Resource::MedicationReminder,
        target(reminder.organization_id, patient_id),
        Some(id.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    reminder.is_active = false;
    reminder.updated_at = now;
    work.tx().update(&reminder).await?;
    work.tx().soft_delete::<MedicationReminder>(id, now).await?;
    work.record(
        AuditEvent::health(AuditAction::Delete, "medication_reminders", Some(id.as_uuid()))
            .related("patientId", patient_id.as_uuid()),
    );
    Ok(())
}

/// Records a "tomei" (`true`) or "esqueci" (`false`) on the patient's latest pending dose sent in
/// the last [`ANSWER_WINDOW`]. Returns the dose, if there was one.
pub async fn answer(work: &mut Work<'_>, patient: UserId, taken: bool) -> Result<Option<MedicationDose>> {
    let now = work.services.clock.now();
    let pending = work
        .tx()
        .list::<MedicationDose>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(patient.as_uuid()))
                .filter("status", Value::Text(DoseStatus::Pending.as_str().into()))
                .compare("scheduled_at", Cmp::Gt, Value::Time(now - ANSWER_WINDOW)),
        )
        .await?
        .items;
    let Some(dose) = pending.into_iter().next() else {
        return Ok(None);
    };
    let Some(mut dose) = work.tx().find_for_update::<MedicationDose>(dose.id).await? else {
        return Ok(None);
    };
    dose.status = if taken {
        DoseStatus::Taken
    } else {
        DoseStatus::Missed
    };
    dose.responded_at = Some(now);
    dose.updated_at = now;
    work.tx().update(&dose).await?;
    work.record(
        AuditEvent::health(AuditAction::Update, "medication_doses", Some(dose.id.as_uuid()))
            .related("patientId", patient.as_uuid())
            .detail("status", dose.status.as_str()),
    );
    Ok(Some(dose))
}

/// Sends every reminder due since the last round; returns how many doses were scheduled. Each
/// reminder is handled in its own transaction of its organization; a failure is logged and the
/// reminder retried next round.
pub async fn send_due(services: &Services) -> Result<usize> {
    let now = services.clock.now();
    let due = {
        let mut tx = services
            .store
            .begin(Principal::system().scope(), TxMode::Read)
            .await?;
        let page = tx
            .list::<MedicationReminder>(
                &ListQuery::first(ListQuery::MAX_LIMIT)
                    .filter("is_active", Value::Bool(true))
                    .compare("checked_until", Cmp::Lt, Value::Time(now)),
            )
            .await?;
        tx.rollback().await?;
        page.items
    };
    let mut scheduled = 0;
    for r in due {
        let actor = Actor::system_for(r.organization_id).with_user_agent("reminders");
        match crate::transact!(services, &actor, TxMode::Write, |work| round(work, r.id, now)
            .await)
        {
            Ok(n) => scheduled += n,
            Err(e) => {
                tracing::warn!(reminder = %r.id, error = %e, "medication reminder round failed; retried next round")
            }
        }
    }
    Ok(scheduled)
}

async fn round(work: &mut Work<'_>, id: MedicationReminderId, now: OffsetDateTime) -> Result<usize> {
    let Some(mut reminder) = work.tx().find_for_update::<MedicationReminder>(id).await? else {
        return Ok(0);
    };
    if !reminder.is_active || reminder.checked_until >= now {
        return Ok(0);
    }
    let patient = work.tx().get::<User>(reminder.user_id).await?;
    let organization = work.tx().get::<Organization>(reminder.organization_id).await?;
    let zone = reminders::zone(&patient.timezone)
        .or_else(|| reminders::zone(&organization.timezone))
        .ok_or_else(|| Error::internal("no known time zone for the patient or the organization"))?;
    let times: Vec<String> = serde_json::from_value(reminder.times.clone()).unwrap_or_default();
    let times = reminders::parse_times(&times).map_err(|e| Error::internal(e.to_string()))?;
    let after = reminder.checked_until.max(now - LATE_TOLERANCE);
    let mut scheduled = 0;
    for at in reminders::due_between(&times, &zone, after, now) {
        if schedule(work, &reminder, &patient, &organization, at).await? {
            scheduled += 1;
        }
    }
    reminder.checked_until = now;
    reminder.updated_at = now;
    work.tx().update(&reminder).await?;
    Ok(scheduled)
}

/// One dose: the earlier pending one of this reminder is missed, the new one is sent (or not).
async fn schedule(
    work: &mut Work<'_>,
    reminder: &MedicationReminder,
    patient: &User,
    organization: &Organization,
    at: OffsetDateTime,
) -> Result<bool> {
    let now = work.services.clock.now();
    let earlier = work
        .tx()
        .list::<MedicationDose>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter("reminder_id", Value::Uuid(reminder.id.as_uuid()))
                .filter("status", Value::Text(DoseStatus::Pending.as_str().into())),
        )
        .await?
        .items;
    for mut dose in earlier {
        dose.status = DoseStatus::Missed;
        dose.updated_at = now;
        work.tx().update(&dose).await?;
    }
    let mut dose = MedicationDose {
        id: austa_domain::ids::MedicationDoseId::generate(),
        organization_id: reminder.organization_id,
        user_id: reminder.user_id,
        reminder_id: reminder.id,
        scheduled_at: at,
        status: DoseStatus::Pending,
        delivery: DoseDelivery::NotSent,
        message_id: None,
        responded_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    match work.tx().create(&dose).await {
        Ok(_) => {}
        Err(StoreError::UniqueViolation { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    if let Some((content, delivery, conversation)) =
        reminder_message(work, reminder, patient, organization).await?
    {
        let message = super::outbound::queue(work, conversation, content, false).await?;
        dose.message_id = Some(message.id);
        dose.delivery = delivery;
        dose.updated_at = now;
        work.tx().update(&dose).await?;
    }
    work.record(
        AuditEvent::health(AuditAction::Create, "medication_doses", Some(dose.id.as_uuid()))
            .related("patientId", patient.id.as_uuid())
            .detail("delivery", dose.delivery.as_str())
            .risk(RiskLevel::Low),
    );
    Ok(true)
}

/// What to send, how, and in which conversation; `None` when nothing may be sent.
async fn reminder_message(
    work: &mut Work<'_>,
    reminder: &MedicationReminder,
    patient: &User,
    organization: &Organization,
) -> Result<Option<(Outbound, DoseDelivery, austa_domain::ids::ConversationId)>> {
    let opted_out =
        super::consents::current(work, patient.id, ConsentKind::WhatsappMessages).await? == Some(false);
    if opted_out || !super::outbound::reachable(patient) {
        return Ok(None);
    }
    let conversation = work
        .tx()
        .list::<Conversation>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(patient.id.as_uuid())),
        )
        .await?
        .items
        .into_iter()
        .next();
    let Some(conversation) = conversation else {
        return Ok(None);
    };
    let now = work.services.clock.now();
    let window_open = !work
        .tx()
        .list::<Message>(
            &ListQuery::first(1)
                .filter("user_id", Value::Uuid(patient.id.as_uuid()))
                .filter(
                    "direction",
                    Value::Text(MessageDirection::Inbound.as_str().into()),
                )
                .compare("sent_at", Cmp::Gt, Value::Time(now - super::outbound::WINDOW)),
        )
        .await?
        .items
        .is_empty();
    let (name, dosage) = medication(work, reminder).await?;
    if window_open {
        let texts = super::assistant::replies::Replies::shared()?;
        let first = super::assistant::replies::first_name(&patient.name);
        let body = texts.render(
            "reminder.text",
            first.as_deref(),
            &[
                ("medicamento", name),
                ("dose", dosage.map(|d| format!(" ({d})")).unwrap_or_default()),
            ],
        )?;
        return Ok(Some((
            Outbound::Text {
                text: json!({"body": body}),
            },
            DoseDelivery::Text,
            conversation.id,
        )));
    }
    let template = organization
        .settings
        .get("whatsapp")
        .and_then(|w| w.get("reminderTemplate"));
    let Some(template) = template.and_then(|t| t.get("name").and_then(|n| n.as_str()).map(|n| (n, t))) else {
        return Ok(None);
    };
    let (template_name, t) = template;
    let language = t.get("language").and_then(|l| l.as_str()).unwrap_or("pt_BR");
    let content = Outbound::Template {
        template: json!({
            "name": template_name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": name}]}],
        }),
    };
    Ok(Some((content, DoseDelivery::Template, conversation.id)))
}

/// The medication's name and dosage, from its encrypted record.
async fn medication(work: &mut Work<'_>, reminder: &MedicationReminder) -> Result<(String, Option<String>)> {
    let record = work.tx().get::<HealthData>(reminder.health_data_id).await?;
    let services = work.services;
    let plain = services
        .keys
        .decrypt(
            work.tx(),
            reminder.organization_id,
            super::health_data::DATA_FIELD,
            record.id.as_uuid(),
            &record.data_encrypted,
        )
        .await?;
    let data: serde_json::Value = serde_json::from_slice(&plain).map_err(Error::internal)?;
    let name = data
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("seu remédio")
        .chars()
        .take(80)
        .collect();
    let dosage = data
        .get("dosage")
        .and_then(|d| d.as_str())
        .map(|d| d.chars().take(40).collect());
    Ok((name, dosage))
}
