//! A patient's care team: the providers who read the patient's restricted (CONFIDENTIAL or
//! care-team) health data without break-glass. Admins assign and remove; providers see who is in it.

use austa_domain::EntityId;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{CareAssignmentId, UserId};
use austa_store::model::{CareAssignment, User};
use austa_store::{ListQuery, StoreError, Value};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: CareAssignmentId,
    pub patient_id: UserId,
    pub provider_user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMember {
    pub provider_user_id: UserId,
}

async fn patient(work: &mut Work<'_>, id: UserId) -> Result<User> {
    match work.tx().find::<User>(id).await? {
        Some(user) if user.role == Role::Patient => Ok(user),
        _ => Err(Error::NotFound),
    }
}

fn member(a: CareAssignment) -> Member {
    Member {
        id: a.id,
        patient_id: a.patient_id,
        provider_user_id: a.provider_user_id,
        since: a.created_at,
    }
}

pub async fn list(work: &mut Work<'_>, patient_id: UserId) -> Result<Vec<Member>> {
    let patient = patient(work, patient_id).await?;
    let target = Target::in_organization(patient.organization_id).about_patient(patient_id);
    authorize(
        work,
        Action::Read,
        Resource::CareTeam,
        target,
        Some(patient_id.as_uuid()),
    )
    .await?;
    let page = work
        .tx()
        .list::<CareAssignment>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("patient_id", Value::Uuid(patient_id.as_uuid())),
        )
        .await?;
    Ok(page.items.into_iter().map(member).collect())
}

pub async fn add(work: &mut Work<'_>, patient_id: UserId, input: NewMember) -> Result<Member> {
    let patient = patient(work, patient_id).await?;
    let org = patient.organization_id;
    authorize(
        work,
        Action::Create,
        Resource::CareTeam,
        Target::in_organization(org).about_patient(patient_id),
        Some(patient_id.as_uuid()),
    )
    .await?;
    match work.tx().find::<User>(input.provider_user_id).await? {
        Some(user) if user.role == Role::Provider && user.is_active => {}
        _ => {
            return Err(Error::invalid(
                "providerUserId",
                "not_a_provider",
                "must be an active provider of the organization",
            ));
        }
    }
    let now = work.services.clock.now();
    let assignment = CareAssignment {
        id: CareAssignmentId::generate(),
        organization_id: org,
        patient_id,
        provider_user_id: input.provider_user_id,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&assignment).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => {
            Error::conflict("already_in_care_team", "the provider is already in the care team")
        }
        other => other.into(),
    })?;
    work.record(
        AuditEvent::health(
            AuditAction::Create,
            "care_assignments",
            Some(assignment.id.as_uuid()),
        )
        .related("patientId", patient_id.as_uuid())
        .related("providerUserId", input.provider_user_id.as_uuid())
        .risk(RiskLevel::High),
    );
    Ok(member(created))
}

pub async fn remove(work: &mut Work<'_>, patient_id: UserId, provider: UserId) -> Result<()> {
    let patient = patient(work, patient_id).await?;
    let org = patient.organization_id;
    authorize(
        work,
        Action::Delete,
        Resource::CareTeam,
        Target::in_organization(org).about_patient(patient_id),
        Some(patient_id.as_uuid()),
    )
    .await?;
    let found = work
        .tx()
        .list::<CareAssignment>(
            &ListQuery::first(1)
                .filter("patient_id", Value::Uuid(patient_id.as_uuid()))
                .filter("provider_user_id", Value::Uuid(provider.as_uuid())),
        )
        .await?
        .items
        .into_iter()
        .next()
        .ok_or(Error::NotFound)?;
    let now = work.services.clock.now();
    work.tx().soft_delete::<CareAssignment>(found.id, now).await?;
    work.record(
        AuditEvent::health(AuditAction::Delete, "care_assignments", Some(found.id.as_uuid()))
            .related("patientId", patient_id.as_uuid())
            .related("providerUserId", provider.as_uuid()),
    );
    Ok(())
}
