//! The points ledger. Every change of points is one append-only `point_transactions` row with an
//! idempotency key unique per patient; `health_points` (balance, experience, level) is updated in
//! the same transaction, with the patient's row locked first, so concurrent awards serialise per
//! patient and the balance always equals the sum of the patient's transactions. A key seen before
//! returns the first transaction: a retried event or a double tap never counts twice. The balance
//! never goes below zero.

use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, PointSource};
use austa_domain::gamification::Levels;
use austa_domain::ids::{HealthPointsId, MissionId, OrganizationId, PointTransactionId, UserId};
use austa_domain::{EntityId, Subject, Vocabulary};
use austa_store::model::{HealthPoints, Organization, PointTransaction, User};
use austa_store::{ListQuery, Page, StoreError, TxMode, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

/// One change to apply.
#[derive(Debug, Clone)]
pub struct Entry {
    pub source: PointSource,
    pub amount: i64,
    /// Why, in words staff read (no personal data).
    pub reason: String,
    pub mission: Option<MissionId>,
    /// Unique per patient: the same key never applies twice.
    pub idempotency_key: String,
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone)]
pub enum Applied {
    /// Written now; `level_up` is `Some((from, to))` when the level changed.
    New {
        transaction: PointTransaction,
        level_up: Option<(i64, i64)>,
    },
    /// The key was used before: the first transaction, unchanged.
    Duplicate(PointTransaction),
}

impl Applied {
    pub fn transaction(&self) -> &PointTransaction {
        match self {
            Applied::New { transaction, .. } | Applied::Duplicate(transaction) => transaction,
        }
    }
}

/// Sources that earn experience (levels); spending and penalties never lower it.
fn earns_experience(source: PointSource) -> bool {
    matches!(source, PointSource::Mission | PointSource::Engagement)
}

/// The organization's level table (`settings.gamification.levels`), or the default curve.
pub fn levels_of(org: &Organization) -> Levels {
    org.settings
        .get("gamification")
        .and_then(|g| g.get("levels"))
        .and_then(|l| serde_json::from_value::<Vec<i64>>(l.clone()).ok())
        .and_then(|t| Levels::custom(t).ok())
        .unwrap_or_else(Levels::geometric)
}

/// A new, empty account.
pub fn new_account(org: OrganizationId, user: UserId, now: OffsetDateTime) -> HealthPoints {
    HealthPoints {
        id: HealthPointsId::generate(),
        organization_id: org,
        user_id: user,
        balance: 0,
        experience: 0,
        level: 1,
        current_streak: 0,
        longest_streak: 0,
        last_activity_on: None,
        streak_freezes_available: 0,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        weekly_streak: 0,
        longest_weekly_streak: 0,
        last_active_week: None,
        freezes_month: None,
        leaderboard_opt_in: false,
        leaderboard_name: None,
    }
}

