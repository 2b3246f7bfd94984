DROP TABLE authorizations;
