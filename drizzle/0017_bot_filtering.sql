CREATE TABLE "bot_filtered_events" (
	"project_id" uuid NOT NULL,
	"insert_id" text NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	CONSTRAINT "bot_filtered_events_pkey" PRIMARY KEY("project_id","insert_id")
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "bot_filtering" boolean DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX "bot_filtered_events_project_timestamp_idx" ON "bot_filtered_events" USING btree ("project_id","timestamp");