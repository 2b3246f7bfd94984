//! The gamification engine: a server-side event (never a client's claim) → engagement points
//! within a daily cap → daily and weekly streaks in the patient's own time zone (with monthly
//! freezes) → mission progress by each mission's completion rule → mission points, badge, and the
//! missions it unlocks. One transaction, with the patient's points account locked first: two
//! workers with the same event, or a webhook delivered five times, count once, and a failure
//! anywhere leaves nothing half-written.
//!
//! A completion rule is JSON: `{"event": "vital_sign_recorded", "kind": "blood_pressure",
//! "count": 3, "withinDays": 7}` — the event, filters on its detail (every other key), and how
//! many times (`count`, default 1), optionally within a sliding window (`withinDays`), or on
//! consecutive local days (`consecutiveDays`).

use std::collections::{BTreeMap, BTreeSet};

use austa_domain::enums::{AuditAction, MissionCategory, PointSource, ProgressStatus, Repeatability};
use austa_domain::gamification::{Streak, day_number, record_activity, week_number};
use austa_domain::ids::{BadgeId, GamificationEventId, MissionId, OnboardingProgressId};
use austa_domain::reminders::zone;
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::{
    Badge, GamificationEvent, HealthPoints, Mission, OnboardingProgress, Organization, User,
};
use austa_store::{Cmp, ListQuery, Value};
use serde_json::{Value as Json, json};
use time::{Date, OffsetDateTime};

use super::points::{self, Applied, Entry};
use crate::audit::AuditEvent;
use crate::error::Result;
use crate::work::Work;

/// The server-side events that count.
pub mod kinds {
    pub const MESSAGE_RECEIVED: &str = "message_received";
    pub const CONSENT_GIVEN: &str = "consent_given";
    pub const VITAL_SIGN_RECORDED: &str = "vital_sign_recorded";
    pub const SYMPTOM_REPORTED: &str = "symptom_reported";
    pub const MEDICATION_TAKEN: &str = "medication_taken";
    pub const DOCUMENT_SENT: &str = "document_sent";
    pub const DOCUMENT_VERIFIED: &str = "document_verified";
    pub const QUESTIONNAIRE_ANSWERED: &str = "questionnaire_answered";
    pub const ALL: &[&str] = &[
        MESSAGE_RECEIVED,
        CONSENT_GIVEN,
        VITAL_SIGN_RECORDED,
        SYMPTOM_REPORTED,
        MEDICATION_TAKEN,
        DOCUMENT_SENT,
        DOCUMENT_VERIFIED,
        QUESTIONNAIRE_ANSWERED,
    ];
}

/// Engagement points per event unless `settings.gamification.engagement` says otherwise.
fn default_engagement(kind: &str) -> i64 {
    match kind {
        kinds::MESSAGE_RECEIVED => 1,
        kinds::VITAL_SIGN_RECORDED
        | kinds::MEDICATION_TAKEN
        | kinds::DOCUMENT_SENT
        | kinds::SYMPTOM_REPORTED => 5,
        kinds::CONSENT_GIVEN | kinds::DOCUMENT_VERIFIED | kinds::QUESTIONNAIRE_ANSWERED => 10,
        _ => 0,
    }
}

const DEFAULT_DAILY_ENGAGEMENT_CAP: i64 = 30;
const DEFAULT_FREEZES_PER_MONTH: i64 = 2;

/// Rule keys that are not filters on the event's detail.
const RULE_KEYS: &[&str] = &["event", "count", "withinDays", "consecutiveDays"];

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: &'static str,
    /// Unique per patient: the same key is one event however often it arrives.
    pub key: String,
    pub at: OffsetDateTime,
    /// Codes only (`{"kind": "blood_pressure"}`), matched by mission rules' filters.
    pub detail: Json,
}

/// What an event did, for the caller to tell the patient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The event had been counted before: nothing changed.
    pub duplicate: bool,
    pub engagement_points: i64,
    /// Missions completed now: (title, points).
    pub completed: Vec<(String, i64)>,
    pub badges: Vec<String>,
    /// Streak freezes used to keep the daily streak (the patient is told).
    pub freezes_used: i64,
    pub level_up: Option<(i64, i64)>,
    pub daily_streak: i64,
}

