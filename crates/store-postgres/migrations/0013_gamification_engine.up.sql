-- The gamification engine: the server-side events that award points and move missions (each kept
-- once), badges, weekly streaks, monthly streak freezes, and the leaderboard opt-in.
CREATE TABLE gamification_events (
    id uuid NOT NULL CONSTRAINT gamification_events_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT gamification_events_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    kind TEXT NOT NULL CONSTRAINT gamification_events_kind_check CHECK (length(kind) BETWEEN 1 AND 64),
    event_key TEXT NOT NULL CONSTRAINT gamification_events_event_key_check CHECK (length(event_key) BETWEEN 1 AND 200),
    occurred_at timestamptz NOT NULL,
    local_date TEXT NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    points bigint NOT NULL DEFAULT 0 CONSTRAINT gamification_events_points_check CHECK (points >= 0),
    created_at timestamptz NOT NULL,
    CONSTRAINT gamification_events_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
-- An event is counted once: a webhook delivered five times is one event.
CREATE UNIQUE INDEX gamification_events_user_id_event_key_key ON gamification_events (organization_id, user_id, event_key);
CREATE INDEX gamification_events_user_kind_idx ON gamification_events (organization_id, user_id, kind, occurred_at);
CREATE TRIGGER gamification_events_append_only BEFORE UPDATE OR DELETE ON gamification_events
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER gamification_events_no_truncate BEFORE TRUNCATE ON gamification_events
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();
ALTER TABLE gamification_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE gamification_events FORCE ROW LEVEL SECURITY;
CREATE POLICY gamification_events_tenant_isolation ON gamification_events
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));

CREATE TABLE badges (
    id uuid NOT NULL CONSTRAINT badges_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT badges_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    code TEXT NOT NULL CONSTRAINT badges_code_check CHECK (length(code) BETWEEN 1 AND 64),
    mission_id uuid,
    awarded_at timestamptz NOT NULL,
    is_public boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT badges_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
-- Awarded once.
CREATE UNIQUE INDEX badges_user_id_code_key ON badges (organization_id, user_id, code);
ALTER TABLE badges ENABLE ROW LEVEL SECURITY;
ALTER TABLE badges FORCE ROW LEVEL SECURITY;
CREATE POLICY badges_tenant_isolation ON badges
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));

ALTER TABLE health_points ADD COLUMN weekly_streak bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_weekly_streak_check CHECK (weekly_streak >= 0);
ALTER TABLE health_points ADD COLUMN longest_weekly_streak bigint NOT NULL DEFAULT 0 CONSTRAINT health_points_longest_weekly_streak_check CHECK (longest_weekly_streak >= 0);
ALTER TABLE health_points ADD COLUMN last_active_week bigint;
ALTER TABLE health_points ADD COLUMN freezes_month TEXT;
ALTER TABLE health_points ADD COLUMN leaderboard_opt_in boolean NOT NULL DEFAULT false;
ALTER TABLE health_points ADD COLUMN leaderboard_name TEXT;
