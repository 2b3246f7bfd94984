//! Mission definitions (admins) and each patient's progress, badges and the leaderboard.
//! Prerequisites are mission codes and must form a DAG (a cycle is refused, named). Editing a
//! published mission creates a new version: progress and points already earned keep theirs.

use std::collections::BTreeMap;

use austa_domain::EntityId;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, Difficulty, MissionCategory, ProgressStatus, Repeatability};
use austa_domain::gamification::{default_points, find_cycle};
use austa_domain::ids::{MissionId, UserId};
use austa_store::model::{Badge, HealthPoints, Mission, OnboardingProgress, User};
use austa_store::{ListQuery, Value};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::gamification::{current_missions, kinds, period_key, steps_required};
use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MissionInput {
    /// Stable identifier, `a-z 0-9 -` (other missions name it as a prerequisite).
    pub code: String,
    pub title: String,
    pub description: String,
    pub category: MissionCategory,
    pub difficulty: Difficulty,
    /// Default: by difficulty (EASY 10, MEDIUM 25, HARD 50, EXPERT 100).
    pub points: Option<i64>,
    /// Codes of the missions to complete first.
    #[serde(default)]
    pub prerequisites: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub available_from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub available_until: Option<OffsetDateTime>,
    pub repeatability: Repeatability,
    /// A badge code awarded on completion.
    pub badge: Option<String>,
    /// `{"event": "vital_sign_recorded", "kind": "blood_pressure", "count": 3, "withinDays": 7}`.
    #[schema(value_type = Object)]
    pub completion_rule: serde_json::Value,
    /// Published missions count for patients; unpublished ones are drafts.
    #[serde(default)]
    pub publish: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissionView {
    pub id: MissionId,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub description: String,
    pub category: MissionCategory,
    pub difficulty: Difficulty,
    pub points: i64,
    pub prerequisites: serde_json::Value,
    #[serde(with = "time::serde::rfc3339::option")]
    pub available_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub available_until: Option<OffsetDateTime>,
    pub repeatability: Repeatability,
    pub badge: Option<String>,
    #[schema(value_type = Object)]
    pub completion_rule: serde_json::Value,
    pub published: bool,
}

fn view(m: Mission) -> MissionView {
    MissionView {
        id: m.id,
        code: m.code,
        version: m.version,
        title: m.title,
        description: m.description,
        category: m.category,
        difficulty: m.difficulty,
        points: m.points,
        prerequisites: m.prerequisites,
        available_from: m.available_from,
        available_until: m.available_until,
        repeatability: m.repeatability,
        badge: m.badge,
        completion_rule: m.completion_rule,
        published: m.published_at.is_some(),
    }
}

fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The rule, checked: a known event, sensible counts.
fn check_rule(rule: &serde_json::Value) -> Result<()> {
    let invalid = |m: &str| Error::invalid("completionRule", "invalid_rule", m.to_owned());
    let event = rule
        .get("event")
        .and_then(|e| e.as_str())
        .ok_or_else(|| invalid("needs an event"))?;
    if !kinds::ALL.contains(&event) {
        return Err(invalid(&format!(
            "event must be one of {}",
            kinds::ALL.join(", ")
        )));
    }
    for (key, max) in [("count", 1000), ("withinDays", 366), ("consecutiveDays", 366)] {
        if let Some(v) = rule.get(key) {
            match v.as_i64() {
                Some(n) if (1..=max).contains(&n) => {}
                _ => return Err(invalid(&format!("{key} must be a whole number from 1 to {max}"))),
            }
        }
    }
    if rule.get("withinDays").is_some() && rule.get("consecutiveDays").is_some() {
        return Err(invalid("withinDays and consecutiveDays do not go together"));
    }
    Ok(())
}

/// Refuses a definition that would close a prerequisite cycle, naming it.
async fn check_graph(work: &mut Work<'_>, code: &str, prerequisites: &[String]) -> Result<()> {
    let all = work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT))
        .await?
        .items;
    let by_id: BTreeMap<MissionId, String> = all.iter().map(|m| (m.id, m.code.clone())).collect();
    let mut latest: BTreeMap<String, &Mission> = BTreeMap::new();
    for m in &all {
        if latest.get(&m.code).is_none_or(|l| l.version < m.version) {
            latest.insert(m.code.clone(), m);
        }
    }
    for p in prerequisites {
        if !latest.contains_key(p) {
            return Err(Error::invalid(
                "prerequisites",
                "unknown_mission",
                format!("no mission {p:?}"),
            ));
        }
    }
    let mut graph: BTreeMap<String, Vec<String>> = latest
        .iter()
        .map(|(c, m)| {
            let needs = m
                .prerequisites
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .map(|p| {
                    p.parse::<uuid::Uuid>()
                        .ok()
                        .and_then(|u| by_id.get(&MissionId::from_uuid(u)).cloned())
                        .unwrap_or_else(|| p.to_owned())
                })
                .collect();
            (c.clone(), needs)
        })
        .collect();
    graph.insert(code.to_owned(), prerequisites.to_vec());
    if let Some(cycle) = find_cycle(&graph) {
        return Err(Error::invalid(
            "prerequisites",
            "cycle",
            format!("the prerequisites would form a cycle: {}", cycle.join(" → ")),
        ));
    }
    Ok(())
}

