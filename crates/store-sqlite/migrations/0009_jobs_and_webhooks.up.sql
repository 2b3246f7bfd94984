-- Background work and inbound webhooks.

-- One durable queue for all background work: at-least-once, leased, retried with backoff.
CREATE TABLE jobs (
    id TEXT NOT NULL CONSTRAINT jobs_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT jobs_organization_id_fkey REFERENCES organizations (id),
    kind TEXT NOT NULL CONSTRAINT jobs_kind_check CHECK (length(kind) BETWEEN 1 AND 100),
    payload TEXT NOT NULL DEFAULT '{}' CONSTRAINT jobs_payload_check CHECK (json_valid(payload)),
    status TEXT NOT NULL CONSTRAINT jobs_status_check CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'DEAD')),
    attempts INTEGER NOT NULL DEFAULT 0 CONSTRAINT jobs_attempts_check CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 10 CONSTRAINT jobs_max_attempts_check CHECK (max_attempts >= 1),
    run_at TEXT NOT NULL,
    locked_until TEXT,
    locked_by TEXT,
    last_error TEXT,
    -- Enqueueing the same work twice (a retried webhook) keeps one job.
    dedupe_key TEXT,
    finished_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX jobs_kind_dedupe_key_key ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);

-- Signed webhook notifications exactly as received, sealed (they carry messages), kept before the
-- 200 is sent. The same bytes delivered again (Meta retries) are stored once.
CREATE TABLE webhook_deliveries (
    id TEXT NOT NULL CONSTRAINT webhook_deliveries_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT webhook_deliveries_organization_id_fkey REFERENCES organizations (id),
    channel TEXT NOT NULL CONSTRAINT webhook_deliveries_channel_check CHECK (channel IN ('WHATSAPP')),
    body_sha256 BLOB NOT NULL CONSTRAINT webhook_deliveries_body_sha256_check CHECK (length(body_sha256) = 32),
    body_encrypted BLOB NOT NULL,
    body_bytes INTEGER NOT NULL CONSTRAINT webhook_deliveries_body_bytes_check CHECK (body_bytes >= 0),
    received_at TEXT NOT NULL,
    processed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX webhook_deliveries_body_sha256_key ON webhook_deliveries (body_sha256);
