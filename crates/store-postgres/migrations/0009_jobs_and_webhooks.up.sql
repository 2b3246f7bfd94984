-- Background work and inbound webhooks.

-- One durable queue for all background work: at-least-once, leased, retried with backoff.
CREATE TABLE jobs (
    id uuid NOT NULL CONSTRAINT jobs_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT jobs_organization_id_fkey REFERENCES organizations (id),
    kind TEXT NOT NULL CONSTRAINT jobs_kind_check CHECK (length(kind) BETWEEN 1 AND 100),
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    status TEXT NOT NULL CONSTRAINT jobs_status_check CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'DEAD')),
    attempts bigint NOT NULL DEFAULT 0 CONSTRAINT jobs_attempts_check CHECK (attempts >= 0),
    max_attempts bigint NOT NULL DEFAULT 10 CONSTRAINT jobs_max_attempts_check CHECK (max_attempts >= 1),
    run_at timestamptz NOT NULL,
    locked_until timestamptz,
    locked_by TEXT,
    last_error TEXT,
    -- Enqueueing the same work twice (a retried webhook) keeps one job.
    dedupe_key TEXT,
    finished_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX jobs_kind_dedupe_key_key ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);

-- Signed webhook notifications exactly as received, sealed (they carry messages), kept before the
-- 200 is sent. The same bytes delivered again (Meta retries) are stored once.
CREATE TABLE webhook_deliveries (
    id uuid NOT NULL CONSTRAINT webhook_deliveries_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT webhook_deliveries_organization_id_fkey REFERENCES organizations (id),
    channel TEXT NOT NULL CONSTRAINT webhook_deliveries_channel_check CHECK (channel IN ('WHATSAPP')),
    body_sha256 bytea NOT NULL CONSTRAINT webhook_deliveries_body_sha256_check CHECK (octet_length(body_sha256) = 32),
    body_encrypted bytea NOT NULL,
    body_bytes bigint NOT NULL CONSTRAINT webhook_deliveries_body_bytes_check CHECK (body_bytes >= 0),
    received_at timestamptz NOT NULL,
    processed_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_body_sha256_key ON webhook_deliveries (body_sha256);

-- Row-level security as everywhere (see 0001). Webhook deliveries and platform jobs have no
-- organization: only the platform scope reads them.
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant_isolation ON jobs
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant_isolation ON webhook_deliveries
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
