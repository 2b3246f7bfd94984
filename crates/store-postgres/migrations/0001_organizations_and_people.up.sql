-- Tenants and the people who belong to them. Ids are application-generated UUIDv7.

-- Whether the current transaction may see a row of this organization. The store sets both settings
-- at the start of every transaction (set_config(..., true): they end with it); a connection that set
-- neither sees nothing.
CREATE FUNCTION austa_tenant_visible(row_organization uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT coalesce(current_setting('austa.bypass_rls', true), '') = 'on'
            OR row_organization = nullif(current_setting('austa.organization_id', true), '')::uuid
    $$;

-- Ledgers and logs are append-only: updates, deletes and truncation are refused (SQLSTATE AU001).
CREATE FUNCTION austa_reject_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'AU001';
    END
    $$;

CREATE TABLE organizations (
    id uuid NOT NULL CONSTRAINT organizations_pkey PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT organizations_name_check CHECK (length(trim(name)) > 0),
    tax_id TEXT NOT NULL CONSTRAINT organizations_tax_id_check CHECK (length(tax_id) = 14),
    hipaa_compliant boolean NOT NULL DEFAULT true,
    data_retention_years bigint NOT NULL DEFAULT 20 CONSTRAINT organizations_data_retention_years_check CHECK (data_retention_years BETWEEN 1 AND 100),
    is_active boolean NOT NULL DEFAULT true,
    timezone TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    settings jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT organizations_settings_check CHECK (jsonb_typeof(settings) = 'object'),
    whatsapp_phone_number_id TEXT,
    whatsapp_business_account_id TEXT,
    whatsapp_access_token_encrypted bytea,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX organizations_tax_id_key ON organizations (tax_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX organizations_whatsapp_phone_number_id_key ON organizations (whatsapp_phone_number_id)
    WHERE deleted_at IS NULL;

CREATE TABLE users (
    id uuid NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT users_organization_id_fkey REFERENCES organizations (id),
    role TEXT NOT NULL CONSTRAINT users_role_check CHECK (role IN ('patient', 'provider', 'admin', 'system')),
    name TEXT NOT NULL,
    cpf_encrypted bytea,
    cpf_bidx bytea,
    phone TEXT CONSTRAINT users_phone_check CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    whatsapp_id TEXT,
    email TEXT CONSTRAINT users_email_check CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash TEXT,
    totp_secret_encrypted bytea,
    birth_date date,
    language TEXT NOT NULL DEFAULT 'pt-BR',
    timezone TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    emergency_contact_encrypted bytea,
    is_active boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT users_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX users_organization_id_phone_key ON users (organization_id, phone) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_organization_id_cpf_bidx_key ON users (organization_id, cpf_bidx) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_organization_id_email_key ON users (organization_id, email) WHERE deleted_at IS NULL;
CREATE INDEX users_phone_idx ON users (phone);
CREATE INDEX "users_organizationId_isActive_idx" ON users (organization_id, is_active);
CREATE INDEX users_whatsapp_id_idx ON users (organization_id, whatsapp_id);

CREATE TABLE providers (
    id uuid NOT NULL CONSTRAINT providers_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT providers_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    council TEXT NOT NULL CONSTRAINT providers_council_check CHECK (council IN
        ('CRM', 'COREN', 'CRF', 'CRO', 'CRP', 'CRN', 'CREFITO', 'CRFA', 'CRESS', 'CRBIO', 'CRBM', 'CREF', 'CRMV', 'CRTR')),
    council_region TEXT NOT NULL,
    council_number TEXT NOT NULL CONSTRAINT providers_council_number_check CHECK (length(council_number) BETWEEN 1 AND 15),
    council_category TEXT,
    rqe TEXT,
    specialties jsonb NOT NULL DEFAULT '[]'::jsonb CONSTRAINT providers_specialties_check CHECK (jsonb_typeof(specialties) = 'array'),
    cbo TEXT,
    verification_status TEXT NOT NULL DEFAULT 'PENDING'
        CONSTRAINT providers_verification_status_check CHECK (verification_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
    verified_at timestamptz,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT providers_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT providers_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX providers_organization_id_user_id_key ON providers (organization_id, user_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX providers_organization_id_licence_key
    ON providers (organization_id, council, council_region, council_number) WHERE deleted_at IS NULL;

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant_isolation ON organizations
    USING (austa_tenant_visible(id)) WITH CHECK (austa_tenant_visible(id));
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_tenant_isolation ON users
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE providers FORCE ROW LEVEL SECURITY;
CREATE POLICY providers_tenant_isolation ON providers
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
