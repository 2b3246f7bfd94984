use austa_domain::enums::{Difficulty, MissionCategory, PointSource, ProgressStatus, Repeatability};
use austa_domain::ids::{
    HealthPointsId, MissionId, OnboardingProgressId, OrganizationId, PointTransactionId, UserId,
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
