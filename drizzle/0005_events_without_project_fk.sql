ALTER TABLE "events" DROP CONSTRAINT "events_project_id_projects_id_fk";
