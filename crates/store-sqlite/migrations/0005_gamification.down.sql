DROP TABLE point_transactions;
DROP TABLE onboarding_progress;
DROP TABLE health_points;
DROP TABLE missions;
