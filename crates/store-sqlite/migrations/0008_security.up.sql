-- The security core: versioned data keys, sessions, API keys, one-time login codes, login attempts,
-- care-team assignments, break-glass grants, and the audit log's MAC chain.

-- An organization's data keys, wrapped by the key-encryption key (derived from the master key,
-- which never enters the database). One PRIMARY encrypts; ACTIVE ones still decrypt rows not yet
-- re-encrypted; RETIRED ones are destroyed (no row uses them any more).
CREATE TABLE encryption_keys (
    id TEXT NOT NULL CONSTRAINT encryption_keys_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT encryption_keys_organization_id_fkey REFERENCES organizations (id),
    version INTEGER NOT NULL CONSTRAINT encryption_keys_version_check CHECK (version >= 1),
    state TEXT NOT NULL CONSTRAINT encryption_keys_state_check CHECK (state IN ('PRIMARY', 'ACTIVE', 'RETIRED')),
    wrapped_key BLOB,
    -- Where the re-encryption job stands (JSON): resumes there after a restart.
    rotation_cursor TEXT NOT NULL DEFAULT '{}' CONSTRAINT encryption_keys_rotation_cursor_check CHECK (json_valid(rotation_cursor)),
    retired_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT encryption_keys_retired_check CHECK ((state = 'RETIRED') = (wrapped_key IS NULL))
) STRICT;
CREATE UNIQUE INDEX encryption_keys_organization_id_version_key ON encryption_keys (organization_id, version)
    WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX encryption_keys_one_primary_key ON encryption_keys (organization_id)
    WHERE state = 'PRIMARY' AND deleted_at IS NULL;

