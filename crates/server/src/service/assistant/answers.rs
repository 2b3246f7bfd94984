//! Answers from the platform's own data: points and the next mission, the latest authorization,
//! exam results available, the first missions after consent. Reads of health information are
//! audited like any other.

use austa_domain::enums::{AuditAction, DocumentType, HealthDataType, ProgressStatus};
use austa_domain::ids::OrganizationId;
use austa_domain::{EntityId, Vocabulary};
use austa_nlp::{Analysis, EntityKind};
use austa_store::model::{
    Authorization, Document, HealthData, HealthPoints, Mission, OnboardingProgress, Organization, User,
};
use austa_store::{ListQuery, Value};

use super::replies::Replies;
use crate::audit::AuditEvent;
use crate::error::Result;
use crate::work::Work;

fn of_patient(user: &User) -> ListQuery {
    ListQuery::first(ListQuery::MAX_LIMIT).filter("user_id", Value::Uuid(user.id.as_uuid()))
}

pub async fn organization_name(work: &mut Work<'_>, org: OrganizationId) -> Result<String> {
    Ok(work
        .tx()
        .find::<Organization>(org)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// Missions the patient can start now, by title.
async fn open_missions(work: &mut Work<'_>, patient: &User) -> Result<Vec<String>> {
    let progress = work
        .tx()
        .list::<OnboardingProgress>(&of_patient(patient))
        .await?
        .items;
    let mut titles = Vec::new();
    for p in progress
        .iter()
        .filter(|p| matches!(p.status, ProgressStatus::Available | ProgressStatus::InProgress))
    {
        if let Some(m) = work.tx().find::<Mission>(p.mission_id).await? {
            titles.push(m.title);
        }
    }
    Ok(titles)
}

pub async fn consent_granted(
    work: &mut Work<'_>,
    texts: &Replies,
    patient: &User,
    name: Option<&str>,
) -> Result<String> {
    let missions = open_missions(work, patient).await?;
    if missions.is_empty() {
        return texts.render("onboarding.consent_granted_no_missions", name, &[]);
    }
    let list = missions
        .iter()
        .take(3)
        .map(|t| format!("• {t}"))
        .collect::<Vec<_>>()
        .join("\n");
    texts.render("onboarding.consent_granted", name, &[("missoes", list)])
}

pub async fn points(
    work: &mut Work<'_>,
    texts: &Replies,
    patient: &User,
    name: Option<&str>,
) -> Result<String> {
    let balance = work
        .tx()
        .list::<HealthPoints>(&of_patient(patient))
        .await?
        .items
        .first()
        .map(|p| p.balance)
        .unwrap_or(0);
    let next = match open_missions(work, patient).await?.into_iter().next() {
        Some(title) => texts.render("reply.points_next_mission", name, &[("missao", title)])?,
        None => texts.render("reply.points_no_mission", name, &[])?,
    };
    texts.render(
        "reply.points",
        name,
        &[("pontos", balance.to_string()), ("proxima", next)],
    )
}

pub async fn authorization(
    work: &mut Work<'_>,
    texts: &Replies,
    patient: &User,
    name: Option<&str>,
) -> Result<String> {
    let latest = work
        .tx()
        .list::<Authorization>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(patient.id.as_uuid())),
        )
        .await?
        .items
        .into_iter()
        .next();
    let Some(a) = latest else {
        return texts.render("reply.authorization_none", name, &[]);
    };
    work.record(
        AuditEvent::health(AuditAction::Read, "authorizations", Some(a.id.as_uuid()))
            .related("patientId", patient.id.as_uuid())
            .detail("via", "assistant"),
    );
    let codes: Vec<String> = a
        .procedures
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            p.get("tussCode")
                .and_then(|c| c.as_str())
                .map(|c| format!("TUSS {c}"))
        })
        .collect();
    let procedure = if codes.is_empty() {
        "procedimento".to_owned()
    } else {
        format!("procedimento ({})", codes.join(", "))
    };
    let status = texts
        .raw(&format!("authorization_status_names.{}", a.status.as_str()))?
        .to_owned();
    texts.render(
        "reply.authorization_status",
        name,
        &[
            ("procedimento", procedure),
            ("protocolo", a.protocol_number.clone()),
            ("situacao", status),
        ],
    )
}

pub async fn exam_results(
    work: &mut Work<'_>,
    texts: &Replies,
    patient: &User,
    name: Option<&str>,
) -> Result<String> {
    let labs = work
        .tx()
        .list::<HealthData>(&of_patient(patient).filter(
            "data_type",
            Value::Text(HealthDataType::LabResult.as_str().into()),
        ))
        .await?
        .items;
    let reports = work
        .tx()
        .list::<Document>(
            &of_patient(patient).any_of(
                "document_type",
                [DocumentType::LabReport, DocumentType::ImagingReport]
                    .iter()
                    .map(|t| Value::Text(t.as_str().into()))
                    .collect(),
            ),
        )
        .await?
        .items;
    let count = labs.len() + reports.len();
    work.record(
        AuditEvent::health(AuditAction::Read, "health_data", None)
            .related("patientId", patient.id.as_uuid())
            .detail("via", "assistant")
            .detail("count", count),
    );
    let latest = labs
        .iter()
        .map(|h| h.created_at)
        .chain(reports.iter().map(|d| d.created_at))
        .max();
    match latest {
        Some(at) => {
            let date = format!("{:02}/{:02}/{}", at.day(), u8::from(at.month()), at.year());
            texts.render(
                "reply.exam_results_available",
                name,
                &[("quantidade", count.to_string()), ("data", date)],
            )
        }
        None => texts.render("reply.exam_results_none", name, &[]),
    }
}

/// "pressão 140/90 mmHg, glicemia 250 mg/dL".
pub fn readings(analysis: &Analysis) -> String {
    analysis
        .entities_of(EntityKind::VitalSign)
        .map(|e| {
            let what = match e.normalized.as_str() {
                "blood_pressure" => "pressão",
                "glucose" => "glicemia",
                "temperature" => "temperatura",
                "weight" => "peso",
                "heart_rate" => "frequência cardíaca",
                "oxygen_saturation" => "saturação",
                other => other,
            };
            format!(
                "{what} {}{}",
                e.value.as_deref().unwrap_or(""),
                e.unit.map(|u| format!(" {u}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
