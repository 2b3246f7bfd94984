CREATE TABLE tasy_integrations (
    id uuid NOT NULL CONSTRAINT tasy_integrations_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT tasy_integrations_organization_id_fkey REFERENCES organizations (id),
    name TEXT NOT NULL,
    protocol TEXT NOT NULL CONSTRAINT tasy_integrations_protocol_check CHECK (protocol IN ('HL7V2', 'REST', 'SOAP', 'MOCK')),
    endpoint_url TEXT NOT NULL,
    credentials_encrypted bytea,
    sync_direction TEXT NOT NULL DEFAULT 'BIDIRECTIONAL' CONSTRAINT tasy_integrations_sync_direction_check CHECK (sync_direction IN
        ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
    sync_interval_seconds bigint NOT NULL DEFAULT 900 CONSTRAINT tasy_integrations_sync_interval_seconds_check CHECK (sync_interval_seconds >= 60),
    last_sync_at timestamptz,
    last_sync_status TEXT CONSTRAINT tasy_integrations_last_sync_status_check CHECK (last_sync_status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT tasy_integrations_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX tasy_integrations_organization_id_name_key ON tasy_integrations (organization_id, name) WHERE deleted_at IS NULL;

CREATE TABLE tasy_sync_logs (
    id uuid NOT NULL CONSTRAINT tasy_sync_logs_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT tasy_sync_logs_organization_id_fkey REFERENCES organizations (id),
    integration_id uuid NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id uuid,
    direction TEXT NOT NULL CONSTRAINT tasy_sync_logs_direction_check CHECK (direction IN ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
    status TEXT NOT NULL CONSTRAINT tasy_sync_logs_status_check CHECK (status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    records_processed bigint NOT NULL DEFAULT 0 CONSTRAINT tasy_sync_logs_records_processed_check CHECK (records_processed >= 0),
    records_failed bigint NOT NULL DEFAULT 0 CONSTRAINT tasy_sync_logs_records_failed_check CHECK (records_failed >= 0),
    error_code TEXT,
    error_message TEXT,
    payload_sha256 TEXT,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT tasy_sync_logs_integration_id_fkey FOREIGN KEY (organization_id, integration_id) REFERENCES tasy_integrations (organization_id, id)
);
CREATE INDEX tasy_sync_logs_integration_id_started_at_idx ON tasy_sync_logs (integration_id, started_at);

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE tasy_integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasy_integrations FORCE ROW LEVEL SECURITY;
CREATE POLICY tasy_integrations_tenant_isolation ON tasy_integrations
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE tasy_sync_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasy_sync_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tasy_sync_logs_tenant_isolation ON tasy_sync_logs
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
