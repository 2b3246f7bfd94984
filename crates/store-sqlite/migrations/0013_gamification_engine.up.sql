-- The gamification engine: the server-side events that award points and move missions (each kept
-- once), badges, weekly streaks, monthly streak freezes, and the leaderboard opt-in.
CREATE TABLE gamification_events (
    id TEXT NOT NULL CONSTRAINT gamification_events_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT gamification_events_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CONSTRAINT gamification_events_kind_check CHECK (length(kind) BETWEEN 1 AND 64),
    event_key TEXT NOT NULL CONSTRAINT gamification_events_event_key_check CHECK (length(event_key) BETWEEN 1 AND 200),
    occurred_at TEXT NOT NULL,
    local_date TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}' CONSTRAINT gamification_events_detail_check CHECK (json_valid(detail)),
    points INTEGER NOT NULL DEFAULT 0 CONSTRAINT gamification_events_points_check CHECK (points >= 0),
    created_at TEXT NOT NULL,
    CONSTRAINT gamification_events_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
-- An event is counted once: a webhook delivered five times is one event.
CREATE UNIQUE INDEX gamification_events_user_id_event_key_key ON gamification_events (organization_id, user_id, event_key);
CREATE INDEX gamification_events_user_kind_idx ON gamification_events (organization_id, user_id, kind, occurred_at);
CREATE TRIGGER gamification_events_no_update BEFORE UPDATE ON gamification_events
BEGIN SELECT RAISE(ABORT, 'gamification_events is append-only'); END;
CREATE TRIGGER gamification_events_no_delete BEFORE DELETE ON gamification_events
BEGIN SELECT RAISE(ABORT, 'gamification_events is append-only'); END;

CREATE TABLE badges (
    id TEXT NOT NULL CONSTRAINT badges_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT badges_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    code TEXT NOT NULL CONSTRAINT badges_code_check CHECK (length(code) BETWEEN 1 AND 64),
    mission_id TEXT,
    awarded_at TEXT NOT NULL,
    is_public INTEGER NOT NULL DEFAULT 0 CONSTRAINT badges_is_public_check CHECK (is_public IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT badges_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
-- Awarded once.
CREATE UNIQUE INDEX badges_user_id_code_key ON badges (organization_id, user_id, code);

ALTER TABLE health_points ADD COLUMN weekly_streak INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_weekly_streak_check CHECK (weekly_streak >= 0);
ALTER TABLE health_points ADD COLUMN longest_weekly_streak INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_longest_weekly_streak_check CHECK (longest_weekly_streak >= 0);
ALTER TABLE health_points ADD COLUMN last_active_week INTEGER;
ALTER TABLE health_points ADD COLUMN freezes_month TEXT;
ALTER TABLE health_points ADD COLUMN leaderboard_opt_in INTEGER NOT NULL DEFAULT 0 CONSTRAINT health_points_leaderboard_opt_in_check CHECK (leaderboard_opt_in IN (0, 1));
ALTER TABLE health_points ADD COLUMN leaderboard_name TEXT;
