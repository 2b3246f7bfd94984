-- Alerts about an authorization's deadline: such an alert names the authorization and may have no
-- conversation.
ALTER TABLE alerts ALTER COLUMN conversation_id DROP NOT NULL;
ALTER TABLE alerts ADD COLUMN authorization_id uuid;
ALTER TABLE alerts ADD CONSTRAINT alerts_authorization_id_fkey
    FOREIGN KEY (organization_id, authorization_id) REFERENCES authorizations (organization_id, id);
ALTER TABLE alerts ADD CONSTRAINT alerts_subject_check CHECK (conversation_id IS NOT NULL OR authorization_id IS NOT NULL);
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('EMERGENCY', 'HUMAN_HANDOFF', 'APPOINTMENT_REQUEST', 'AUTHORIZATION_DEADLINE'));
-- One deadline alert per authorization and reason: the daily job raises nothing twice.
CREATE UNIQUE INDEX alerts_authorization_id_reason_key ON alerts (organization_id, authorization_id, reason) WHERE authorization_id IS NOT NULL;
