DROP TABLE medication_doses;
DROP TABLE medication_reminders;
DROP INDEX health_data_organization_id_id_key;
