DROP TABLE providers;
DROP TABLE users;
DROP TABLE organizations;
DROP FUNCTION austa_reject_change();
DROP FUNCTION austa_tenant_visible(uuid);
