use austa_domain::enums::{Difficulty, MissionCategory, PointSource, ProgressStatus, Repeatability};
use austa_domain::ids::{
    BadgeId, GamificationEventId, HealthPointsId, MissionId, OnboardingProgressId, OrganizationId,
    PointTransactionId, UserId,
};
use time::{Date, OffsetDateTime};

crate::entity! {
    /// A mission definition; editing a published one creates a new `version`.
    Mission in "missions" {
        id: MissionId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["missions_organization_id_code_version_key" => ["organization_id", "code", "version"]],
        fields: {
            organization_id: OrganizationId,
            code: String,
            version: i64,
            title: String,
            description: String,
            category: MissionCategory,
            difficulty: Difficulty,
            points: i64,
            /// Ids of the missions that must be completed first.
            prerequisites: serde_json::Value,
            available_from: Option<OffsetDateTime>,
            available_until: Option<OffsetDateTime>,
            repeatability: Repeatability,
            badge: Option<String>,
            /// The server-side event that completes the mission and how many times.
            completion_rule: serde_json::Value,
            is_active: bool,
            published_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A patient's points, level and streaks; the balance always equals the sum of the ledger.
    HealthPoints in "health_points" {
        id: HealthPointsId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["health_points_organization_id_user_id_key" => ["organization_id", "user_id"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            balance: i64,
            /// Experience points: earned, never spent; drive the level.
            experience: i64,
            level: i64,
            current_streak: i64,
            longest_streak: i64,
            last_activity_on: Option<Date>,
            streak_freezes_available: i64,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
            weekly_streak: i64,
            longest_weekly_streak: i64,
            /// Weeks since 1970 (Monday-based) of the last activity, in the patient's zone.
            last_active_week: Option<i64>,
            /// The month (`2026-11`) whose streak freezes were last granted.
            freezes_month: Option<String>,
            /// Shown on the organization's leaderboard only when the patient agreed.
            leaderboard_opt_in: bool,
            /// The name shown there (none: an anonymous label).
            leaderboard_name: Option<String>,
        }
    }
}

crate::entity! {
    /// A patient's progress on one mission (per period for repeatable missions).
    OnboardingProgress in "onboarding_progress" {
        id: OnboardingProgressId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "onboarding_progress_user_mission_period_key" =>
                ["organization_id", "user_id", "mission_id", "period_key"],
        ],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            mission_id: MissionId,
            mission_version: i64,
            /// `once`, a date (`2026-11-28`) or an ISO week (`2026-W48`).
            period_key: String,
            status: ProgressStatus,
            steps_done: i64,
            steps_required: i64,
            attempts: i64,
            started_at: Option<OffsetDateTime>,
            completed_at: Option<OffsetDateTime>,
            time_spent_seconds: i64,
            points_awarded: i64,
            badge_awarded: Option<String>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// One change of points. Append-only: corrections are new rows, never edits.
    PointTransaction in "point_transactions" {
        id: PointTransactionId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: [
            "point_transactions_idempotency_key" => ["organization_id", "user_id", "idempotency_key"],
        ],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            amount: i64,
            source: PointSource,
            reason: String,
            mission_id: Option<MissionId>,
            /// Unique per user: a retried event never awards twice.
            idempotency_key: String,
            balance_after: i64,
            metadata: serde_json::Value,
            created_by: Option<UserId>,
            created_at: OffsetDateTime,
        }
    }
}

crate::entity! {
    /// A server-side event that counts for gamification (a message received, a vital sign
    /// recorded, a consent given…), kept once per key: the evidence behind every award.
    GamificationEvent in "gamification_events" {
        id: GamificationEventId,
        tenancy: OrganizationColumn,
        mutability: AppendOnly,
        unique: ["gamification_events_user_id_event_key_key" => ["organization_id", "user_id", "event_key"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            kind: String,
            event_key: String,
            occurred_at: OffsetDateTime,
            /// The patient's local date of the event (`2026-11-28`).
            local_date: String,
            /// Codes only (`{"kind": "blood_pressure"}`), never values.
            detail: serde_json::Value,
            /// Engagement points it earned (within the daily cap).
            points: i64,
            created_at: OffsetDateTime,
        }
    }
}

crate::entity! {
    /// A badge a patient earned, once; private unless the patient makes it public (a badge can
    /// reveal a condition).
    Badge in "badges" {
        id: BadgeId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["badges_user_id_code_key" => ["organization_id", "user_id", "code"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            code: String,
            mission_id: Option<MissionId>,
            awarded_at: OffsetDateTime,
            is_public: bool,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
