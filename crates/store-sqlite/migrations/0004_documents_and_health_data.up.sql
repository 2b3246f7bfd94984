CREATE TABLE documents (
    id TEXT NOT NULL CONSTRAINT documents_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT documents_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    message_id TEXT,
    authorization_id TEXT,
    document_type TEXT NOT NULL CONSTRAINT documents_document_type_check CHECK (document_type IN
        ('PRESCRIPTION', 'MEDICAL_ORDER', 'LAB_REPORT', 'IMAGING_REPORT', 'HEALTH_CARD', 'ID_DOCUMENT', 'OTHER')),
    file_name_encrypted BLOB,
    mime_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CONSTRAINT documents_size_bytes_check CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CONSTRAINT documents_sha256_check CHECK (length(sha256) = 64),
    storage_provider TEXT NOT NULL CONSTRAINT documents_storage_provider_check CHECK (storage_provider IN ('LOCAL', 'S3', 'GCS')),
    storage_key TEXT NOT NULL,
    wrapped_key BLOB,
    ocr_status TEXT NOT NULL DEFAULT 'PENDING' CONSTRAINT documents_ocr_status_check CHECK (ocr_status IN
        ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'NOT_APPLICABLE')),
    ocr_text_encrypted BLOB,
    ocr_confidence REAL CONSTRAINT documents_ocr_confidence_check CHECK (ocr_confidence BETWEEN 0 AND 1),
    extracted_data_encrypted BLOB,
    health_keywords TEXT NOT NULL DEFAULT '[]' CONSTRAINT documents_health_keywords_check CHECK (json_valid(health_keywords)),
    verified_by TEXT,
    verified_at TEXT,
    retention_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT documents_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT documents_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id),
    CONSTRAINT documents_authorization_id_fkey FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id),
    CONSTRAINT documents_verified_by_fkey FOREIGN KEY (organization_id, verified_by) REFERENCES providers (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT documents_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX documents_organization_id_storage_key_key ON documents (organization_id, storage_key);
CREATE INDEX documents_user_id_idx ON documents (user_id);

CREATE TABLE health_data (
    id TEXT NOT NULL CONSTRAINT health_data_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT health_data_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    data_type TEXT NOT NULL CONSTRAINT health_data_data_type_check CHECK (data_type IN
        ('CONDITION', 'MEDICATION', 'ALLERGY', 'SYMPTOM', 'VITAL_SIGN', 'LAB_RESULT')),
    data_encrypted BLOB NOT NULL,
    notes_encrypted BLOB,
    sensitivity_level TEXT NOT NULL DEFAULT 'SENSITIVE' CONSTRAINT health_data_sensitivity_level_check CHECK (sensitivity_level IN
        ('PUBLIC', 'INTERNAL', 'SENSITIVE', 'CONFIDENTIAL')),
    access_level TEXT NOT NULL DEFAULT 'CARE_TEAM' CONSTRAINT health_data_access_level_check CHECK (access_level IN
        ('PATIENT_ONLY', 'CARE_TEAM', 'ORGANIZATION')),
    source TEXT NOT NULL CONSTRAINT health_data_source_check CHECK (source IN
        ('PATIENT_REPORTED', 'WHATSAPP', 'PROVIDER', 'DEVICE', 'LABORATORY', 'DOCUMENT', 'TASY', 'IMPORT')),
    reliability_score REAL NOT NULL CONSTRAINT health_data_reliability_score_check CHECK (reliability_score BETWEEN 0 AND 1),
    recorded_at TEXT NOT NULL,
    verified_by TEXT,
    verified_at TEXT,
    expires_at TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT health_data_is_active_check CHECK (is_active IN (0, 1)),
    message_id TEXT,
    document_id TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT health_data_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT health_data_verified_by_fkey FOREIGN KEY (organization_id, verified_by) REFERENCES providers (organization_id, id),
    CONSTRAINT health_data_message_id_fkey FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id),
    CONSTRAINT health_data_document_id_fkey FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id),
    CONSTRAINT health_data_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id)
) STRICT;
CREATE INDEX "health_data_userId_type_isActive_idx" ON health_data (user_id, data_type, is_active);
CREATE INDEX health_data_organization_id_idx ON health_data (organization_id);