/// Makes sure the patient has a `health_points` row (in a transaction of its own, so that two
/// first awards racing to create it do not abort the award itself).
pub async fn ensure_account(services: &Services, org: OrganizationId, user: UserId) -> Result<()> {
    let actor = Actor::system_for(org).with_user_agent("points");
    let (exists, patient_known) = crate::transact!(services, &actor, TxMode::Read, |work| {
        let exists = !work
            .tx()
            .list::<HealthPoints>(&ListQuery::first(1).filter("user_id", Value::Uuid(user.as_uuid())))
            .await?
            .items
            .is_empty();
        Ok((exists, work.tx().find::<User>(user).await?.is_some()))
    })?;
    // No such patient in this organization: the caller's own work answers 404.
    if exists || !patient_known {
        return Ok(());
    }
    let now = services.clock.now();
    let created = crate::transact!(services, &actor, TxMode::Write, |work| {
        work.tx()
            .create(&new_account(org, user, now))
            .await
            .map_err(Error::from)
    });
    match created {
        Ok(_) | Err(Error::Store(StoreError::UniqueViolation { .. })) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The patient's account, locked for this transaction.
pub async fn lock_account(work: &mut Work<'_>, user: UserId) -> Result<HealthPoints> {
    let found = work
        .tx()
        .list::<HealthPoints>(&ListQuery::first(1).filter("user_id", Value::Uuid(user.as_uuid())))
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("no points account: call ensure_account first"))?;
    work.tx()
        .find_for_update::<HealthPoints>(found.id)
        .await?
        .ok_or_else(|| Error::internal("the points account vanished"))
}

/// Applies an entry in the work's transaction. The account must exist ([`ensure_account`]).
pub async fn apply(work: &mut Work<'_>, user: &User, entry: Entry) -> Result<Applied> {
    if entry.amount == 0 {
        return Err(Error::invalid("amount", "zero_amount", "must not be zero"));
    }
    if entry.idempotency_key.is_empty() || entry.idempotency_key.len() > 200 {
        return Err(Error::invalid(
            "idempotencyKey",
            "invalid_key",
            "must have 1 to 200 characters",
        ));
    }
    // Lock first: everything below happens one transaction at a time per patient.
    let mut account = lock_account(work, user.id).await?;
    let seen = work
        .tx()
        .list::<PointTransaction>(
            &ListQuery::first(1)
                .filter("user_id", Value::Uuid(user.id.as_uuid()))
                .filter("idempotency_key", Value::Text(entry.idempotency_key.clone())),
        )
        .await?
        .items
        .into_iter()
        .next();
    if let Some(first) = seen {
        return Ok(Applied::Duplicate(first));
    }
    let balance = account.balance + entry.amount;
    if balance < 0 {
        return Err(Error::conflict(
            "insufficient_points",
            format!("the balance is {} points", account.balance),
        ));
    }
    let now = work.services.clock.now();
    let organization = work.tx().get::<Organization>(user.organization_id).await?;
    let from_level = account.level;
    if entry.amount > 0 && earns_experience(entry.source) {
        account.experience += entry.amount;
        account.level = levels_of(&organization)
            .level_for(account.experience)
            .max(account.level);
    }
    let level_up = (account.level > from_level).then_some((from_level, account.level));
    let mut metadata = entry.metadata;
    if let (Some((from, to)), Some(map)) = (level_up, metadata.as_object_mut()) {
        map.insert("levelUp".into(), json!({"from": from, "to": to}));
    }
    let transaction = PointTransaction {
        id: PointTransactionId::generate(),
        organization_id: user.organization_id,
        user_id: user.id,
        amount: entry.amount,
        source: entry.source,
        reason: entry.reason.chars().take(200).collect(),
        mission_id: entry.mission,
        idempotency_key: entry.idempotency_key,
        balance_after: balance,
        metadata,
        created_by: match work.actor.principal.subject() {
            Subject::User(u) => Some(u),
            _ => None,
        },
        created_at: now,
    };
    let created = work.tx().create(&transaction).await?;
    account.balance = balance;
    account.updated_at = now;
    work.tx().update(&account).await?;
    let mut event = AuditEvent::new(AuditAction::Create, "point_transactions")
        .entity(created.id.as_uuid())
        .related("patientId", user.id.as_uuid())
        .detail("source", created.source.as_str())
        .detail("amount", created.amount);
    if let Some((from, to)) = level_up {
        event = event.detail("levelUp", json!({"from": from, "to": to}));
    }
    work.record(event);
    Ok(Applied::New {
        transaction: created,
        level_up,
    })
}

/// What a caller may ask for through the API: spending, penalties, adjustments — never a claim of
/// points earned (those come only from server-side events).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTransaction {
    /// Negative to spend or penalise; positive only for an `ADJUSTMENT`.
    pub amount: i64,
    /// `PURCHASE`, `PENALTY` or `ADJUSTMENT`.
    pub source: PointSource,
    pub reason: String,
    /// Makes a retried request apply once (recommended: the client's own request id).
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub id: PointTransactionId,
    pub user_id: UserId,
    pub amount: i64,
    pub source: PointSource,
    pub reason: String,
    pub mission_id: Option<MissionId>,
    pub balance_after: i64,
    pub metadata: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `false` when the idempotency key had been used: this is the first transaction, unchanged.
    pub applied_now: bool,
}

