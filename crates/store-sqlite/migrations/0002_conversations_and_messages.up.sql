CREATE TABLE conversations (
    id TEXT NOT NULL CONSTRAINT conversations_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT conversations_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'WHATSAPP' CONSTRAINT conversations_channel_check CHECK (channel IN ('WHATSAPP')),
    business_phone_number_id TEXT,
    status TEXT NOT NULL DEFAULT 'ACTIVE' CONSTRAINT conversations_status_check
        CHECK (status IN ('ACTIVE', 'WAITING_HUMAN', 'ESCALATED', 'RESOLVED', 'CLOSED')),
    priority TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT conversations_priority_check
        CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
    health_topics TEXT NOT NULL DEFAULT '[]' CONSTRAINT conversations_health_topics_check CHECK (json_valid(health_topics)),
    medications_mentioned TEXT NOT NULL DEFAULT '[]' CONSTRAINT conversations_medications_mentioned_check CHECK (json_valid(medications_mentioned)),
    symptoms_reported TEXT NOT NULL DEFAULT '[]' CONSTRAINT conversations_symptoms_reported_check CHECK (json_valid(symptoms_reported)),
    ai_context_encrypted BLOB,
    assigned_provider_id TEXT,
    last_message_at TEXT,
    first_response_at TEXT,
    message_count INTEGER NOT NULL DEFAULT 0 CONSTRAINT conversations_message_count_check CHECK (message_count >= 0),
    metrics TEXT NOT NULL DEFAULT '{}' CONSTRAINT conversations_metrics_check CHECK (json_valid(metrics)),
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT conversations_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT conversations_assigned_provider_id_fkey FOREIGN KEY (organization_id, assigned_provider_id) REFERENCES providers (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT conversations_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE INDEX conversations_organization_id_user_id_status_idx ON conversations (organization_id, user_id, status);
CREATE INDEX conversations_organization_id_last_message_at_idx ON conversations (organization_id, last_message_at);

CREATE TABLE messages (
    id TEXT NOT NULL CONSTRAINT messages_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT messages_organization_id_fkey REFERENCES organizations (id),
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    whatsapp_message_id TEXT,
    business_phone_number_id TEXT,
    direction TEXT NOT NULL CONSTRAINT messages_direction_check CHECK (direction IN ('INBOUND', 'OUTBOUND')),
    message_type TEXT NOT NULL CONSTRAINT messages_message_type_check CHECK (message_type IN
        ('TEXT', 'IMAGE', 'DOCUMENT', 'AUDIO', 'VIDEO', 'STICKER', 'LOCATION', 'CONTACTS', 'INTERACTIVE',
         'BUTTON', 'REACTION', 'TEMPLATE', 'ORDER', 'SYSTEM', 'UNSUPPORTED')),
    content_encrypted BLOB,
    media_id TEXT,
    context_message_id TEXT,
    status TEXT NOT NULL CONSTRAINT messages_status_check CHECK (status IN
        ('RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'PLAYED', 'FAILED', 'DELETED')),
    status_updated_at TEXT,
    error_code INTEGER,
    error_title TEXT,
    sent_at TEXT NOT NULL,
    delivered_at TEXT,
    read_at TEXT,
    ai_processed INTEGER NOT NULL DEFAULT 0 CONSTRAINT messages_ai_processed_check CHECK (ai_processed IN (0, 1)),
    ai_confidence REAL CONSTRAINT messages_ai_confidence_check CHECK (ai_confidence BETWEEN 0 AND 1),
    ai_intent TEXT,
    ai_entities TEXT NOT NULL DEFAULT '[]' CONSTRAINT messages_ai_entities_check CHECK (json_valid(ai_entities)),
    health_keywords TEXT NOT NULL DEFAULT '[]' CONSTRAINT messages_health_keywords_check CHECK (json_valid(health_keywords)),
    urgency_level TEXT CONSTRAINT messages_urgency_level_check CHECK (urgency_level IN ('LOW', 'MEDIUM', 'HIGH', 'EMERGENCY')),
    metadata TEXT NOT NULL DEFAULT '{}' CONSTRAINT messages_metadata_check CHECK (json_valid(metadata)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id),
    CONSTRAINT messages_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT messages_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX messages_wamid_key ON messages (organization_id, business_phone_number_id, whatsapp_message_id);
CREATE INDEX "messages_conversationId_sentAt_idx" ON messages (conversation_id, sent_at);
