//! Break-glass: a provider outside a patient's care team asks for emergency access to the patient's
//! restricted health data. A reason is required, the grant expires, and everything done with it is
//! flagged for review (risk CRITICAL).

use austa_crypto::envelope::Field;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{BreakGlassGrantId, UserId};
use austa_domain::{EntityId, Subject};
use austa_store::model::{BreakGlassGrant, User};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const REASON_FIELD: Field = Field::new("break_glass_grants", "reason_encrypted");
pub const DEFAULT_MINUTES: i64 = 60;
pub const MAX_MINUTES: i64 = 240;

#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    pub reason: String,
    pub duration_minutes: Option<i64>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BreakGlassRequest([redacted])")
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: BreakGlassGrantId,
    pub patient_id: UserId,
    pub provider_user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub requires_review: bool,
}

pub async fn open(work: &mut Work<'_>, patient_id: UserId, request: Request) -> Result<Grant> {
    let patient = match work.tx().find::<User>(patient_id).await? {
        Some(user) if user.role == Role::Patient => user,
        _ => return Err(Error::NotFound),
    };
    let target = Target::in_organization(patient.organization_id).about_patient(patient_id);
    authorize(
        work,
        Action::Create,
        Resource::BreakGlass,
        target,
        Some(patient_id.as_uuid()),
    )
    .await?;
    let Subject::User(provider) = work.actor.principal.subject() else {
        return Err(Error::Forbidden);
    };
    let reason = request.reason.trim();
    if reason.chars().count() < 10 {
        return Err(Error::invalid(
            "reason",
            "too_short",
            "explain the emergency in at least 10 characters",
        ));
    }
    if reason.chars().count() > 2000 {
        return Err(Error::invalid(
            "reason",
            "too_long",
            "must have at most 2000 characters",
        ));
    }
    let minutes = request.duration_minutes.unwrap_or(DEFAULT_MINUTES);
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(Error::invalid(
            "durationMinutes",
            "out_of_range",
            format!("must be between 1 and {MAX_MINUTES}"),
        ));
    }
    let now = work.services.clock.now();
    let id = BreakGlassGrantId::generate();
    let org = patient.organization_id;
    let services = work.services;
    let sealed = services
        .keys
        .encrypt(work.tx(), org, REASON_FIELD, id.as_uuid(), reason.as_bytes())
        .await?;
    let grant = BreakGlassGrant {
        id,
        organization_id: org,
        provider_user_id: provider,
        patient_id,
        reason_encrypted: sealed,
        expires_at: now + Duration::minutes(minutes),
        revoked_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    work.tx().create(&grant).await?;
    work.record(
        AuditEvent::health(AuditAction::BreakGlass, "break_glass_grants", Some(id.as_uuid()))
            .related("patientId", patient_id.as_uuid())
            .risk(RiskLevel::Critical)
            .needs_review()
            .detail("durationMinutes", minutes),
    );
    Ok(Grant {
        id,
        patient_id,
        provider_user_id: provider,
        expires_at: grant.expires_at,
        requires_review: true,
    })
}
