//! Starting a new beneficiary's onboarding: a progress row for each of the organization's active,
//! published onboarding missions, available when it has no prerequisite and locked otherwise. The
//! gamification engine (missions, points) moves them on from there.

use austa_domain::enums::{MissionCategory, ProgressStatus};
use austa_domain::ids::{OnboardingProgressId, OrganizationId, UserId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::{Mission, OnboardingProgress};
use austa_store::{ListQuery, Tx, Value};
use time::OffsetDateTime;

use crate::error::Result;

/// How many times a mission's completion rule asks for its event (`count`, or consecutive days).
fn steps_required(mission: &Mission) -> i64 {
    let rule = &mission.completion_rule;
    rule.get("count")
        .or_else(|| rule.get("consecutiveDays"))
        .and_then(|v| v.as_i64())
        .unwrap_or(1)
        .clamp(1, 1000)
}

/// Creates the progress rows; returns how many.
pub async fn start(tx: &mut dyn Tx, org: OrganizationId, user: UserId, now: OffsetDateTime) -> Result<usize> {
    let missions = tx
        .list::<Mission>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter(
                    "category",
                    Value::Text(MissionCategory::Onboarding.as_str().into()),
                )
                .filter("is_active", Value::Bool(true)),
        )
        .await?
        .items;
    let mut created = 0;
    for mission in missions.iter().filter(|m| m.published_at.is_some()) {
        let has_prerequisites = mission.prerequisites.as_array().is_some_and(|p| !p.is_empty());
        tx.create(&OnboardingProgress {
            id: OnboardingProgressId::generate(),
            organization_id: org,
            user_id: user,
            mission_id: mission.id,
            mission_version: mission.version,
            period_key: "once".into(),
            status: if has_prerequisites {
                ProgressStatus::Locked
            } else {
                ProgressStatus::Available
            },
            steps_done: 0,
            steps_required: steps_required(mission),
            attempts: 0,
            started_at: None,
            completed_at: None,
            time_spent_seconds: 0,
            points_awarded: 0,
            badge_awarded: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?;
        created += 1;
    }
    Ok(created)
}
