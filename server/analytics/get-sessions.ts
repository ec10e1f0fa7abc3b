import {
  type AnalyticsInput,
  encodePageCursor,
  type PageCursor,
  resolveRange,
  type SessionsPage,
} from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { activeMembers, pageActiveSql } from "./page-active-sql.ts";

interface SessionPageRow extends Record<string, unknown> {
  total: string | number | null;
  id: string | null;
  sort_key: string | null;
  distinct_id: string | null;
  event_count: string | number;
  first_seen: string;
  last_seen: string;
  duration_seconds: string | number;
  entry_path: string | null;
  exit_path: string | null;
}

/** Sessions active in the range, latest first, each with its whole-session figures; `total` counts them all. */
export async function getSessions(
  db: Database,
  input: AnalyticsInput & { limit?: number | undefined; offset?: number | undefined; cursor?: PageCursor | undefined },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<SessionsPage> {
  const { from, to } = resolveRange(input, now);
  const limit = input.limit ?? 50;
  // Filtered: the engine finds the active sessions (null while it does not serve the project: raw events then).
  const set =
    engine && input.filters?.length
      ? await engine.members(db, input.projectId, { from: from.getTime(), to: to.getTime() }, input.filters, "sessions")
      : null;
  const rows = await queryRows<SessionPageRow>(
    db,
    pageActiveSql({
      kind: "sessions",
      projectId: input.projectId,
      from: from.getTime(),
      to: to.getTime(),
      filters: input.filters,
      // One row more than the page: whether it exists says if there is a next page.
      limit: limit + 1,
      offset: input.offset ?? 0,
      after: input.cursor,
      members: set ? activeMembers(set) : undefined,
    }),
  );
  const found = rows.filter((row) => row.id !== null);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return {
    total: Number(rows[0]?.total ?? 0),
    nextCursor:
      found.length > limit && last ? encodePageCursor("sessions", { key: last.sort_key!, id: last.id! }) : null,
    items: page.map((row) => ({
      sessionId: row.id!,
      distinctId: row.distinct_id,
      eventCount: Number(row.event_count),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      durationSeconds: Number(row.duration_seconds),
      entryPath: row.entry_path,
      exitPath: row.exit_path,
    })),
  };
}
