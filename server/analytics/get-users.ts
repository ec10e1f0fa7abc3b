import {
  type AnalyticsInput,
  encodePageCursor,
  type PageCursor,
  resolveRange,
  type UsersPage,
} from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { activeMembers } from "./page-active-sql.ts";
import { pagePeopleSql } from "./page-people-sql.ts";

interface UserPageRow extends Record<string, unknown> {
  total: string | number | null;
  id: string | null;
  sort_key: string | null;
  event_count: string | number;
  session_count: string | number;
  first_seen: string;
  last_seen: string;
}

/**
 * People active in the range, most active first, each under its canonical id with lifetime figures over all its ids
 * (page-people-sql.ts); `total` counts them all, as overview's uniqueUsers does.
 */
export async function getUsers(
  db: Database,
  input: AnalyticsInput & { limit?: number | undefined; offset?: number | undefined; cursor?: PageCursor | undefined },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<UsersPage> {
  const { from, to } = resolveRange(input, now);
  const limit = input.limit ?? 50;
  // Filtered: the engine finds the active users (null while it does not serve the project: raw events then).
  const set =
    engine && input.filters?.length
      ? await engine.members(db, input.projectId, { from: from.getTime(), to: to.getTime() }, input.filters, "people")
      : null;
  const rows = await queryRows<UserPageRow>(
    db,
    pagePeopleSql({
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
    nextCursor: found.length > limit && last ? encodePageCursor("users", { key: last.sort_key!, id: last.id! }) : null,
    items: page.map((row) => ({
      distinctId: row.id!,
      eventCount: Number(row.event_count),
      sessionCount: Number(row.session_count),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    })),
  };
}
