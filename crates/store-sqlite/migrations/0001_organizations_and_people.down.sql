DROP TABLE providers;
DROP TABLE users;
DROP TABLE organizations;
