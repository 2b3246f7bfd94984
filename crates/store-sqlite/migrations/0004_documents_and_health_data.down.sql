DROP TABLE health_data;
DROP TABLE documents;
