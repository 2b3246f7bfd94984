-- Every request writes an audit row, so its cost counts (docs/benchmarks.md). The index on
-- (hipaa_relevant, lgpd_relevant) selected almost nothing (two booleans; audit queries go by
-- organization and time) and cost an index insert per row.
DROP INDEX "audit_logs_hipaaRelevant_lgpdRelevant_idx";