fn setting<'a>(org: &'a Organization, key: &str) -> Option<&'a Json> {
    org.settings.get("gamification").and_then(|g| g.get(key))
}

/// The period a mission's progress belongs to: once, the local date, or the ISO week.
pub fn period_key(repeatability: Repeatability, local: Date) -> String {
    match repeatability {
        Repeatability::Once => "once".into(),
        Repeatability::Daily => local.to_string(),
        Repeatability::Weekly => {
            let (year, week, _) = local.to_iso_week_date();
            format!("{year}-W{week:02}")
        }
    }
}

/// How many times a rule asks for its event.
pub fn steps_required(rule: &Json) -> i64 {
    rule.get("count")
        .or_else(|| rule.get("consecutiveDays"))
        .and_then(|v| v.as_i64())
        .unwrap_or(1)
        .clamp(1, 1000)
}

/// Does the event satisfy the rule's filters?
fn matches(rule: &Json, kind: &str, detail: &Json) -> bool {
    if rule.get("event").and_then(|e| e.as_str()) != Some(kind) {
        return false;
    }
    rule.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !RULE_KEYS.contains(&k.as_str()))
        .all(|(k, v)| detail.get(k) == Some(v))
}

fn local_date(at: OffsetDateTime, tz: &str) -> Date {
    let day = zone(tz)
        .and_then(|z| austa_domain::reminders::local_date(at, &z))
        .and_then(|d| Date::parse(&d, time::macros::format_description!("[year]-[month]-[day]")).ok());
    day.unwrap_or(at.date())
}

/// The latest active, published version of each mission of the organization.
pub async fn current_missions(work: &mut Work<'_>) -> Result<Vec<Mission>> {
    let all = work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT).filter("is_active", Value::Bool(true)))
        .await?
        .items;
    let mut latest: BTreeMap<String, Mission> = BTreeMap::new();
    for m in all.into_iter().filter(|m| m.published_at.is_some()) {
        match latest.get(&m.code) {
            Some(existing) if existing.version >= m.version => {}
            _ => {
                latest.insert(m.code.clone(), m);
            }
        }
    }
    Ok(latest.into_values().collect())
}

/// A mission's prerequisites: codes or (older definitions) ids of other missions.
fn prerequisites(m: &Mission, by_id: &BTreeMap<MissionId, String>) -> Vec<String> {
    m.prerequisites
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
        .collect()
}

/// The codes of the missions the patient has completed (any period).
async fn completed_codes(
    work: &mut Work<'_>,
    user: &User,
    by_id: &BTreeMap<MissionId, String>,
) -> Result<BTreeSet<String>> {
    let rows = work
        .tx()
        .list::<OnboardingProgress>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("status", Value::Text(ProgressStatus::Completed.as_str().into())),
        )
        .await?
        .items;
    Ok(rows
        .iter()
        .filter_map(|p| by_id.get(&p.mission_id).cloned())
        .collect())
}

/// Makes sure the account exists inside this transaction (callers that can, call
/// `points::ensure_account` before, so that two first events never race to create it).
async fn account(work: &mut Work<'_>, user: &User, now: OffsetDateTime) -> Result<HealthPoints> {
    let found = work
        .tx()
        .list::<HealthPoints>(&ListQuery::first(1).filter("user_id", Value::Uuid(user.id.as_uuid())))
        .await?
        .items;
    if found.is_empty() {
        work.tx()
            .create(&points::new_account(user.organization_id, user.id, now))
            .await?;
    }
    points::lock_account(work, user.id).await
}

