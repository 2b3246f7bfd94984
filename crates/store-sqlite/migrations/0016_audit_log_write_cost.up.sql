-- Every request writes an audit row, so its cost counts (docs/benchmarks.md). SQLite evaluates a
-- `CHECK (x IN (…))` of three or more values by building a temporary table for each insert; the same
-- rules written with `OR` cost nothing of the kind. The index on (hipaa_relevant, lgpd_relevant)
-- selected almost nothing (two booleans) and cost a B-tree insert per row. SQLite cannot change a
-- CHECK in place: the table is rebuilt, rows kept exactly (the MAC chain covers them).
ALTER TABLE audit_logs RENAME TO audit_logs_before_0016;
CREATE TABLE audit_logs (
    id TEXT NOT NULL CONSTRAINT audit_logs_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT audit_logs_organization_id_fkey REFERENCES organizations (id),
    actor_id TEXT,
    actor_role TEXT CONSTRAINT audit_logs_actor_role_check CHECK (actor_role = 'patient' OR actor_role = 'provider' OR actor_role = 'admin' OR actor_role = 'system'),
    action TEXT NOT NULL CONSTRAINT audit_logs_action_check CHECK (
        action = 'CREATE' OR action = 'READ' OR action = 'UPDATE' OR action = 'DELETE' OR
        action = 'LOGIN' OR action = 'LOGIN_FAILED' OR action = 'LOGOUT' OR action = 'ACCESS_DENIED' OR
        action = 'EXPORT' OR action = 'BREAK_GLASS' OR action = 'ROLE_CHANGE' OR action = 'KEY_CHANGE' OR
        action = 'SETTINGS_CHANGE' OR action = 'CONSENT_CHANGE' OR action = 'EMERGENCY_ALERT'),
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    risk_level TEXT NOT NULL DEFAULT 'LOW' CONSTRAINT audit_logs_risk_level_check CHECK (risk_level = 'LOW' OR risk_level = 'MEDIUM' OR risk_level = 'HIGH' OR risk_level = 'CRITICAL'),
    hipaa_relevant INTEGER NOT NULL DEFAULT 0 CONSTRAINT audit_logs_hipaa_relevant_check CHECK (hipaa_relevant IN (0, 1)),
    lgpd_relevant INTEGER NOT NULL DEFAULT 0 CONSTRAINT audit_logs_lgpd_relevant_check CHECK (lgpd_relevant IN (0, 1)),
    sensitive_data INTEGER NOT NULL DEFAULT 0 CONSTRAINT audit_logs_sensitive_data_check CHECK (sensitive_data IN (0, 1)),
    requires_review INTEGER NOT NULL DEFAULT 0 CONSTRAINT audit_logs_requires_review_check CHECK (requires_review IN (0, 1)),
    occurred_at TEXT NOT NULL,
    related_ids TEXT NOT NULL DEFAULT '{}' CONSTRAINT audit_logs_related_ids_check CHECK (json_valid(related_ids)),
    details TEXT NOT NULL DEFAULT '{}' CONSTRAINT audit_logs_details_check CHECK (json_valid(details)),
    request_id TEXT,
    chain_id TEXT,
    chain_seq INTEGER,
    entry_mac BLOB
) STRICT;
INSERT INTO audit_logs (id, organization_id, actor_id, actor_role, action, entity_type, entity_id, ip_address, user_agent, risk_level, hipaa_relevant, lgpd_relevant, sensitive_data, requires_review, occurred_at, related_ids, details, request_id, chain_id, chain_seq, entry_mac)
SELECT id, organization_id, actor_id, actor_role, action, entity_type, entity_id, ip_address, user_agent, risk_level, hipaa_relevant, lgpd_relevant, sensitive_data, requires_review, occurred_at, related_ids, details, request_id, chain_id, chain_seq, entry_mac
FROM audit_logs_before_0016;
DROP TABLE audit_logs_before_0016;
CREATE INDEX "audit_logs_organizationId_occurredAt_idx" ON audit_logs (organization_id, occurred_at);
CREATE INDEX audit_logs_entity_idx ON audit_logs (organization_id, entity_type, entity_id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (organization_id, actor_id, occurred_at);
CREATE UNIQUE INDEX audit_logs_chain_id_chain_seq_key ON audit_logs (chain_id, chain_seq);
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
