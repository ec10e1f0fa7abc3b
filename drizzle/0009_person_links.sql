CREATE TABLE "analytics_person_links" (
	"project_id" uuid NOT NULL,
	"alias_num" bigint NOT NULL,
	"person_num" bigint NOT NULL,
	"seq" bigint NOT NULL,
	"linked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "analytics_person_links_pkey" PRIMARY KEY("project_id","alias_num")
);
--> statement-breakpoint
ALTER TABLE "analytics_users" ADD COLUMN "identified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "analytics_person_links_seq_idx" ON "analytics_person_links" USING btree ("project_id","seq");