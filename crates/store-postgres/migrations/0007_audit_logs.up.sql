-- Who did what to which record. Ids only, never personal data; never updated, never deleted.
CREATE TABLE audit_logs (
    id uuid NOT NULL CONSTRAINT audit_logs_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT audit_logs_organization_id_fkey REFERENCES organizations (id),
    actor_id uuid,
    actor_role TEXT CONSTRAINT audit_logs_actor_role_check CHECK (actor_role IN ('patient', 'provider', 'admin', 'system')),
    action TEXT NOT NULL CONSTRAINT audit_logs_action_check CHECK (action IN
        ('CREATE', 'READ', 'UPDATE', 'DELETE', 'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'ACCESS_DENIED', 'EXPORT',
         'BREAK_GLASS', 'ROLE_CHANGE', 'KEY_CHANGE', 'SETTINGS_CHANGE', 'CONSENT_CHANGE', 'EMERGENCY_ALERT')),
    entity_type TEXT NOT NULL,
    entity_id uuid,
    ip_address TEXT,
    user_agent TEXT,
    risk_level TEXT NOT NULL DEFAULT 'LOW' CONSTRAINT audit_logs_risk_level_check CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    hipaa_relevant boolean NOT NULL DEFAULT false,
    lgpd_relevant boolean NOT NULL DEFAULT false,
    sensitive_data boolean NOT NULL DEFAULT false,
    requires_review boolean NOT NULL DEFAULT false,
    occurred_at timestamptz NOT NULL,
    related_ids jsonb NOT NULL DEFAULT '{}'::jsonb,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id TEXT
);
CREATE INDEX "audit_logs_organizationId_occurredAt_idx" ON audit_logs (organization_id, occurred_at);
CREATE INDEX "audit_logs_hipaaRelevant_lgpdRelevant_idx" ON audit_logs (hipaa_relevant, lgpd_relevant);
CREATE INDEX audit_logs_entity_idx ON audit_logs (organization_id, entity_type, entity_id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (organization_id, actor_id, occurred_at);
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_tenant_isolation ON audit_logs
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