/// Records one event and everything it earns.
pub async fn record(work: &mut Work<'_>, user: &User, event: Event) -> Result<Outcome> {
    let now = work.services.clock.now();
    account(work, user, now).await?;
    let mut outcome = Outcome::default();
    let seen = work
        .tx()
        .list::<GamificationEvent>(
            &ListQuery::first(1)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("event_key", Value::Text(event.key.clone())),
        )
        .await?;
    if !seen.items.is_empty() {
        outcome.duplicate = true;
        return Ok(outcome);
    }
    let organization = work.tx().get::<Organization>(user.organization_id).await?;
    let today = local_date(event.at, &user.timezone);

    // Engagement points, within the daily cap (distinct events only: the key makes them so).
    let base = setting(&organization, "engagement")
        .and_then(|e| e.get(event.kind))
        .and_then(|v| v.as_i64())
        .unwrap_or_else(|| default_engagement(event.kind))
        .max(0);
    let cap = setting(&organization, "dailyEngagementCap")
        .and_then(|v| v.as_i64())
        .unwrap_or(DEFAULT_DAILY_ENGAGEMENT_CAP);
    let earned_today: i64 = work
        .tx()
        .list::<GamificationEvent>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("local_date", Value::Text(today.to_string())),
        )
        .await?
        .items
        .iter()
        .map(|e| e.points)
        .sum();
    let grant = base.min(cap - earned_today).max(0);
    let stored = GamificationEvent {
        id: GamificationEventId::generate(),
        organization_id: user.organization_id,
        user_id: user.id,
        kind: event.kind.to_owned(),
        event_key: event.key.clone(),
        occurred_at: event.at,
        local_date: today.to_string(),
        detail: event.detail.clone(),
        points: grant,
        created_at: now,
    };
    work.tx().create(&stored).await?;
    if grant > 0 {
        let applied = points::apply(
            work,
            user,
            Entry {
                source: PointSource::Engagement,
                amount: grant,
                reason: format!("evento: {}", event.kind),
                mission: None,
                idempotency_key: format!("event:{}", event.key),
                metadata: json!({"event": event.kind}),
            },
        )
        .await?;
        if let Applied::New { level_up, .. } = applied {
            outcome.level_up = outcome.level_up.or(level_up);
        }
        outcome.engagement_points = grant;
    }

    missions(work, user, &event, today, &mut outcome).await?;
    streaks(work, user, &organization, today, &mut outcome).await?;
    Ok(outcome)
}

async fn streaks(
    work: &mut Work<'_>,
    user: &User,
    org: &Organization,
    today: Date,
    outcome: &mut Outcome,
) -> Result<()> {
    let now = work.services.clock.now();
    let mut account = points::lock_account(work, user.id).await?;
    let month = format!("{}-{:02}", today.year(), u8::from(today.month()));
    if account.freezes_month.as_deref() != Some(month.as_str()) {
        account.streak_freezes_available = setting(org, "freezesPerMonth")
            .and_then(|v| v.as_i64())
            .unwrap_or(DEFAULT_FREEZES_PER_MONTH)
            .clamp(0, 31);
        account.freezes_month = Some(month);
    }
    let daily = record_activity(
        Streak {
            current: account.current_streak,
            longest: account.longest_streak,
            last_period: account.last_activity_on.map(day_number),
            freezes_available: account.streak_freezes_available,
        },
        day_number(today),
    );
    if account.last_activity_on.is_none_or(|d| d < today) {
        account.last_activity_on = Some(today);
    }
    account.current_streak = daily.streak.current;
    account.longest_streak = daily.streak.longest;
    account.streak_freezes_available = daily.streak.freezes_available;
    let weekly = record_activity(
        Streak {
            current: account.weekly_streak,
            longest: account.longest_weekly_streak,
            last_period: account.last_active_week,
            freezes_available: 0,
        },
        week_number(today),
    );
    account.weekly_streak = weekly.streak.current;
    account.longest_weekly_streak = weekly.streak.longest;
    account.last_active_week = weekly.streak.last_period;
    account.updated_at = now;
    work.tx().update(&account).await?;
    outcome.freezes_used = daily.freezes_used;
    outcome.daily_streak = account.current_streak;
    if daily.freezes_used > 0 {
        work.record(
            AuditEvent::new(AuditAction::Update, "health_points")
                .related("patientId", user.id.as_uuid())
                .detail("streakFreezesUsed", daily.freezes_used),
        );
    }
    Ok(())
}

