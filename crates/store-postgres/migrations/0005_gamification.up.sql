CREATE TABLE missions (
    id uuid NOT NULL CONSTRAINT missions_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT missions_organization_id_fkey REFERENCES organizations (id),
    code TEXT NOT NULL CONSTRAINT missions_code_check CHECK (length(code) BETWEEN 1 AND 100),
    version bigint NOT NULL DEFAULT 1 CONSTRAINT missions_version_check CHECK (version >= 1),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL CONSTRAINT missions_category_check CHECK (category IN ('ONBOARDING', 'ENGAGEMENT', 'HEALTH')),
    difficulty TEXT NOT NULL CONSTRAINT missions_difficulty_check CHECK (difficulty IN ('EASY', 'MEDIUM', 'HARD', 'EXPERT')),
    points bigint NOT NULL CONSTRAINT missions_points_check CHECK (points >= 0),
    prerequisites jsonb NOT NULL DEFAULT '[]'::jsonb CONSTRAINT missions_prerequisites_check CHECK (jsonb_typeof(prerequisites) = 'array'),
    available_from timestamptz,
    available_until timestamptz,
    repeatability TEXT NOT NULL DEFAULT 'ONCE' CONSTRAINT missions_repeatability_check CHECK (repeatability IN ('ONCE', 'DAILY', 'WEEKLY')),
    badge TEXT,
    completion_rule jsonb NOT NULL CONSTRAINT missions_completion_rule_check CHECK (jsonb_typeof(completion_rule) = 'object'),
    is_active boolean NOT NULL DEFAULT true,
    published_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT missions_availability_check CHECK (available_until IS NULL OR available_from IS NULL OR available_until > available_from),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT missions_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX missions_organization_id_code_version_key ON missions (organization_id, code, version);

CREATE TABLE health_points (
    id uuid NOT NULL CONSTRAINT health_points_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT health_points_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    balance bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_balance_check CHECK (balance >= 0),
    experience bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_experience_check CHECK (experience >= 0),
    level bigint NOT NULL DEFAULT 1 CONSTRAINT health_points_level_check CHECK (level >= 1),
    current_streak bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_current_streak_check CHECK (current_streak >= 0),
    longest_streak bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_longest_streak_check CHECK (longest_streak >= current_streak),
    last_activity_on date,
    streak_freezes_available bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_streak_freezes_available_check CHECK (streak_freezes_available >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT health_points_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE UNIQUE INDEX health_points_organization_id_user_id_key ON health_points (organization_id, user_id);

CREATE TABLE onboarding_progress (
    id uuid NOT NULL CONSTRAINT onboarding_progress_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT onboarding_progress_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    mission_id uuid NOT NULL,
    mission_version bigint NOT NULL CONSTRAINT onboarding_progress_mission_version_check CHECK (mission_version >= 1),
    period_key TEXT NOT NULL DEFAULT 'once',
    status TEXT NOT NULL CONSTRAINT onboarding_progress_status_check CHECK (status IN
        ('LOCKED', 'AVAILABLE', 'IN_PROGRESS', 'COMPLETED', 'EXPIRED')),
    steps_done bigint NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_steps_done_check CHECK (steps_done >= 0),
    steps_required bigint NOT NULL DEFAULT 1 CONSTRAINT onboarding_progress_steps_required_check CHECK (steps_required >= 1),
    attempts bigint NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_attempts_check CHECK (attempts >= 0),
    started_at timestamptz,
    completed_at timestamptz,
    time_spent_seconds bigint NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_time_spent_seconds_check CHECK (time_spent_seconds >= 0),
    points_awarded bigint NOT NULL DEFAULT 0 CONSTRAINT onboarding_progress_points_awarded_check CHECK (points_awarded >= 0),
    badge_awarded TEXT,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT onboarding_progress_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT onboarding_progress_mission_id_fkey FOREIGN KEY (organization_id, mission_id) REFERENCES missions (organization_id, id)
);
CREATE UNIQUE INDEX onboarding_progress_user_mission_period_key ON onboarding_progress (organization_id, user_id, mission_id, period_key);
CREATE INDEX "onboarding_progress_userId_status_idx" ON onboarding_progress (user_id, status);

CREATE TABLE point_transactions (
    id uuid NOT NULL CONSTRAINT point_transactions_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT point_transactions_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    amount bigint NOT NULL CONSTRAINT point_transactions_amount_check CHECK (amount <> 0),
    source TEXT NOT NULL CONSTRAINT point_transactions_source_check CHECK (source IN
        ('MISSION', 'ENGAGEMENT', 'PURCHASE', 'PENALTY', 'ADJUSTMENT')),
    reason TEXT NOT NULL,
    mission_id uuid,
    idempotency_key TEXT NOT NULL CONSTRAINT point_transactions_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    balance_after bigint NOT NULL CONSTRAINT point_transactions_balance_after_check CHECK (balance_after >= 0),
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by uuid,
    created_at timestamptz NOT NULL,
    CONSTRAINT point_transactions_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT point_transactions_mission_id_fkey FOREIGN KEY (organization_id, mission_id) REFERENCES missions (organization_id, id),
    CONSTRAINT point_transactions_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id)
);
CREATE UNIQUE INDEX point_transactions_idempotency_key ON point_transactions (organization_id, user_id, idempotency_key);
CREATE INDEX "point_transactions_userId_createdAt_idx" ON point_transactions (user_id, created_at);
-- The ledger is the truth: corrections are new rows, never edits.
CREATE TRIGGER point_transactions_append_only BEFORE UPDATE OR DELETE ON point_transactions
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER point_transactions_no_truncate BEFORE TRUNCATE ON point_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions FORCE ROW LEVEL SECURITY;
CREATE POLICY missions_tenant_isolation ON missions
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE health_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_points FORCE ROW LEVEL SECURITY;
CREATE POLICY health_points_tenant_isolation ON health_points
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE onboarding_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE onboarding_progress FORCE ROW LEVEL SECURITY;
CREATE POLICY onboarding_progress_tenant_isolation ON onboarding_progress
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE point_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE point_transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY point_transactions_tenant_isolation ON point_transactions
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
