-- Tenants and the people who belong to them. Ids are UUIDv7 text, instants fixed-width UTC text.
CREATE TABLE organizations (
    id TEXT NOT NULL CONSTRAINT organizations_pkey PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT organizations_name_check CHECK (length(trim(name)) > 0),
    tax_id TEXT NOT NULL CONSTRAINT organizations_tax_id_check CHECK (length(tax_id) = 14),
    hipaa_compliant INTEGER NOT NULL DEFAULT 1 CONSTRAINT organizations_hipaa_compliant_check CHECK (hipaa_compliant IN (0, 1)),
    data_retention_years INTEGER NOT NULL DEFAULT 20 CONSTRAINT organizations_data_retention_years_check CHECK (data_retention_years BETWEEN 1 AND 100),
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT organizations_is_active_check CHECK (is_active IN (0, 1)),
    timezone TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    settings TEXT NOT NULL DEFAULT '{}' CONSTRAINT organizations_settings_check CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    whatsapp_phone_number_id TEXT,
    whatsapp_business_account_id TEXT,
    whatsapp_access_token_encrypted BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX organizations_tax_id_key ON organizations (tax_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX organizations_whatsapp_phone_number_id_key ON organizations (whatsapp_phone_number_id)
    WHERE deleted_at IS NULL;

CREATE TABLE users (
    id TEXT NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT users_organization_id_fkey REFERENCES organizations (id),
    role TEXT NOT NULL CONSTRAINT users_role_check CHECK (role IN ('patient', 'provider', 'admin', 'system')),
    name TEXT NOT NULL,
    cpf_encrypted BLOB,
    cpf_bidx BLOB,
    phone TEXT CONSTRAINT users_phone_check
        CHECK (phone GLOB '+[1-9]*' AND substr(phone, 2) NOT GLOB '*[^0-9]*' AND length(phone) BETWEEN 8 AND 16),
    whatsapp_id TEXT,
    email TEXT CONSTRAINT users_email_check CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash TEXT,
    totp_secret_encrypted BLOB,
    birth_date TEXT,
    language TEXT NOT NULL DEFAULT 'pt-BR',
    timezone TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    emergency_contact_encrypted BLOB,
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT users_is_active_check CHECK (is_active IN (0, 1)),
    last_login_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT users_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX users_organization_id_phone_key ON users (organization_id, phone) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_organization_id_cpf_bidx_key ON users (organization_id, cpf_bidx) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_organization_id_email_key ON users (organization_id, email) WHERE deleted_at IS NULL;
CREATE INDEX users_phone_idx ON users (phone);
CREATE INDEX "users_organizationId_isActive_idx" ON users (organization_id, is_active);
CREATE INDEX users_whatsapp_id_idx ON users (organization_id, whatsapp_id);

CREATE TABLE providers (
    id TEXT NOT NULL CONSTRAINT providers_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT providers_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    council TEXT NOT NULL CONSTRAINT providers_council_check CHECK (council IN
        ('CRM', 'COREN', 'CRF', 'CRO', 'CRP', 'CRN', 'CREFITO', 'CRFA', 'CRESS', 'CRBIO', 'CRBM', 'CREF', 'CRMV', 'CRTR')),
    council_region TEXT NOT NULL,
    council_number TEXT NOT NULL CONSTRAINT providers_council_number_check CHECK (length(council_number) BETWEEN 1 AND 15),
    council_category TEXT,
    rqe TEXT,
    specialties TEXT NOT NULL DEFAULT '[]' CONSTRAINT providers_specialties_check CHECK (json_valid(specialties) AND json_type(specialties) = 'array'),
    cbo TEXT,
    verification_status TEXT NOT NULL DEFAULT 'PENDING'
        CONSTRAINT providers_verification_status_check CHECK (verification_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
    verified_at TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT providers_is_active_check CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT providers_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT providers_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX providers_organization_id_user_id_key ON providers (organization_id, user_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX providers_organization_id_licence_key
    ON providers (organization_id, council, council_region, council_number) WHERE deleted_at IS NULL;
