DELETE FROM alerts WHERE conversation_id IS NULL OR kind = 'AUTHORIZATION_DEADLINE';
DROP INDEX alerts_authorization_id_reason_key;
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN ('EMERGENCY', 'HUMAN_HANDOFF', 'APPOINTMENT_REQUEST'));
ALTER TABLE alerts DROP CONSTRAINT alerts_subject_check;
ALTER TABLE alerts DROP CONSTRAINT alerts_authorization_id_fkey;
ALTER TABLE alerts DROP COLUMN authorization_id;
ALTER TABLE alerts ALTER COLUMN conversation_id SET NOT NULL;
