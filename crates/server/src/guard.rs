//! Enforcement of the access policy: looks up what the policy needs (care team, break-glass), asks
//! `austa_domain::access::decide`, and turns a denial into an error that carries its audit entry. The
//! denial is recorded by [`crate::work::transact`] after the work is rolled back, in its own
//! transaction, so a denied request still leaves its trace.

use austa_domain::access::{self, Action, Decision, Denial, Relations, Resource, Target};
use austa_domain::enums::{AccessLevel, AuditAction, RiskLevel, Role, SensitivityLevel};
use austa_domain::{EntityId, Subject};
use austa_store::model::{BreakGlassGrant, CareAssignment};
use austa_store::{Cmp, ListQuery, Value};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::work::Work;

pub fn resource_name(resource: Resource) -> &'static str {
    match resource {
        Resource::Organization => "organizations",
        Resource::Patient | Resource::Staff => "users",
        Resource::ProviderRegistration => "providers",
        Resource::HealthData => "health_data",
        Resource::Conversation => "conversations",
        Resource::Message => "messages",
        Resource::AuditLog => "audit_logs",
        Resource::BreakGlass => "break_glass_grants",
        Resource::CareTeam => "care_assignments",
        Resource::ApiKey => "api_keys",
        Resource::Alert => "alerts",
        Resource::MedicationReminder => "medication_reminders",
        Resource::Points => "point_transactions",
        Resource::Authorization => "authorizations",
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Delete => "delete",
    }
}

/// Allows or fails with [`Error::Denied`]. Returns how access was obtained, so reads under break-glass
/// can be flagged for review.
pub async fn authorize(
    work: &mut Work<'_>,
    action: Action,
    resource: Resource,
    target: Target,
    entity: Option<Uuid>,
) -> Result<Relations> {
    let relations = relations(work, resource, &target).await?;
    match access::decide(&work.actor.principal, action, resource, &target, relations) {
        Decision::Allow => Ok(relations),
        Decision::Deny(denial) => {
            let crossed = work
                .actor
                .principal
                .organization()
                .is_some_and(|org| org != target.organization);
            let mut event = AuditEvent::new(AuditAction::AccessDenied, resource_name(resource))
                .risk(if crossed || denial == Denial::NeedsCareTeamOrBreakGlass {
                    RiskLevel::High
                } else {
                    RiskLevel::Medium
                })
                .detail("action", action_name(action))
                .detail(
                    "reason",
                    match denial {
                        Denial::Forbidden => "role",
                        Denial::Hidden => "scope",
                        Denial::NeedsCareTeamOrBreakGlass => "restricted_health_data",
                    },
                );
            event.entity_id = entity;
            if resource == Resource::HealthData || resource == Resource::Patient {
                event.hipaa_relevant = resource == Resource::HealthData;
                event.lgpd_relevant = true;
            }
            Err(Error::Denied {
                hidden: denial == Denial::Hidden,
                event: Box::new(event),
            })
        }
    }
}

/// Care team and break-glass matter only to a provider reaching restricted health data.
async fn relations(work: &mut Work<'_>, resource: Resource, target: &Target) -> Result<Relations> {
    let restricted = target.sensitivity == Some(SensitivityLevel::Confidential)
        || target.access_level == Some(AccessLevel::CareTeam);
    let (Role::Provider, Resource::HealthData, true, Some(patient), Subject::User(me)) = (
        work.actor.role(),
        resource,
        restricted,
        target.patient,
        work.actor.principal.subject(),
    ) else {
        return Ok(Relations::default());
    };
    if work.actor.principal.organization() != Some(target.organization) {
        return Ok(Relations::default());
    }
    let now = work.services.clock.now();
    let team = work
        .tx()
        .list::<CareAssignment>(
            &ListQuery::first(1)
                .filter("patient_id", Value::Uuid(patient.as_uuid()))
                .filter("provider_user_id", Value::Uuid(me.as_uuid())),
        )
        .await?;
    let grants = work
        .tx()
        .list::<BreakGlassGrant>(
            &ListQuery::first(1)
                .filter("patient_id", Value::Uuid(patient.as_uuid()))
                .filter("provider_user_id", Value::Uuid(me.as_uuid()))
                .filter("revoked_at", Value::Null)
                .compare("expires_at", Cmp::Gt, Value::Time(now)),
        )
        .await?;
    Ok(Relations {
        in_care_team: !team.items.is_empty(),
        break_glass: !grants.items.is_empty(),
    })
}
