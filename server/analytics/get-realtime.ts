import { sql } from "drizzle-orm";
import { REALTIME_WINDOW_MS } from "../../shared/live.ts";
import type { Realtime, RealtimeInput } from "../../shared/realtime.ts";
import { type Database, queryRows } from "../db/client.ts";

/**
 * The sessions with an event in (now - 5 min, now]: one index range read of events_project_timestamp_idx over five
 * minutes of the project's events (future-dated events do not count until their time comes).
 */
export async function getRealtime(db: Database, input: RealtimeInput, now: number): Promise<Realtime> {
  const [row] = await queryRows<{ visitors: string | number }>(
    db,
    sql`select count(distinct session_id)::bigint as visitors from events
         where project_id = ${input.projectId}::uuid
           and "timestamp" > ${new Date(now - REALTIME_WINDOW_MS).toISOString()}::timestamptz
           and "timestamp" <= ${new Date(now).toISOString()}::timestamptz`,
  );
  return { currentVisitors: Number(row?.visitors ?? 0) };
}
