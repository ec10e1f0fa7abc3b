CREATE TABLE "analytics_suppressed_ids" (
	"project_id" uuid NOT NULL,
	"distinct_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "analytics_suppressed_ids_pkey" PRIMARY KEY("project_id","distinct_id")
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "retention_days" integer;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "keep_aggregates_past_retention" boolean DEFAULT false NOT NULL;