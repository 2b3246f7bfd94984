-- Medication reminders the patient opted into, and each reminded dose with the patient's answer.
ALTER TABLE health_data ADD CONSTRAINT health_data_organization_id_id_key UNIQUE (organization_id, id);

CREATE TABLE medication_reminders (
    id uuid NOT NULL CONSTRAINT medication_reminders_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT medication_reminders_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    health_data_id uuid NOT NULL,
    times jsonb NOT NULL CONSTRAINT medication_reminders_times_check CHECK (jsonb_typeof(times) = 'array'),
    is_active boolean NOT NULL DEFAULT true,
    created_by uuid,
    checked_until timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT medication_reminders_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT medication_reminders_health_data_id_fkey FOREIGN KEY (organization_id, health_data_id) REFERENCES health_data (organization_id, id),
    CONSTRAINT medication_reminders_organization_id_id_key UNIQUE (organization_id, id)
);
CREATE INDEX medication_reminders_organization_id_user_id_idx ON medication_reminders (organization_id, user_id);
CREATE INDEX medication_reminders_is_active_checked_until_idx ON medication_reminders (is_active, checked_until);
ALTER TABLE medication_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY medication_reminders_tenant_isolation ON medication_reminders
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));

CREATE TABLE medication_doses (
    id uuid NOT NULL CONSTRAINT medication_doses_pkey PRIMARY KEY,
    organization_id uuid NOT NULL CONSTRAINT medication_doses_organization_id_fkey REFERENCES organizations (id),
    user_id uuid NOT NULL,
    reminder_id uuid NOT NULL,
    scheduled_at timestamptz NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING' CONSTRAINT medication_doses_status_check CHECK (status IN ('PENDING', 'TAKEN', 'MISSED')),
    delivery TEXT NOT NULL CONSTRAINT medication_doses_delivery_check CHECK (delivery IN ('TEXT', 'TEMPLATE', 'NOT_SENT')),
    message_id uuid,
    responded_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT medication_doses_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT medication_doses_reminder_id_fkey FOREIGN KEY (organization_id, reminder_id) REFERENCES medication_reminders (organization_id, id)
);
-- One dose per reminder and instant: a scheduler that runs twice sends nothing twice.
CREATE UNIQUE INDEX medication_doses_reminder_id_scheduled_at_key ON medication_doses (organization_id, reminder_id, scheduled_at);
CREATE INDEX medication_doses_organization_id_user_id_status_idx ON medication_doses (organization_id, user_id, status, scheduled_at);
ALTER TABLE medication_doses ENABLE ROW LEVEL SECURITY;
ALTER TABLE medication_doses FORCE ROW LEVEL SECURITY;
CREATE POLICY medication_doses_tenant_isolation ON medication_doses
    USING (austa_tenant_visible(organization_id)) WITH CHECK (austa_tenant_visible(organization_id));
