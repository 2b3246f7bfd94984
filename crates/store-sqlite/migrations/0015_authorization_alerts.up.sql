-- Alerts about an authorization's deadline: such an alert names the authorization and may have no
-- conversation. SQLite cannot change a CHECK in place: the table is rebuilt, rows kept.
ALTER TABLE alerts RENAME TO alerts_before_0015;
CREATE TABLE alerts (
    id TEXT NOT NULL CONSTRAINT alerts_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT alerts_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    conversation_id TEXT,
    message_id TEXT,
    kind TEXT NOT NULL CONSTRAINT alerts_kind_check CHECK (kind IN ('EMERGENCY', 'HUMAN_HANDOFF', 'APPOINTMENT_REQUEST', 'AUTHORIZATION_DEADLINE')),
    status TEXT NOT NULL DEFAULT 'OPEN' CONSTRAINT alerts_status_check CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
    urgency_level TEXT NOT NULL CONSTRAINT alerts_urgency_level_check CHECK (urgency_level IN ('LOW', 'MEDIUM', 'HIGH', 'EMERGENCY')),
    reason TEXT NOT NULL CONSTRAINT alerts_reason_check CHECK (length(reason) BETWEEN 1 AND 64),
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    resolved_at TEXT,
    pushed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    authorization_id TEXT,
    CONSTRAINT alerts_subject_check CHECK (conversation_id IS NOT NULL OR authorization_id IS NOT NULL),
    CONSTRAINT alerts_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT alerts_conversation_id_fkey FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id),
    CONSTRAINT alerts_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id),
    CONSTRAINT alerts_authorization_id_fkey FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id)
) STRICT;
INSERT INTO alerts (id, organization_id, user_id, conversation_id, message_id, kind, status, urgency_level, reason,
                    acknowledged_by, acknowledged_at, resolved_at, pushed_at, created_at, updated_at, deleted_at)
SELECT id, organization_id, user_id, conversation_id, message_id, kind, status, urgency_level, reason,
       acknowledged_by, acknowledged_at, resolved_at, pushed_at, created_at, updated_at, deleted_at
FROM alerts_before_0015;
DROP TABLE alerts_before_0015;
CREATE INDEX alerts_organization_id_status_created_at_idx ON alerts (organization_id, status, created_at);
-- One alert per message and kind: a retried analysis job raises nothing twice.
CREATE UNIQUE INDEX alerts_message_id_kind_key ON alerts (organization_id, message_id, kind);
-- One deadline alert per authorization and reason: the daily job raises nothing twice.
CREATE UNIQUE INDEX alerts_authorization_id_reason_key ON alerts (organization_id, authorization_id, reason) WHERE authorization_id IS NOT NULL;
