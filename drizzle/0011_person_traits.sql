CREATE TABLE "analytics_person_traits" (
	"project_id" uuid NOT NULL,
	"person_num" bigint NOT NULL,
	"key" text NOT NULL,
	"value" jsonb,
	"set_at" timestamp with time zone NOT NULL,
	"unset" boolean DEFAULT false NOT NULL,
	CONSTRAINT "analytics_person_traits_pkey" PRIMARY KEY("project_id","person_num","key")
);
--> statement-breakpoint
CREATE INDEX "events_project_distinct_timestamp_idx" ON "events" USING btree ("project_id","distinct_id","timestamp" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "analytics_person_links_person_idx" ON "analytics_person_links" USING btree ("project_id","person_num");--> statement-breakpoint
CREATE INDEX "analytics_users_last_seen_idx" ON "analytics_users" USING btree ("project_id","last_seen" DESC NULLS LAST,"distinct_id");