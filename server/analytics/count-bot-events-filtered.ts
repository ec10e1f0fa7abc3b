import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { queryRows } from "../db/client.ts";

/**
 * How many events the project's bot filter dropped with a timestamp in [from, to) (bot_filtered_events holds each
 * dropped event once, see storeEvents). Filters do not apply: a dropped event keeps none of its dimensions.
 */
export async function countBotEventsFiltered(
  db: Database,
  input: { projectId: string; from: Date; to: Date },
): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from bot_filtered_events
         where project_id = ${input.projectId}::uuid
           and timestamp >= ${input.from.toISOString()}::timestamptz and timestamp < ${input.to.toISOString()}::timestamptz`,
  );
  return rows[0]?.n ?? 0;
}