-- Login sessions: only the SHA-256 of the bearer token is kept.
CREATE TABLE sessions (
    id TEXT NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT sessions_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CONSTRAINT sessions_role_check CHECK (role IN ('patient', 'provider', 'admin')),
    token_hash BLOB NOT NULL CONSTRAINT sessions_token_hash_check CHECK (length(token_hash) = 32),
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked_at TEXT,
    ip_address TEXT,
    user_agent TEXT,
    -- The TOTP time step an admin logged in with: a code is never accepted twice (RFC 6238 §5.2).
    totp_step INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (organization_id, user_id);

-- Machine credentials for the system role; organization-wide or (organization empty) platform-wide.
CREATE TABLE api_keys (
    id TEXT NOT NULL CONSTRAINT api_keys_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT api_keys_organization_id_fkey REFERENCES organizations (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CONSTRAINT api_keys_role_check CHECK (role IN ('system')),
    key_hash BLOB NOT NULL CONSTRAINT api_keys_key_hash_check CHECK (length(key_hash) = 32),
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);

-- One-time login codes sent to a patient's WhatsApp: the code's HMAC, never the code.
CREATE TABLE otp_challenges (
    id TEXT NOT NULL CONSTRAINT otp_challenges_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT otp_challenges_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    code_hash BLOB NOT NULL CONSTRAINT otp_challenges_code_hash_check CHECK (length(code_hash) = 32),
    attempts INTEGER NOT NULL DEFAULT 0 CONSTRAINT otp_challenges_attempts_check CHECK (attempts BETWEEN 0 AND 5),
    expires_at TEXT NOT NULL,
    consumed_at TEXT,
    whatsapp_message_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT otp_challenges_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE INDEX otp_challenges_user_idx ON otp_challenges (organization_id, user_id, created_at);

-- Staff login attempts, for rate limits and lockout per account and per address. The account is
-- an HMAC of the e-mail, so attempts on addresses that have no account are counted the same way.
CREATE TABLE login_attempts (
    id TEXT NOT NULL CONSTRAINT login_attempts_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT login_attempts_organization_id_fkey REFERENCES organizations (id),
    account_hash BLOB NOT NULL CONSTRAINT login_attempts_account_hash_check CHECK (length(account_hash) = 32),
    ip_address TEXT,
    succeeded INTEGER NOT NULL CONSTRAINT login_attempts_succeeded_check CHECK (succeeded IN (0, 1)),
    occurred_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE INDEX login_attempts_account_idx ON login_attempts (account_hash, occurred_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip_address, occurred_at);

-- Which providers care for which patient (the "assigned provider" of CONFIDENTIAL health data).
CREATE TABLE care_assignments (
    id TEXT NOT NULL CONSTRAINT care_assignments_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT care_assignments_organization_id_fkey REFERENCES organizations (id),
    patient_id TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT care_assignments_patient_id_fkey FOREIGN KEY (organization_id, patient_id) REFERENCES users (organization_id, id),
    CONSTRAINT care_assignments_provider_user_id_fkey FOREIGN KEY (organization_id, provider_user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX care_assignments_patient_id_provider_user_id_key
    ON care_assignments (organization_id, patient_id, provider_user_id) WHERE deleted_at IS NULL;

-- Emergency access to a patient's CONFIDENTIAL data by a provider outside the care team: a reason
-- (encrypted: it often describes the patient's state), a short validity, a review.
CREATE TABLE break_glass_grants (
    id TEXT NOT NULL CONSTRAINT break_glass_grants_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT break_glass_grants_organization_id_fkey REFERENCES organizations (id),
    provider_user_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    reason_encrypted BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT break_glass_grants_patient_id_fkey FOREIGN KEY (organization_id, patient_id) REFERENCES users (organization_id, id),
    CONSTRAINT break_glass_grants_provider_user_id_fkey FOREIGN KEY (organization_id, provider_user_id) REFERENCES users (organization_id, id)
) STRICT;
CREATE INDEX break_glass_grants_lookup_idx ON break_glass_grants (organization_id, provider_user_id, patient_id, expires_at);

-- Idempotency-Key of creating requests: the first response is kept (sealed, it may hold personal
-- data) and replayed for a retry with the same key and body; a different body is refused.
CREATE TABLE idempotency_keys (
    id TEXT NOT NULL CONSTRAINT idempotency_keys_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT idempotency_keys_organization_id_fkey REFERENCES organizations (id),
    -- Who sent it (`user:<id>`, `apikey:<id>`): keys of different callers never collide.
    actor_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT idempotency_keys_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash BLOB NOT NULL CONSTRAINT idempotency_keys_request_hash_check CHECK (length(request_hash) = 32),
    status_code INTEGER,
    response_encrypted BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX idempotency_keys_actor_key_idempotency_key_key ON idempotency_keys (actor_key, idempotency_key)
    WHERE deleted_at IS NULL;

-- The audit chain: an organization's entries are spread over a few chains, so concurrent requests
-- do not wait for one lock; each chain's head is the row an append locks.
ALTER TABLE audit_logs ADD COLUMN chain_id TEXT;
ALTER TABLE audit_logs ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_logs ADD COLUMN entry_mac BLOB;
CREATE UNIQUE INDEX audit_logs_chain_id_chain_seq_key ON audit_logs (chain_id, chain_seq);

CREATE TABLE audit_chain_heads (
    id TEXT NOT NULL CONSTRAINT audit_chain_heads_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT audit_chain_heads_organization_id_fkey REFERENCES organizations (id),
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL CONSTRAINT audit_chain_heads_seq_check CHECK (seq >= 0),
    head_mac BLOB NOT NULL CONSTRAINT audit_chain_heads_head_mac_check CHECK (length(head_mac) = 32),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX audit_chain_heads_chain_id_key ON audit_chain_heads (chain_id);

-- Signed statements of a chain's length and head; a truncated or rewritten chain contradicts them.
CREATE TABLE audit_checkpoints (
    id TEXT NOT NULL CONSTRAINT audit_checkpoints_pkey PRIMARY KEY,
    organization_id TEXT CONSTRAINT audit_checkpoints_organization_id_fkey REFERENCES organizations (id),
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    head_mac BLOB NOT NULL CONSTRAINT audit_checkpoints_head_mac_check CHECK (length(head_mac) = 32),
    signature BLOB NOT NULL CONSTRAINT audit_checkpoints_signature_check CHECK (length(signature) = 64),
    signed_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX audit_checkpoints_chain_id_seq_key ON audit_checkpoints (chain_id, seq);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