fn view(t: PointTransaction, applied_now: bool) -> TransactionView {
    TransactionView {
        id: t.id,
        user_id: t.user_id,
        amount: t.amount,
        source: t.source,
        reason: t.reason,
        mission_id: t.mission_id,
        balance_after: t.balance_after,
        metadata: t.metadata,
        created_at: t.created_at,
        applied_now,
    }
}

fn target(user: &User) -> Target {
    Target::in_organization(user.organization_id).about_patient(user.id)
}

/// Spending, penalties and adjustments by admins or the system.
pub async fn create(work: &mut Work<'_>, patient: UserId, input: NewTransaction) -> Result<TransactionView> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(work, Action::Create, Resource::Points, target(&user), None).await?;
    match input.source {
        PointSource::Purchase | PointSource::Penalty if input.amount >= 0 => {
            return Err(Error::invalid(
                "amount",
                "must_be_negative",
                "spending and penalties are negative amounts",
            ));
        }
        PointSource::Purchase | PointSource::Penalty | PointSource::Adjustment => {}
        PointSource::Mission | PointSource::Engagement => {
            return Err(Error::invalid(
                "source",
                "server_side_only",
                "points are earned only from events the platform records",
            ));
        }
    }
    let reason = super::required_text("reason", &input.reason, 200)?;
    let applied = apply(
        work,
        &user,
        Entry {
            source: input.source,
            amount: input.amount,
            reason,
            mission: None,
            idempotency_key: format!("api:{}", input.idempotency_key),
            metadata: json!({}),
        },
    )
    .await?;
    Ok(match applied {
        Applied::New { transaction, .. } => view(transaction, true),
        Applied::Duplicate(first) => view(first, false),
    })
}

pub async fn list(work: &mut Work<'_>, patient: UserId, query: ListQuery) -> Result<Page<TransactionView>> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(work, Action::Read, Resource::Points, target(&user), None).await?;
    let page = work
        .tx()
        .list::<PointTransaction>(
            &query
                .newest_first()
                .filter("user_id", Value::Uuid(patient.as_uuid())),
        )
        .await?;
    work.record(
        AuditEvent::new(AuditAction::Read, "point_transactions")
            .related("patientId", patient.as_uuid())
            .detail("count", page.items.len()),
    );
    Ok(Page {
        items: page.items.into_iter().map(|t| view(t, true)).collect(),
        next: page.next,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsView {
    pub user_id: UserId,
    /// Spendable points.
    pub balance: i64,
    /// Earned, never spent: drives the level.
    pub experience: i64,
    pub level: i64,
    /// Experience at which the next level starts (none at the top).
    pub next_level_at: Option<i64>,
    pub current_streak: i64,
    pub longest_streak: i64,
    pub streak_freezes_available: i64,
}

pub async fn summary(work: &mut Work<'_>, patient: UserId) -> Result<PointsView> {
    let user = work.tx().find::<User>(patient).await?.ok_or(Error::NotFound)?;
    authorize(work, Action::Read, Resource::Points, target(&user), None).await?;
    let account = work
        .tx()
        .list::<HealthPoints>(&ListQuery::first(1).filter("user_id", Value::Uuid(patient.as_uuid())))
        .await?
        .items
        .into_iter()
        .next();
    let organization = work.tx().get::<Organization>(user.organization_id).await?;
    let levels = levels_of(&organization);
    work.record(AuditEvent::new(AuditAction::Read, "health_points").related("patientId", patient.as_uuid()));
    let (balance, experience, level, current, longest, freezes) = account
        .map(|a| {
            (
                a.balance,
                a.experience,
                a.level,
                a.current_streak,
                a.longest_streak,
                a.streak_freezes_available,
            )
        })
        .unwrap_or((0, 0, 1, 0, 0, 0));
    Ok(PointsView {
        user_id: patient,
        balance,
        experience,
        level,
        next_level_at: levels.thresholds().get(level as usize).copied(),
        current_streak: current,
        longest_streak: longest,
        streak_freezes_available: freezes,
    })
}
