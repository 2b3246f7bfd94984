CREATE INDEX "audit_logs_hipaaRelevant_lgpdRelevant_idx" ON audit_logs (hipaa_relevant, lgpd_relevant);
