CREATE TABLE missions (
    id TEXT NOT NULL CONSTRAINT missions_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT missions_organization_id_fkey REFERENCES organizations (id),
    code TEXT NOT NULL CONSTRAINT missions_code_check CHECK (length(code) BETWEEN 1 AND 100),
    version INTEGER NOT NULL DEFAULT 1 CONSTRAINT missions_version_check CHECK (version >= 1),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL CONSTRAINT missions_category_check CHECK (category IN ('ONBOARDING', 'ENGAGEMENT', 'HEALTH')),
    difficulty TEXT NOT NULL CONSTRAINT missions_difficulty_check CHECK (difficulty IN ('EASY', 'MEDIUM', 'HARD', 'EXPERT')),
    points INTEGER NOT NULL CONSTRAINT missions_points_check CHECK (points >= 0),
    prerequisites TEXT NOT NULL DEFAULT '[]' CONSTRAINT missions_prerequisites_check CHECK (json_valid(prerequisites) AND json_type(prerequisites) = 'array'),
    available_from TEXT,
    available_until TEXT,
    repeatability TEXT NOT NULL DEFAULT 'ONCE' CONSTRAINT missions_repeatability_check CHECK (repeatability IN ('ONCE', 'DAILY', 'WEEKLY')),
    badge TEXT,
    completion_rule TEXT NOT NULL CONSTRAINT missions_completion_rule_check CHECK (json_valid(completion_rule) AND json_type(completion_rule) = 'object'),
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT missions_is_active_check CHECK (is_active IN (0, 1)),
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT missions_availability_check CHECK (available_until IS NULL OR available_from IS NULL OR available_until > available_from),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT missions_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX missions_organization_id_code_version_key ON missions (organization_id, code, version);

CREATE TABLE health_points (
    id TEXT NOT NULL CONSTRAINT health_points_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT health_points_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_balance_check CHECK (balance >= 0),
    experience INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_experience_check CHECK (experience >= 0),
    level INTEGER NOT NULL DEFAULT 1 CONSTRAINT health_points_level_check CHECK (level >= 1),
    current_streak INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_current_streak_check CHECK (current_streak >= 0),
    longest_streak INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_longest_streak_check CHECK (longest_streak >= current_streak),
    last_activity_on TEXT,
    streak_freezes_available INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_streak_freezes_available_check CHECK (streak_freezes_available >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT health_points_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX health_points_organization_id_user_id_key ON health_points (organization_id, user_id);

CREATE TABLE onboarding_progress (
    id TEXT NOT NULL CONSTRAINT onboarding_progress_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT onboarding_progress_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    mission_id TEXT NOT NULL,
    mission_version INTEGER NOT NULL CONSTRAINT onboarding_progress_mission_version_check CHECK (mission_version >= 1),
    period_key TEXT NOT NULL DEFAULT 'once',
    status TEXT NOT NULL CONSTRAINT onboarding_progress_status_check CHECK (status IN
        ('LOCKED', 'AVAILABLE', 'IN_PROGRESS', 'COMPLETED', 'EXPIRED')),
    steps_done INTEGER NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_steps_done_check CHECK (steps_done >= 0),
    steps_required INTEGER NOT NULL DEFAULT 1 CONSTRAINT onboarding_progress_steps_required_check CHECK (steps_required >= 1),
    attempts INTEGER NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_attempts_check CHECK (attempts >= 0),
    started_at TEXT,
    completed_at TEXT,
    time_spent_seconds INTEGER NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_time_spent_seconds_check CHECK (time_spent_seconds >= 0),
    points_awarded INTEGER NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_points_awarded_check CHECK (points_awarded >= 0),
    badge_awarded TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT onboarding_progress_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT onboarding_progress_mission_id_fkey FOREIGN KEY (organization_id, mission_id) REFERENCES missions (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX onboarding_progress_user_mission_period_key ON onboarding_progress (organization_id, user_id, mission_id, period_key);
CREATE INDEX "onboarding_progress_userId_status_idx" ON onboarding_progress (user_id, status);

CREATE TABLE point_transactions (
    id TEXT NOT NULL CONSTRAINT point_transactions_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT point_transactions_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    amount INTEGER NOT NULL CONSTRAINT point_transactions_amount_check CHECK (amount <> 0),
    source TEXT NOT NULL CONSTRAINT point_transactions_source_check CHECK (source IN
        ('MISSION', 'ENGAGEMENT', 'PURCHASE', 'PENALTY', 'ADJUSTMENT')),
    reason TEXT NOT NULL,
    mission_id TEXT,
    idempotency_key TEXT NOT NULL CONSTRAINT point_transactions_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    balance_after INTEGER NOT NULL CONSTRAINT point_transactions_balance_after_check CHECK (balance_after >= 0),
    metadata TEXT NOT NULL DEFAULT '{}' CONSTRAINT point_transactions_metadata_check CHECK (json_valid(metadata)),
    created_by TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT point_transactions_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT point_transactions_mission_id_fkey FOREIGN KEY (organization_id, mission_id) REFERENCES missions (organization_id, id),
    CONSTRAINT point_transactions_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX point_transactions_idempotency_key ON point_transactions (organization_id, user_id, idempotency_key);
CREATE INDEX "point_transactions_userId_createdAt_idx" ON point_transactions (user_id, created_at);
-- The ledger is the truth: corrections are new rows, never edits.
CREATE TRIGGER point_transactions_no_update BEFORE UPDATE ON point_transactions
BEGIN SELECT RAISE(ABORT, 'point_transactions is append-only'); END;
CREATE TRIGGER point_transactions_no_delete BEFORE DELETE ON point_transactions
BEGIN SELECT RAISE(ABORT, 'point_transactions is append-only'); END;
