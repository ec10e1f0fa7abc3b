CREATE TABLE "cohorts" (
	"project_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cohorts_pkey" PRIMARY KEY("project_id","id")
);
--> statement-breakpoint
CREATE INDEX "cohorts_project_created_idx" ON "cohorts" USING btree ("project_id","created_at");