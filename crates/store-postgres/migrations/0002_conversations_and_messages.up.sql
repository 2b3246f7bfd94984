CREATE TABLE conversations (
    id uuid NOT NULL CONSTRAINT conversations_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT conversations_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    channel TEXT NOT NULL DEFAULT 'WHATSAPP' CONSTRAINT conversations_channel_check CHECK (channel IN ('WHATSAPP')),
    business_phone_number_id TEXT,
    status TEXT NOT NULL DEFAULT 'ACTIVE' CONSTRAINT conversations_status_check
        CHECK (status IN ('ACTIVE', 'WAITING_HUMAN', 'ESCALATED', 'RESOLVED', 'CLOSED')),
    priority TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT conversations_priority_check
        CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
    health_topics jsonb NOT NULL DEFAULT '[]'::jsonb,
    medications_mentioned jsonb NOT NULL DEFAULT '[]'::jsonb,
    symptoms_reported jsonb NOT NULL DEFAULT '[]'::jsonb,
    ai_context_encrypted bytea,
    assigned_provider_id uuid,
    last_message_at timestamptz,
    first_response_at timestamptz,
    message_count bigint NOT NULL DEFAULT 0 CONSTRAINT conversations_message_count_check CHECK (message_count >= 0),
    metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
    closed_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT conversations_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT conversations_assigned_provider_id_fkey FOREIGN KEY (organization_id, assigned_provider_id) REFERENCES providers (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT conversations_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE INDEX conversations_organization_id_user_id_status_idx ON conversations (organization_id, user_id, status);
CREATE INDEX conversations_organization_id_last_message_at_idx ON conversations (organization_id, last_message_at);

CREATE TABLE messages (
    id uuid NOT NULL CONSTRAINT messages_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT messages_organization_id_fkey REFERENCES organizations (id),
    conversation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    whatsapp_message_id TEXT,
    business_phone_number_id TEXT,
    direction TEXT NOT NULL CONSTRAINT messages_direction_check CHECK (direction IN ('INBOUND', 'OUTBOUND')),
    message_type TEXT NOT NULL CONSTRAINT messages_message_type_check CHECK (message_type IN
        ('TEXT', 'IMAGE', 'DOCUMENT', 'AUDIO', 'VIDEO', 'STICKER', 'LOCATION', 'CONTACTS', 'INTERACTIVE',
         'BUTTON', 'REACTION', 'TEMPLATE', 'ORDER', 'SYSTEM', 'UNSUPPORTED')),
    content_encrypted bytea,
    media_id TEXT,
    context_message_id TEXT,
    status TEXT NOT NULL CONSTRAINT messages_status_check CHECK (status IN
        ('RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'PLAYED', 'FAILED', 'DELETED')),
    status_updated_at timestamptz,
    error_code bigint,
    error_title TEXT,
    sent_at timestamptz NOT NULL,
    delivered_at timestamptz,
    read_at timestamptz,
    ai_processed boolean NOT NULL DEFAULT false,
    ai_confidence double precision CONSTRAINT messages_ai_confidence_check CHECK (ai_confidence BETWEEN 0 AND 1),
    ai_intent TEXT,
    ai_entities jsonb NOT NULL DEFAULT '[]'::jsonb,
    health_keywords jsonb NOT NULL DEFAULT '[]'::jsonb,
    urgency_level TEXT CONSTRAINT messages_urgency_level_check CHECK (urgency_level IN ('LOW', 'MEDIUM', 'HIGH', 'EMERGENCY')),
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id),
    CONSTRAINT messages_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    -- Children reference (organization_id, id): a row can only point into its own organization.
    CONSTRAINT messages_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX messages_wamid_key ON messages (organization_id, business_phone_number_id, whatsapp_message_id);
CREATE INDEX "messages_conversationId_sentAt_idx" ON messages (conversation_id, sent_at);

-- Row-level security: a transaction sees only the organization the store set for it
-- (austa.organization_id), unless the platform itself set austa.bypass_rls. FORCE applies the
-- policies to the tables' owner too, which is the role the application connects as.
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY conversations_tenant_isolation ON conversations
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY messages_tenant_isolation ON messages
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
