ALTER TABLE consents DROP COLUMN channel;
ALTER TABLE consents DROP COLUMN terms_version;
ALTER TABLE organizations DROP COLUMN alert_webhook_secret_encrypted;
DROP TABLE alerts;
