CREATE SEQUENCE "public"."analytics_segment_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "analytics_engine_state" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"cursor" text,
	"backfilled" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics_segment_columns" (
	"project_id" uuid NOT NULL,
	"segment_id" bigint NOT NULL,
	"name" text NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "analytics_segment_columns_pkey" PRIMARY KEY("project_id","segment_id","name")
);
--> statement-breakpoint
CREATE TABLE "analytics_segments" (
	"project_id" uuid NOT NULL,
	"segment_id" bigint NOT NULL,
	"min_ts" timestamp with time zone NOT NULL,
	"max_ts" timestamp with time zone NOT NULL,
	"event_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analytics_segments_pkey" PRIMARY KEY("project_id","segment_id")
);
--> statement-breakpoint
CREATE INDEX "analytics_segments_span_idx" ON "analytics_segments" USING btree ("project_id","max_ts","min_ts");--> statement-breakpoint
ALTER TABLE "analytics_segment_columns" ALTER COLUMN "data" SET STORAGE EXTERNAL;--> statement-breakpoint
-- Projects that already have events get their segments from the background backfill; until it is done, readers
-- answer them the old way (rollups and raw events). Projects without events need none.
INSERT INTO "analytics_engine_state" ("project_id", "status")
SELECT p."id", 'backfilling' FROM "projects" p WHERE EXISTS (SELECT 1 FROM "events" e WHERE e."project_id" = p."id");
