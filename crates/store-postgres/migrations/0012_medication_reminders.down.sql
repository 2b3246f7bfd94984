DROP TABLE medication_doses;
DROP TABLE medication_reminders;
ALTER TABLE health_data DROP CONSTRAINT health_data_organization_id_id_key;
