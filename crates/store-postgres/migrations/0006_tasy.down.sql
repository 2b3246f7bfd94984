DROP TABLE tasy_sync_logs;
DROP TABLE tasy_integrations;