async fn missions(
    work: &mut Work<'_>,
    user: &User,
    event: &Event,
    today: Date,
    outcome: &mut Outcome,
) -> Result<()> {
    let now = work.services.clock.now();
    let current = current_missions(work).await?;
    let all_versions = work
        .tx()
        .list::<Mission>(&ListQuery::first(ListQuery::MAX_LIMIT))
        .await?
        .items;
    let by_id: BTreeMap<MissionId, String> = all_versions.iter().map(|m| (m.id, m.code.clone())).collect();
    let mut completed = completed_codes(work, user, &by_id).await?;
    for mission in current
        .iter()
        .filter(|m| matches(&m.completion_rule, event.kind, &event.detail))
    {
        if mission.available_from.is_some_and(|f| event.at < f)
            || mission.available_until.is_some_and(|u| event.at > u)
        {
            continue;
        }
        if !prerequisites(mission, &by_id)
            .iter()
            .all(|p| completed.contains(p))
        {
            continue;
        }
        let period = period_key(mission.repeatability, today);
        let versions: Vec<MissionId> = all_versions
            .iter()
            .filter(|m| m.code == mission.code)
            .map(|m| m.id)
            .collect();
        let existing = work
            .tx()
            .list::<OnboardingProgress>(
                &ListQuery::first(ListQuery::MAX_LIMIT)
                    .filter("user_id", Value::Uuid(user.id.as_uuid()))
                    .filter("period_key", Value::Text(period.clone())),
            )
            .await?
            .items
            .into_iter()
            .find(|p| versions.contains(&p.mission_id));
        let rule = &mission.completion_rule;
        let mut progress = match existing {
            Some(p) if p.status == ProgressStatus::Completed => continue,
            Some(p) => p,
            None => {
                let row = OnboardingProgress {
                    id: OnboardingProgressId::generate(),
                    organization_id: user.organization_id,
                    user_id: user.id,
                    mission_id: mission.id,
                    mission_version: mission.version,
                    period_key: period.clone(),
                    status: ProgressStatus::InProgress,
                    steps_done: 0,
                    steps_required: steps_required(rule),
                    attempts: 0,
                    started_at: Some(event.at),
                    completed_at: None,
                    time_spent_seconds: 0,
                    points_awarded: 0,
                    badge_awarded: None,
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                };
                work.tx().create(&row).await?
            }
        };
        progress.attempts += 1;
        progress.started_at = progress.started_at.or(Some(event.at));
        progress.status = ProgressStatus::InProgress;
        progress.steps_done = steps_done(work, user, rule, event, today, progress.steps_done).await?;
        progress.time_spent_seconds = progress
            .started_at
            .map(|s| (event.at - s).whole_seconds().max(0))
            .unwrap_or(0);
        if progress.steps_done >= progress.steps_required {
            complete(work, user, mission, &mut progress, event.at, outcome).await?;
            completed.insert(mission.code.clone());
        }
        progress.updated_at = now;
        work.tx().update(&progress).await?;
    }
    unlock(work, user, &current, &by_id, &completed).await
}

/// Steps done after this event, by the rule's kind of count.
async fn steps_done(
    work: &mut Work<'_>,
    user: &User,
    rule: &Json,
    event: &Event,
    today: Date,
    before: i64,
) -> Result<i64> {
    let within = rule.get("withinDays").and_then(|v| v.as_i64());
    let consecutive = rule.get("consecutiveDays").and_then(|v| v.as_i64());
    if within.is_none() && consecutive.is_none() {
        return Ok(before + 1);
    }
    let horizon = within.or(consecutive).unwrap_or(1).clamp(1, 366);
    let events = work
        .tx()
        .list::<GamificationEvent>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("kind", Value::Text(event.kind.to_owned()))
                .compare(
                    "occurred_at",
                    Cmp::Gt,
                    Value::Time(event.at - time::Duration::days(horizon + 1)),
                ),
        )
        .await?
        .items;
    let relevant: Vec<&GamificationEvent> = events
        .iter()
        .filter(|e| matches(rule, &e.kind, &e.detail))
        .collect();
    if let Some(days) = within {
        let since = event.at - time::Duration::days(days);
        return Ok(relevant
            .iter()
            .filter(|e| e.occurred_at > since && e.occurred_at <= event.at)
            .count() as i64);
    }
    // Consecutive local days ending today.
    let days: BTreeSet<i64> = relevant
        .iter()
        .filter_map(|e| {
            Date::parse(
                &e.local_date,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()
        })
        .map(day_number)
        .collect();
    let mut run = 0;
    let mut day = day_number(today);
    while days.contains(&day) {
        run += 1;
        day -= 1;
    }
    Ok(run)
}

