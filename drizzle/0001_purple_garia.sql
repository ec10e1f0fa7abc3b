CREATE TABLE "analytics_id_counters" (
	"project_id" uuid NOT NULL,
	"kind" smallint NOT NULL,
	"last_id" bigint NOT NULL,
	CONSTRAINT "analytics_id_counters_pkey" PRIMARY KEY("project_id","kind")
);
--> statement-breakpoint
CREATE TABLE "analytics_rollups" (
	"project_id" uuid NOT NULL,
	"dimension" text NOT NULL,
	"size" smallint NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"value" text NOT NULL,
	"chunk" integer NOT NULL,
	"events" bigint NOT NULL,
	"sessions" bit varying,
	CONSTRAINT "analytics_rollups_pkey" PRIMARY KEY("project_id","dimension","size","bucket","value","chunk")
);
--> statement-breakpoint
CREATE TABLE "analytics_sessions" (
	"project_id" uuid NOT NULL,
	"session_id" text NOT NULL,
	"num" bigint NOT NULL,
	"distinct_id" text,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"event_count" bigint NOT NULL,
	"entry_path" text,
	"exit_path" text,
	CONSTRAINT "analytics_sessions_pkey" PRIMARY KEY("project_id","session_id")
);
--> statement-breakpoint
CREATE TABLE "analytics_user_rollups" (
	"project_id" uuid NOT NULL,
	"dimension" text NOT NULL,
	"size" smallint NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"value" text NOT NULL,
	"chunk" integer NOT NULL,
	"users" bit varying NOT NULL,
	CONSTRAINT "analytics_user_rollups_pkey" PRIMARY KEY("project_id","dimension","size","bucket","value","chunk")
);
--> statement-breakpoint
CREATE TABLE "analytics_user_sessions" (
	"project_id" uuid NOT NULL,
	"user_num" bigint NOT NULL,
	"session_num" bigint NOT NULL,
	CONSTRAINT "analytics_user_sessions_pkey" PRIMARY KEY("project_id","user_num","session_num")
);
--> statement-breakpoint
CREATE TABLE "analytics_users" (
	"project_id" uuid NOT NULL,
	"distinct_id" text NOT NULL,
	"num" bigint NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"event_count" bigint NOT NULL,
	"session_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_users_pkey" PRIMARY KEY("project_id","distinct_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_id_counters" ADD CONSTRAINT "analytics_id_counters_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analytics_rollups" ADD CONSTRAINT "analytics_rollups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analytics_sessions" ADD CONSTRAINT "analytics_sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analytics_user_rollups" ADD CONSTRAINT "analytics_user_rollups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analytics_user_sessions" ADD CONSTRAINT "analytics_user_sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analytics_users" ADD CONSTRAINT "analytics_users_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "analytics_sessions_num_key" ON "analytics_sessions" USING btree ("project_id","num");--> statement-breakpoint
CREATE INDEX "analytics_sessions_last_seen_idx" ON "analytics_sessions" USING btree ("project_id","last_seen" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "analytics_users_num_key" ON "analytics_users" USING btree ("project_id","num");--> statement-breakpoint
CREATE INDEX "analytics_users_event_count_idx" ON "analytics_users" USING btree ("project_id","event_count" DESC NULLS LAST,"distinct_id");