DROP TRIGGER authorizations_rules ON authorizations;
DROP FUNCTION austa_authorization_rules();
DROP TABLE authorization_transitions;
ALTER TABLE authorizations DROP COLUMN service_type;
