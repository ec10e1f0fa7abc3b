ALTER TABLE "event_rollups_hourly" DROP CONSTRAINT "event_rollups_hourly_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_id_counters" DROP CONSTRAINT "analytics_id_counters_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_rollups" DROP CONSTRAINT "analytics_rollups_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_sessions" DROP CONSTRAINT "analytics_sessions_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_user_rollups" DROP CONSTRAINT "analytics_user_rollups_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_user_sessions" DROP CONSTRAINT "analytics_user_sessions_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "analytics_users" DROP CONSTRAINT "analytics_users_project_id_projects_id_fk";