async fn admin_only(work: &mut Work<'_>) -> Result<austa_domain::ids::OrganizationId> {
    let org = work.actor.principal.organization().ok_or(Error::Forbidden)?;
    authorize(
        work,
        Action::Update,
        Resource::Organization,
        Target::in_organization(org),
        Some(org.as_uuid()),
    )
    .await?;
    Ok(org)
}

fn row(
    org: austa_domain::ids::OrganizationId,
    input: &MissionInput,
    version: i64,
    now: OffsetDateTime,
) -> Result<Mission> {
    if !code_ok(&input.code) {
        return Err(Error::invalid(
            "code",
            "invalid_code",
            "must be 1 to 64 of a-z, 0-9 and -",
        ));
    }
    check_rule(&input.completion_rule)?;
    if let (Some(from), Some(until)) = (input.available_from, input.available_until)
        && until <= from
    {
        return Err(Error::invalid(
            "availableUntil",
            "before_start",
            "must be after availableFrom",
        ));
    }
    let points = input.points.unwrap_or_else(|| default_points(input.difficulty));
    if !(0..=100_000).contains(&points) {
        return Err(Error::invalid(
            "points",
            "out_of_range",
            "must be between 0 and 100000",
        ));
    }
    if let Some(b) = &input.badge
        && !code_ok(b)
    {
        return Err(Error::invalid(
            "badge",
            "invalid_code",
            "must be 1 to 64 of a-z, 0-9 and -",
        ));
    }
    Ok(Mission {
        id: MissionId::generate(),
        organization_id: org,
        code: input.code.clone(),
        version,
        title: super::required_text("title", &input.title, 200)?,
        description: super::required_text("description", &input.description, 2000)?,
        category: input.category,
        difficulty: input.difficulty,
        points,
        prerequisites: serde_json::json!(input.prerequisites),
        available_from: input.available_from.map(austa_store::value::to_stored_precision),
        available_until: input.available_until.map(austa_store::value::to_stored_precision),
        repeatability: input.repeatability,
        badge: input.badge.clone(),
        completion_rule: input.completion_rule.clone(),
        is_active: true,
        published_at: input.publish.then_some(now),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    })
}

async fn versions(work: &mut Work<'_>, code: &str) -> Result<Vec<Mission>> {
    Ok(work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT).filter("code", Value::Text(code.to_owned())))
        .await?
        .items)
}

pub async fn create(work: &mut Work<'_>, input: MissionInput) -> Result<MissionView> {
    let org = admin_only(work).await?;
    if !versions(work, &input.code).await?.is_empty() {
        return Err(Error::conflict(
            "mission_exists",
            "a mission with this code exists: edit it instead",
        ));
    }
    let now = work.services.clock.now();
    let mission = row(org, &input, 1, now)?;
    check_graph(work, &input.code, &input.prerequisites).await?;
    let created = work.tx().create(&mission).await?;
    work.record(
        AuditEvent::new(AuditAction::Create, "missions")
            .entity(created.id.as_uuid())
            .detail("code", created.code.as_str()),
    );
    Ok(view(created))
}

/// A draft is edited in place; a published mission gets a new version (what was earned keeps
/// the version it was earned under).
pub async fn update(work: &mut Work<'_>, code: &str, input: MissionInput) -> Result<MissionView> {
    let org = admin_only(work).await?;
    if input.code != code {
        return Err(Error::invalid(
            "code",
            "immutable",
            "a mission's code does not change",
        ));
    }
    let mut all = versions(work, code).await?;
    all.sort_by_key(|m| m.version);
    let latest = all.pop().ok_or(Error::NotFound)?;
    let now = work.services.clock.now();
    check_graph(work, code, &input.prerequisites).await?;
    let saved = if latest.published_at.is_none() {
        let mut edited = row(org, &input, latest.version, now)?;
        edited.id = latest.id;
        edited.created_at = latest.created_at;
        work.tx().update(&edited).await?
    } else {
        let mut retired = latest.clone();
        retired.is_active = false;
        retired.updated_at = now;
        work.tx().update(&retired).await?;
        let mut next = row(org, &input, latest.version + 1, now)?;
        if next.published_at.is_none() {
            // An edit of a published mission stays published unless withdrawn explicitly.
            next.published_at = Some(now);
        }
        work.tx().create(&next).await?
    };
    work.record(
        AuditEvent::new(AuditAction::Update, "missions")
            .entity(saved.id.as_uuid())
            .detail("code", saved.code.as_str())
            .detail("version", saved.version),
    );
    Ok(view(saved))
}

