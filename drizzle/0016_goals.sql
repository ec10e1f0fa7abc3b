CREATE TABLE "analytics_goals" (
	"project_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"event_name" text,
	"filters" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"path_pattern" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analytics_goals_project_id_id_pk" PRIMARY KEY("project_id","id"),
	CONSTRAINT "analytics_goals_kind" CHECK (("analytics_goals"."event_name" is null) <> ("analytics_goals"."path_pattern" is null))
);
