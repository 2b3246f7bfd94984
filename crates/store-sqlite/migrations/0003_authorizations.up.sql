CREATE TABLE authorizations (
    id TEXT NOT NULL CONSTRAINT authorizations_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT authorizations_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    requesting_provider_id TEXT,
    protocol_number TEXT NOT NULL,
    procedures TEXT NOT NULL CONSTRAINT authorizations_procedures_check CHECK (json_valid(procedures) AND json_type(procedures) = 'array'),
    care_character TEXT NOT NULL CONSTRAINT authorizations_care_character_check CHECK (care_character IN ('ELECTIVE', 'URGENCY_EMERGENCY')),
    priority TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT authorizations_priority_check CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
    status TEXT NOT NULL DEFAULT 'REQUESTED' CONSTRAINT authorizations_status_check CHECK (status IN
        ('REQUESTED', 'UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'APPROVED',
         'PARTIALLY_APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED')),
    clinical_encrypted BLOB,
    due_at TEXT,
    decided_at TEXT,
    decided_by TEXT,
    authorization_password TEXT,
    password_valid_until TEXT,
    denial_reason TEXT,
    denial_clause TEXT,
    tasy_external_id TEXT,
    tasy_sync_status TEXT CONSTRAINT authorizations_tasy_sync_status_check CHECK (tasy_sync_status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    insurance_claim_ref TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    -- A denial must say why and under which clause or rule (RN 623/2024).
    CONSTRAINT authorizations_denial_check CHECK (status <> 'DENIED' OR (denial_reason IS NOT NULL AND denial_clause IS NOT NULL)),
    CONSTRAINT authorizations_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT authorizations_requesting_provider_id_fkey FOREIGN KEY (organization_id, requesting_provider_id) REFERENCES providers (organization_id, id),
    CONSTRAINT authorizations_decided_by_fkey FOREIGN KEY (organization_id, decided_by) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT authorizations_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX authorizations_organization_id_protocol_number_key ON authorizations (organization_id, protocol_number);
CREATE INDEX authorizations_organization_id_status_due_at_idx ON authorizations (organization_id, status, due_at);
CREATE INDEX authorizations_user_id_idx ON authorizations (user_id);
