-- The security core: versioned data keys, sessions, API keys, one-time login codes, login attempts,
-- care-team assignments, break-glass grants, and the audit log's MAC chain.

-- An organization's data keys, wrapped by the key-encryption key (derived from the master key,
-- which never enters the database). One PRIMARY encrypts; ACTIVE ones still decrypt rows not yet
-- re-encrypted; RETIRED ones are destroyed (no row uses them any more).
CREATE TABLE encryption_keys (
    id uuid NOT NULL CONSTRAINT encryption_keys_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT encryption_keys_organization_id_fkey REFERENCES organizations (id),
    version bigint NOT NULL CONSTRAINT encryption_keys_version_check CHECK (version >= 1),
    state TEXT NOT NULL CONSTRAINT encryption_keys_state_check CHECK (state IN ('PRIMARY', 'ACTIVE', 'RETIRED')),
    wrapped_key bytea,
    -- Where the re-encryption job stands (JSON): resumes there after a restart.
    rotation_cursor jsonb NOT NULL DEFAULT '{}'::jsonb,
    retired_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT encryption_keys_retired_check CHECK ((state = 'RETIRED') = (wrapped_key IS NULL))
);
CREATE UNIQUE INDEX encryption_keys_organization_id_version_key ON encryption_keys (organization_id, version)
    WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX encryption_keys_one_primary_key ON encryption_keys (organization_id)
    WHERE state = 'PRIMARY' AND deleted_at IS NULL;

