ALTER TABLE health_points DROP COLUMN leaderboard_name;
ALTER TABLE health_points DROP COLUMN leaderboard_opt_in;
ALTER TABLE health_points DROP COLUMN freezes_month;
ALTER TABLE health_points DROP COLUMN last_active_week;
ALTER TABLE health_points DROP COLUMN longest_weekly_streak;
ALTER TABLE health_points DROP COLUMN weekly_streak;
DROP TABLE badges;
DROP TABLE gamification_events;
