-- Consent trail: every grant and withdrawal, never edited (LGPD art. 8: the controller proves consent).
CREATE TABLE consents (
    id uuid NOT NULL CONSTRAINT consents_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT consents_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    kind TEXT NOT NULL CONSTRAINT consents_kind_check CHECK (kind IN ('WHATSAPP_MESSAGES', 'DATA_PROCESSING')),
    granted boolean NOT NULL,
    source TEXT NOT NULL CONSTRAINT consents_source_check CHECK (source IN ('WHATSAPP_KEYWORD', 'API', 'ONBOARDING')),
    message_id uuid,
    recorded_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT consents_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE INDEX consents_user_kind_idx ON consents (organization_id, user_id, kind, recorded_at);
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();
ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
CREATE POLICY consents_tenant_isolation ON consents
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
