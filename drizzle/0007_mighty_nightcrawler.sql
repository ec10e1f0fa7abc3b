CREATE TABLE "auth_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "auth_keys_expires_at_idx" ON "auth_keys" USING btree ("expires_at");