/// The current version of every mission (drafts only for staff).
pub async fn list(work: &mut Work<'_>) -> Result<Vec<MissionView>> {
    let org = work.actor.principal.organization().ok_or(Error::Forbidden)?;
    authorize(
        work,
        Action::Read,
        Resource::Organization,
        Target::in_organization(org),
        Some(org.as_uuid()),
    )
    .await?;
    let staff = work.actor.role() != austa_domain::enums::Role::Patient;
    let all = work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT).filter("is_active", Value::Bool(true)))
        .await?
        .items;
    let mut latest: BTreeMap<String, Mission> = BTreeMap::new();
    for m in all.into_iter().filter(|m| staff || m.published_at.is_some()) {
        if latest.get(&m.code).is_none_or(|l| l.version < m.version) {
            latest.insert(m.code.clone(), m);
        }
    }
    Ok(latest.into_values().map(view).collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressView {
    pub mission: MissionView,
    /// `LOCKED`, `AVAILABLE`, `IN_PROGRESS`, `COMPLETED` or `EXPIRED`.
    pub status: ProgressStatus,
    /// The period this is for: `once`, a date, or an ISO week.
    pub period: String,
    pub steps_done: i64,
    pub steps_required: i64,
    pub attempts: i64,
    pub time_spent_seconds: i64,
    pub points_awarded: i64,
    pub badge_awarded: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

/// Every current mission for the patient, with where they stand in the current period.
pub async fn progress(work: &mut Work<'_>, patient: UserId) -> Result<Vec<ProgressView>> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::Points,
        Target::in_organization(user.organization_id).about_patient(patient),
        None,
    )
    .await?;
    let now = work.services.clock.now();
    let today = austa_domain::reminders::zone(&user.timezone)
        .and_then(|z| austa_domain::reminders::local_date(now, &z))
        .and_then(|d| time::Date::parse(&d, time::macros::format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or(now.date());
    let current = current_missions(work).await?;
    let all = work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT))
        .await?
        .items;
    let code_of: BTreeMap<MissionId, String> = all.iter().map(|m| (m.id, m.code.clone())).collect();
    let rows = work
        .tx()
        .list::<OnboardingProgress>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("user_id", Value::Uuid(patient.as_uuid())),
        )
        .await?
        .items;
    let completed: Vec<&String> = rows
        .iter()
        .filter(|p| p.status == ProgressStatus::Completed)
        .filter_map(|p| code_of.get(&p.mission_id))
        .collect();
    let mut out = Vec::new();
    for m in current {
        let period = period_key(m.repeatability, today);
        let row = rows
            .iter()
            .find(|p| p.period_key == period && code_of.get(&p.mission_id) == Some(&m.code));
        let prerequisites_done = m
            .prerequisites
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .map(|p| {
                p.parse::<uuid::Uuid>()
                    .ok()
                    .and_then(|u| code_of.get(&MissionId::from_uuid(u)).cloned())
                    .unwrap_or_else(|| p.to_owned())
            })
            .all(|p| completed.contains(&&p));
        let expired = m.available_until.is_some_and(|u| u < now);
        let status = match row.map(|r| r.status) {
            Some(ProgressStatus::Completed) => ProgressStatus::Completed,
            _ if expired => ProgressStatus::Expired,
            _ if !prerequisites_done => ProgressStatus::Locked,
            Some(ProgressStatus::InProgress) => ProgressStatus::InProgress,
            _ => ProgressStatus::Available,
        };
        out.push(ProgressView {
            status,
            period,
            steps_done: row.map(|r| r.steps_done).unwrap_or(0),
            steps_required: row
                .map(|r| r.steps_required)
                .unwrap_or_else(|| steps_required(&m.completion_rule)),
            attempts: row.map(|r| r.attempts).unwrap_or(0),
            time_spent_seconds: row.map(|r| r.time_spent_seconds).unwrap_or(0),
            points_awarded: row.map(|r| r.points_awarded).unwrap_or(0),
            badge_awarded: row.and_then(|r| r.badge_awarded.clone()),
            completed_at: row.and_then(|r| r.completed_at),
            mission: view(m),
        });
    }
    work.record(
        AuditEvent::new(AuditAction::Read, "onboarding_progress").related("patientId", patient.as_uuid()),
    );
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeView {
    pub code: String,
    #[serde(with = "time::serde::rfc3339")]
    pub awarded_at: OffsetDateTime,
    /// Private unless the patient chose to show it.
    pub is_public: bool,
}

pub async fn badges(work: &mut Work<'_>, patient: UserId) -> Result<Vec<BadgeView>> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::Points,
        Target::in_organization(user.organization_id).about_patient(patient),
        None,
    )
    .await?;
    let items = work
        .tx()
        .list::<Badge>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("user_id", Value::Uuid(patient.as_uuid())),
        )
        .await?
        .items;
    Ok(items
        .into_iter()
        .map(|b| BadgeView {
            code: b.code,
            awarded_at: b.awarded_at,
            is_public: b.is_public,
        })
        .collect())
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// Appear on the organization's leaderboard.
    pub leaderboard_opt_in: Option<bool>,
    /// The name shown there (empty: an anonymous label).
    pub leaderboard_name: Option<String>,
    /// Badge codes to show publicly (the others are private).
    pub public_badges: Option<Vec<String>>,
}

