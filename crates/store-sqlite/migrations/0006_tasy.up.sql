CREATE TABLE tasy_integrations (
    id TEXT NOT NULL CONSTRAINT tasy_integrations_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT tasy_integrations_organization_id_fkey REFERENCES organizations (id),
    name TEXT NOT NULL,
    protocol TEXT NOT NULL CONSTRAINT tasy_integrations_protocol_check CHECK (protocol IN ('HL7V2', 'REST', 'SOAP', 'MOCK')),
    endpoint_url TEXT NOT NULL,
    credentials_encrypted BLOB,
    sync_direction TEXT NOT NULL DEFAULT 'BIDIRECTIONAL' CONSTRAINT tasy_integrations_sync_direction_check CHECK (sync_direction IN
        ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
    sync_interval_seconds INTEGER NOT NULL DEFAULT 900 CONSTRAINT tasy_integrations_sync_interval_seconds_check CHECK (sync_interval_seconds >= 60),
    last_sync_at TEXT,
    last_sync_status TEXT CONSTRAINT tasy_integrations_last_sync_status_check CHECK (last_sync_status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    settings TEXT NOT NULL DEFAULT '{}' CONSTRAINT tasy_integrations_settings_check CHECK (json_valid(settings)),
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT tasy_integrations_is_active_check CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT tasy_integrations_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX tasy_integrations_organization_id_name_key ON tasy_integrations (organization_id, name) WHERE deleted_at IS NULL;

CREATE TABLE tasy_sync_logs (
    id TEXT NOT NULL CONSTRAINT tasy_sync_logs_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT tasy_sync_logs_organization_id_fkey REFERENCES organizations (id),
    integration_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    direction TEXT NOT NULL CONSTRAINT tasy_sync_logs_direction_check CHECK (direction IN ('INBOUND', 'OUTBOUND', 'BIDIRECTIONAL')),
    status TEXT NOT NULL CONSTRAINT tasy_sync_logs_status_check CHECK (status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    records_processed INTEGER NOT NULL DEFAULT 0 CONSTRAINT tasy_sync_logs_records_processed_check CHECK (records_processed >= 0),
    records_failed INTEGER NOT NULL DEFAULT 0 CONSTRAINT tasy_sync_logs_records_failed_check CHECK (records_failed >= 0),
    error_code TEXT,
    error_message TEXT,
    payload_sha256 TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT tasy_sync_logs_integration_id_fkey FOREIGN KEY (organization_id, integration_id) REFERENCES tasy_integrations (organization_id, id)
) STRICT;
CREATE INDEX tasy_sync_logs_integration_id_started_at_idx ON tasy_sync_logs (integration_id, started_at);