-- Login sessions: only the SHA-256 of the bearer token is kept.
CREATE TABLE sessions (
    id uuid NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT sessions_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    role TEXT NOT NULL CONSTRAINT sessions_role_check CHECK (role IN ('patient', 'provider', 'admin')),
    token_hash bytea NOT NULL CONSTRAINT sessions_token_hash_check CHECK (octet_length(token_hash) = 32),
    expires_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    revoked_at timestamptz,
    ip_address TEXT,
    user_agent TEXT,
    -- The TOTP time step an admin logged in with: a code is never accepted twice (RFC 6238 §5.2).
    totp_step bigint,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (organization_id, user_id);

-- Machine credentials for the system role; organization-wide or (organization empty) platform-wide.
CREATE TABLE api_keys (
    id uuid NOT NULL CONSTRAINT api_keys_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT api_keys_organization_id_fkey REFERENCES organizations (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CONSTRAINT api_keys_role_check CHECK (role IN ('system')),
    key_hash bytea NOT NULL CONSTRAINT api_keys_key_hash_check CHECK (octet_length(key_hash) = 32),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);

-- One-time login codes sent to a patient's WhatsApp: the code's HMAC, never the code.
CREATE TABLE otp_challenges (
    id uuid NOT NULL CONSTRAINT otp_challenges_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT otp_challenges_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL CONSTRAINT otp_challenges_code_hash_check CHECK (octet_length(code_hash) = 32),
    attempts bigint NOT NULL DEFAULT 0 CONSTRAINT otp_challenges_attempts_check CHECK (attempts BETWEEN 0 AND 5),
    expires_at timestamptz NOT NULL,
    consumed_at timestamptz,
    whatsapp_message_id TEXT,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT otp_challenges_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE INDEX otp_challenges_user_idx ON otp_challenges (organization_id, user_id, created_at);

-- Staff login attempts, for rate limits and lockout per account and per address. The account is
-- an HMAC of the e-mail, so attempts on addresses that have no account are counted the same way.
CREATE TABLE login_attempts (
    id uuid NOT NULL CONSTRAINT login_attempts_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT login_attempts_organization_id_fkey REFERENCES organizations (id),
    account_hash bytea NOT NULL CONSTRAINT login_attempts_account_hash_check CHECK (octet_length(account_hash) = 32),
    ip_address TEXT,
    succeeded boolean NOT NULL,
    occurred_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX login_attempts_account_idx ON login_attempts (account_hash, occurred_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip_address, occurred_at);

-- Which providers care for which patient (the "assigned provider" of CONFIDENTIAL health data).
CREATE TABLE care_assignments (
    id uuid NOT NULL CONSTRAINT care_assignments_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT care_assignments_organization_id_fkey REFERENCES organizations (id),
    patient_id uuid NOT NULL,
    provider_user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT care_assignments_patient_id_fkey FOREIGN KEY (organization_id, patient_id) REFERENCES users (organization_id, id),
    CONSTRAINT care_assignments_provider_user_id_fkey FOREIGN KEY (organization_id, provider_user_id) REFERENCES users (organization_id, id)
);
CREATE UNIQUE INDEX care_assignments_patient_id_provider_user_id_key
    ON care_assignments (organization_id, patient_id, provider_user_id) WHERE deleted_at IS NULL;

-- Emergency access to a patient's CONFIDENTIAL data by a provider outside the care team: a reason
-- (encrypted: it often describes the patient's state), a short validity, a review.
CREATE TABLE break_glass_grants (
    id uuid NOT NULL CONSTRAINT break_glass_grants_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT break_glass_grants_organization_id_fkey REFERENCES organizations (id),
    provider_user_id uuid NOT NULL,
    patient_id uuid NOT NULL,
    reason_encrypted bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT break_glass_grants_patient_id_fkey FOREIGN KEY (organization_id, patient_id) REFERENCES users (organization_id, id),
    CONSTRAINT break_glass_grants_provider_user_id_fkey FOREIGN KEY (organization_id, provider_user_id) REFERENCES users (organization_id, id)
);
CREATE INDEX break_glass_grants_lookup_idx ON break_glass_grants (organization_id, provider_user_id, patient_id, expires_at);

-- Idempotency-Key of creating requests: the first response is kept (sealed, it may hold personal
-- data) and replayed for a retry with the same key and body; a different body is refused.
CREATE TABLE idempotency_keys (
    id uuid NOT NULL CONSTRAINT idempotency_keys_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT idempotency_keys_organization_id_fkey REFERENCES organizations (id),
    -- Who sent it (`user:<id>`, `apikey:<id>`): keys of different callers never collide.
    actor_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT idempotency_keys_idempotency_key_check CHECK (octet_length(idempotency_key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL CONSTRAINT idempotency_keys_request_hash_check CHECK (octet_length(request_hash) = 32),
    status_code bigint,
    response_encrypted bytea,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX idempotency_keys_actor_key_idempotency_key_key ON idempotency_keys (actor_key, idempotency_key)
    WHERE deleted_at IS NULL;

-- The audit chain: an organization's entries are spread over a few chains, so concurrent requests
-- do not wait for one lock; each chain's head is the row an append locks.
ALTER TABLE audit_logs ADD COLUMN chain_id TEXT, ADD COLUMN chain_seq bigint, ADD COLUMN entry_mac bytea;
CREATE UNIQUE INDEX audit_logs_chain_id_chain_seq_key ON audit_logs (chain_id, chain_seq);

CREATE TABLE audit_chain_heads (
    id uuid NOT NULL CONSTRAINT audit_chain_heads_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT audit_chain_heads_organization_id_fkey REFERENCES organizations (id),
    chain_id TEXT NOT NULL,
    seq bigint NOT NULL CONSTRAINT audit_chain_heads_seq_check CHECK (seq >= 0),
    head_mac bytea NOT NULL CONSTRAINT audit_chain_heads_head_mac_check CHECK (octet_length(head_mac) = 32),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX audit_chain_heads_chain_id_key ON audit_chain_heads (chain_id);

-- Signed statements of a chain's length and head; a truncated or rewritten chain contradicts them.
CREATE TABLE audit_checkpoints (
    id uuid NOT NULL CONSTRAINT audit_checkpoints_pkey PRIMARY KEY,
    organization_id uuid CONSTRAINT audit_checkpoints_organization_id_fkey REFERENCES organizations (id),
    chain_id TEXT NOT NULL,
    seq bigint NOT NULL,
    head_mac bytea NOT NULL CONSTRAINT audit_checkpoints_head_mac_check CHECK (octet_length(head_mac) = 32),
    signature bytea NOT NULL CONSTRAINT audit_checkpoints_signature_check CHECK (octet_length(signature) = 64),
    signed_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX audit_checkpoints_chain_id_seq_key ON audit_checkpoints (chain_id, seq);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION austa_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION austa_reject_change();

-- Row-level security on every new table, as on the others (see 0001). Sessions, API keys, login
-- attempts and chain heads are read by authentication before any organization is known: that
-- lookup runs in the platform's (system) scope, by hash only.
ALTER TABLE encryption_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE encryption_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY encryption_keys_tenant_isolation ON encryption_keys
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_tenant_isolation ON sessions
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant_isolation ON api_keys
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE otp_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE otp_challenges FORCE ROW LEVEL SECURITY;
CREATE POLICY otp_challenges_tenant_isolation ON otp_challenges
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY login_attempts_tenant_isolation ON login_attempts
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE care_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE care_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY care_assignments_tenant_isolation ON care_assignments
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY break_glass_grants_tenant_isolation ON break_glass_grants
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_chain_heads_tenant_isolation ON audit_chain_heads
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_tenant_isolation ON audit_checkpoints
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_tenant_isolation ON idempotency_keys
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
