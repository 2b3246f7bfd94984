ALTER TABLE alerts RENAME TO alerts_after_0015;
CREATE TABLE alerts (
    id TEXT NOT NULL CONSTRAINT alerts_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT alerts_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT,
    kind TEXT NOT NULL CONSTRAINT alerts_kind_check CHECK (kind IN ('EMERGENCY', 'HUMAN_HANDOFF', 'APPOINTMENT_REQUEST')),
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
    CONSTRAINT alerts_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT alerts_conversation_id_fkey FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id),
    CONSTRAINT alerts_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id)
) STRICT;
INSERT INTO alerts (id, organization_id, user_id, conversation_id, message_id, kind, status, urgency_level, reason,
                    acknowledged_by, acknowledged_at, resolved_at, pushed_at, created_at, updated_at, deleted_at)
SELECT id, organization_id, user_id, conversation_id, message_id, kind, status, urgency_level, reason,
       acknowledged_by, acknowledged_at, resolved_at, pushed_at, created_at, updated_at, deleted_at
FROM alerts_after_0015 WHERE conversation_id IS NOT NULL AND kind <> 'AUTHORIZATION_DEADLINE';
DROP TABLE alerts_after_0015;
CREATE INDEX alerts_organization_id_status_created_at_idx ON alerts (organization_id, status, created_at);
-- One alert per message and kind: a retried analysis job raises nothing twice.
CREATE UNIQUE INDEX alerts_message_id_kind_key ON alerts (organization_id, message_id, kind);
