-- Custom SQL migration file, put your code below! ---- User sets gained a week level (size 10080 minutes, buckets aligned to the Unix epoch like every other size).
-- Queries read weeks wherever a whole week fits, so build them from the day-level sets already stored.
INSERT INTO "analytics_user_rollups" ("project_id", "dimension", "size", "bucket", "value", "chunk", "users")
SELECT "project_id", "dimension", 10080, date_bin('7 days', "bucket", timestamptz '1970-01-01 00:00:00+00'), "value", "chunk", bit_or("users")
FROM "analytics_user_rollups"
WHERE "size" = 1440
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT ("project_id", "dimension", "size", "bucket", "value", "chunk") DO UPDATE SET "users" = "analytics_user_rollups"."users" | excluded."users";