async fn complete(
    work: &mut Work<'_>,
    user: &User,
    mission: &Mission,
    progress: &mut OnboardingProgress,
    at: OffsetDateTime,
    outcome: &mut Outcome,
) -> Result<()> {
    let now = work.services.clock.now();
    progress.status = ProgressStatus::Completed;
    progress.completed_at = Some(at);
    if mission.points > 0 {
        let applied = points::apply(
            work,
            user,
            Entry {
                source: PointSource::Mission,
                amount: mission.points,
                reason: format!("missão: {}", mission.code),
                mission: Some(mission.id),
                idempotency_key: format!("mission:{}:{}", mission.code, progress.period_key),
                metadata: json!({"missionVersion": mission.version}),
            },
        )
        .await?;
        if let Applied::New { level_up, .. } = applied {
            progress.points_awarded = mission.points;
            outcome.level_up = outcome.level_up.or(level_up);
        }
    }
    if let Some(code) = &mission.badge {
        let has = !work
            .tx()
            .list::<Badge>(
                &ListQuery::first(1)
                    .filter("user_id", Value::Uuid(user.id.as_uuid()))
                    .filter("code", Value::Text(code.clone())),
            )
            .await?
            .items
            .is_empty();
        if !has {
            work.tx()
                .create(&Badge {
                    id: BadgeId::generate(),
                    organization_id: user.organization_id,
                    user_id: user.id,
                    code: code.clone(),
                    mission_id: Some(mission.id),
                    awarded_at: at,
                    is_public: false,
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                })
                .await?;
            progress.badge_awarded = Some(code.clone());
            outcome.badges.push(code.clone());
        }
    }
    outcome
        .completed
        .push((mission.title.clone(), progress.points_awarded));
    work.record(
        AuditEvent::new(AuditAction::Update, "onboarding_progress")
            .entity(progress.id.as_uuid())
            .related("patientId", user.id.as_uuid())
            .detail("mission", mission.code.as_str())
            .detail("status", ProgressStatus::Completed.as_str())
            .detail("points", progress.points_awarded),
    );
    Ok(())
}

/// Locked progress whose prerequisites are now all completed becomes available.
async fn unlock(
    work: &mut Work<'_>,
    user: &User,
    current: &[Mission],
    by_id: &BTreeMap<MissionId, String>,
    completed: &BTreeSet<String>,
) -> Result<()> {
    let locked = work
        .tx()
        .list::<OnboardingProgress>(
            &ListQuery::first(ListQuery::MAX_LIMIT)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("status", Value::Text(ProgressStatus::Locked.as_str().into())),
        )
        .await?
        .items;
    let now = work.services.clock.now();
    for mut p in locked {
        let Some(code) = by_id.get(&p.mission_id) else {
            continue;
        };
        let Some(mission) = current.iter().find(|m| &m.code == code) else {
            continue;
        };
        if prerequisites(mission, by_id)
            .iter()
            .all(|c| completed.contains(c))
        {
            p.status = ProgressStatus::Available;
            p.updated_at = now;
            work.tx().update(&p).await?;
        }
    }
    Ok(())
}

/// Whether the organization's onboarding missions are all done (for the assistant's answers).
pub fn is_onboarding(m: &Mission) -> bool {
    m.category == MissionCategory::Onboarding
}
