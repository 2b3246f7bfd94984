CREATE TABLE documents (
    id uuid NOT NULL CONSTRAINT documents_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT documents_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    message_id uuid,
    authorization_id uuid,
    document_type TEXT NOT NULL CONSTRAINT documents_document_type_check CHECK (document_type IN
        ('PRESCRIPTION', 'MEDICAL_ORDER', 'LAB_REPORT', 'IMAGING_REPORT', 'HEALTH_CARD', 'ID_DOCUMENT', 'OTHER')),
    file_name_encrypted bytea,
    mime_type TEXT NOT NULL,
    size_bytes bigint NOT NULL CONSTRAINT documents_size_bytes_check CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CONSTRAINT documents_sha256_check CHECK (length(sha256) = 64),
    storage_provider TEXT NOT NULL CONSTRAINT documents_storage_provider_check CHECK (storage_provider IN ('LOCAL', 'S3', 'GCS')),
    storage_key TEXT NOT NULL,
    wrapped_key bytea,
    ocr_status TEXT NOT NULL DEFAULT 'PENDING' CONSTRAINT documents_ocr_status_check CHECK (ocr_status IN
        ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'NOT_APPLICABLE')),
    ocr_text_encrypted bytea,
    ocr_confidence double precision CONSTRAINT documents_ocr_confidence_check CHECK (ocr_confidence BETWEEN 0 AND 1),
    extracted_data_encrypted bytea,
    health_keywords jsonb NOT NULL DEFAULT '[]'::jsonb,
    verified_by uuid,
    verified_at timestamptz,
    retention_until date,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT documents_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT documents_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id),
    CONSTRAINT documents_authorization_id_fkey FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id),
    CONSTRAINT documents_verified_by_fkey FOREIGN KEY (organization_id, verified_by) REFERENCES providers (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT documents_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX documents_organization_id_storage_key_key ON documents (organization_id, storage_key);
CREATE INDEX documents_user_id_idx ON documents (user_id);

CREATE TABLE health_data (
    id uuid NOT NULL CONSTRAINT health_data_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT health_data_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    data_type TEXT NOT NULL CONSTRAINT health_data_data_type_check CHECK (data_type IN
        ('CONDITION', 'MEDICATION', 'ALLERGY', 'SYMPTOM', 'VITAL_SIGN', 'LAB_RESULT')),
    data_encrypted bytea NOT NULL,
    notes_encrypted bytea,
    sensitivity_level TEXT NOT NULL DEFAULT 'SENSITIVE' CONSTRAINT health_data_sensitivity_level_check CHECK (sensitivity_level IN
        ('PUBLIC', 'INTERNAL', 'SENSITIVE', 'CONFIDENTIAL')),
    access_level TEXT NOT NULL DEFAULT 'CARE_TEAM' CONSTRAINT health_data_access_level_check CHECK (access_level IN
        ('PATIENT_ONLY', 'CARE_TEAM', 'ORGANIZATION')),
    source TEXT NOT NULL CONSTRAINT health_data_source_check CHECK (source IN
        ('PATIENT_REPORTED', 'WHATSAPP', 'PROVIDER', 'DEVICE', 'LABORATORY', 'DOCUMENT', 'TASY', 'IMPORT')),
    reliability_score double precision NOT NULL CONSTRAINT health_data_reliability_score_check CHECK (reliability_score BETWEEN 0 AND 1),
    recorded_at timestamptz NOT NULL,
    verified_by uuid,
    verified_at timestamptz,
    expires_at timestamptz,
    is_active boolean NOT NULL DEFAULT true,
    message_id uuid,
    document_id uuid,
    created_by uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT health_data_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT health_data_verified_by_fkey FOREIGN KEY (organization_id, verified_by) REFERENCES providers (organization_id, id),
    CONSTRAINT health_data_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id),
    CONSTRAINT health_data_document_id_fkey FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id),
    CONSTRAINT health_data_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id)
);
CREATE INDEX "health_data_userId_type_isActive_idx" ON health_data (user_id, data_type, is_active);
CREATE INDEX health_data_organization_id_idx ON health_data (organization_id);

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant_isolation ON documents
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE health_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_data FORCE ROW LEVEL SECURITY;
CREATE POLICY health_data_tenant_isolation ON health_data
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
