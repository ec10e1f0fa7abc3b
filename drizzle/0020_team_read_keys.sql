ALTER TABLE "read_keys" ALTER COLUMN "project_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "read_keys" ADD COLUMN "team_id" uuid;--> statement-breakpoint
CREATE INDEX "read_keys_team_id_idx" ON "read_keys" USING btree ("team_id");--> statement-breakpoint
ALTER TABLE "read_keys" ADD CONSTRAINT "read_keys_one_owner" CHECK (("read_keys"."project_id" is null) <> ("read_keys"."team_id" is null));