-- Consent trail: every grant and withdrawal, never edited (LGPD art. 8: the controller proves consent).
CREATE TABLE consents (
    id TEXT NOT NULL CONSTRAINT consents_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT consents_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CONSTRAINT consents_kind_check CHECK (kind IN ('WHATSAPP_MESSAGES', 'DATA_PROCESSING')),
    granted INTEGER NOT NULL CONSTRAINT consents_granted_check CHECK (granted IN (0, 1)),
    source TEXT NOT NULL CONSTRAINT consents_source_check CHECK (source IN ('WHATSAPP_KEYWORD', 'API', 'ONBOARDING')),
    message_id TEXT,
    recorded_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT consents_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE INDEX consents_user_kind_idx ON consents (organization_id, user_id, kind, recorded_at);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
