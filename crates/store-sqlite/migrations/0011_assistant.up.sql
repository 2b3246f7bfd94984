-- The assistant: alerts for staff (emergencies, hand-offs, appointment requests), the signing key of
-- an organization's alert webhook, and the version and channel of each consent answer.
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
CREATE INDEX alerts_organization_id_status_created_at_idx ON alerts (organization_id, status, created_at);
-- One alert per message and kind: a retried analysis job raises nothing twice.
CREATE UNIQUE INDEX alerts_message_id_kind_key ON alerts (organization_id, message_id, kind);

ALTER TABLE organizations ADD COLUMN alert_webhook_secret_encrypted BLOB;
ALTER TABLE consents ADD COLUMN terms_version TEXT;
ALTER TABLE consents ADD COLUMN channel TEXT CONSTRAINT consents_channel_check CHECK (channel IN ('WHATSAPP', 'API', 'APP'));