/// The patient's own choices (or staff's on their behalf).
pub async fn set_preferences(work: &mut Work<'_>, patient: UserId, prefs: Preferences) -> Result<()> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Update,
        Resource::Patient,
        Target::in_organization(user.organization_id)
            .about_patient(patient)
            .person(patient),
        Some(patient.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    if prefs.leaderboard_opt_in.is_some() || prefs.leaderboard_name.is_some() {
        let mut account = super::points::lock_account(work, patient).await?;
        if let Some(opt) = prefs.leaderboard_opt_in {
            account.leaderboard_opt_in = opt;
        }
        if let Some(name) = &prefs.leaderboard_name {
            let name = name.trim();
            if name.chars().count() > 40 {
                return Err(Error::invalid(
                    "leaderboardName",
                    "too_long",
                    "must have at most 40 characters",
                ));
            }
            account.leaderboard_name = (!name.is_empty()).then(|| name.to_owned());
        }
        account.updated_at = now;
        work.tx().update(&account).await?;
    }
    if let Some(public) = &prefs.public_badges {
        let items = work
            .tx()
            .list::<Badge>(
                &ListQuery::first(ListQuery::MAX_LIMIT).filter("user_id", Value::Uuid(patient.as_uuid())),
            )
            .await?
            .items;
        for mut b in items {
            let show = public.contains(&b.code);
            if b.is_public != show {
                b.is_public = show;
                b.updated_at = now;
                work.tx().update(&b).await?;
            }
        }
    }
    work.record(
        AuditEvent::personal(AuditAction::Update, "health_points", None)
            .related("patientId", patient.as_uuid())
            .detail("preferences", true),
    );
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardEntry {
    pub rank: usize,
    /// The name the patient chose, or an anonymous label.
    pub name: String,
    pub level: i64,
    pub experience: i64,
    pub current_streak: i64,
}

/// Opted-in patients only, by experience.
pub async fn leaderboard(work: &mut Work<'_>, limit: usize) -> Result<Vec<LeaderboardEntry>> {
    let org = work.actor.principal.organization().ok_or(Error::Forbidden)?;
    authorize(
        work,
        Action::Read,
        Resource::Organization,
        Target::in_organization(org),
        Some(org.as_uuid()),
    )
    .await?;
    let mut accounts = work
        .tx()
        .list::<HealthPoints>(
            &ListQuery::first(ListQuery::MAX_LIMIT).filter("leaderboard_opt_in", Value::Bool(true)),
        )
        .await?
        .items;
    accounts.sort_by(|a, b| {
        b.experience
            .cmp(&a.experience)
            .then(a.id.as_uuid().cmp(&b.id.as_uuid()))
    });
    Ok(accounts
        .into_iter()
        .take(limit.clamp(1, 100))
        .enumerate()
        .map(|(i, a)| LeaderboardEntry {
            rank: i + 1,
            name: a
                .leaderboard_name
                .unwrap_or_else(|| format!("Participante {}", i + 1)),
            level: a.level,
            experience: a.experience,
            current_streak: a.current_streak,
        })
        .collect())
}
