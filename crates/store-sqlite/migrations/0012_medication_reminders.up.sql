-- Medication reminders the patient opted into, and each reminded dose with the patient's answer.
CREATE UNIQUE INDEX health_data_organization_id_id_key ON health_data (organization_id, id);

CREATE TABLE medication_reminders (
    id TEXT NOT NULL CONSTRAINT medication_reminders_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT medication_reminders_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    health_data_id TEXT NOT NULL,
    times TEXT NOT NULL CONSTRAINT medication_reminders_times_check CHECK (json_valid(times) AND json_type(times) = 'array'),
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT medication_reminders_is_active_check CHECK (is_active IN (0, 1)),
    created_by TEXT,
    checked_until TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT medication_reminders_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT medication_reminders_health_data_id_fkey FOREIGN KEY (organization_id, health_data_id) REFERENCES health_data (organization_id, id),
    CONSTRAINT medication_reminders_organization_id_id_key UNIQUE (organization_id, id)
) STRICT;
CREATE INDEX medication_reminders_organization_id_user_id_idx ON medication_reminders (organization_id, user_id);
CREATE INDEX medication_reminders_is_active_checked_until_idx ON medication_reminders (is_active, checked_until);

CREATE TABLE medication_doses (
    id TEXT NOT NULL CONSTRAINT medication_doses_pkey PRIMARY KEY,
    organization_id TEXT NOT NULL CONSTRAINT medication_doses_organization_id_fkey REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    reminder_id TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING' CONSTRAINT medication_doses_status_check CHECK (status IN ('PENDING', 'TAKEN', 'MISSED')),
    delivery TEXT NOT NULL CONSTRAINT medication_doses_delivery_check CHECK (delivery IN ('TEXT', 'TEMPLATE', 'NOT_SENT')),
    message_id TEXT,
    responded_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT medication_doses_user_id_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CONSTRAINT medication_doses_reminder_id_fkey FOREIGN KEY (organization_id, reminder_id) REFERENCES medication_reminders (organization_id, id)
) STRICT;
-- One dose per reminder and instant: a scheduler that runs twice sends nothing twice.
CREATE UNIQUE INDEX medication_doses_reminder_id_scheduled_at_key ON medication_doses (organization_id, reminder_id, scheduled_at);
CREATE INDEX medication_doses_organization_id_user_id_status_idx ON medication_doses (organization_id, user_id, status, scheduled_at);
