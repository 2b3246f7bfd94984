CREATE TABLE authorizations (
    id uuid NOT NULL CONSTRAINT authorizations_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT authorizations_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    requesting_provider_id uuid,
    protocol_number TEXT NOT NULL,
    procedures jsonb NOT NULL CONSTRAINT authorizations_procedures_check CHECK (jsonb_typeof(procedures) = 'array'),
    care_character TEXT NOT NULL CONSTRAINT authorizations_care_character_check CHECK (care_character IN ('ELECTIVE', 'URGENCY_EMERGENCY')),
    priority TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT authorizations_priority_check CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
    status TEXT NOT NULL DEFAULT 'REQUESTED' CONSTRAINT authorizations_status_check CHECK (status IN
        ('REQUESTED', 'UNDER_REVIEW', 'PENDING_DOCUMENTS', 'PENDING_JUSTIFICATION', 'APPROVED',
         'PARTIALLY_APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED')),
    clinical_encrypted bytea,
    due_at timestamptz,
    decided_at timestamptz,
    decided_by uuid,
    authorization_password TEXT,
    password_valid_until timestamptz,
    denial_reason TEXT,
    denial_clause TEXT,
    tasy_external_id TEXT,
    tasy_sync_status TEXT CONSTRAINT authorizations_tasy_sync_status_check CHECK (tasy_sync_status IN
        ('PENDING', 'IN_PROGRESS', 'SYNCED', 'PARTIAL', 'FAILED')),
    insurance_claim_ref TEXT,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    -- A denial must say why and under which clause or rule (RN 623/2024).
    CONSTRAINT authorizations_denial_check CHECK (status <> 'DENIED' OR (denial_reason IS NOT NULL AND denial_clause IS NOT NULL)),
    CONSTRAINT authorizations_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT authorizations_requesting_provider_id_fkey FOREIGN KEY (organization_id, requesting_provider_id) REFERENCES providers (organization_id, id),
    CONSTRAINT authorizations_decided_by_fkey FOREIGN KEY (organization_id, decided_by) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT authorizations_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX authorizations_organization_id_protocol_number_key ON authorizations (organization_id, protocol_number);
CREATE INDEX authorizations_organization_id_status_due_at_idx ON authorizations (organization_id, status, due_at);
CREATE INDEX authorizations_user_id_idx ON authorizations (user_id);

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE authorizations FORCE ROW LEVEL SECURITY;
CREATE POLICY authorizations_tenant_isolation ON authorizations
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
