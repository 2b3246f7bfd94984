DROP TRIGGER authorizations_approval_password;
DROP TRIGGER authorizations_status_transition;
DROP TABLE authorization_transitions;
ALTER TABLE authorizations DROP COLUMN service_type;
