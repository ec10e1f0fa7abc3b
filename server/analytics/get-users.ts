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
import { pagePeopleSql, unlinkedFloorSql } from "./page-people-sql.ts";
import { getRetentionState } from "./raw-data-from.ts";

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
  const retention = await getRetentionState(db, input.projectId, now);
  // Without kept aggregates nothing before rawDataFrom is kept but the user-set week straddling it, which still
  // holds people whose events are gone: the range is read from rawDataFrom on.
  const start = retention.from !== null && !retention.keepAggregates ? Math.max(from.getTime(), retention.from) : null;
  if (start !== null && start >= to.getTime()) return { total: 0, nextCursor: null, items: [] };
  const group = { from: start ?? from.getTime(), to: to.getTime() };
  // The engine finds the active people (null while it does not serve the project: rollups or raw events then).
  // Unfiltered with kept aggregates, only for ranges after the horizon: before it, only the rollups hold them.
  const filtered = Boolean(input.filters?.length);
  const byEngine =
    engine !== null &&
    (filtered || retention.from === null || !retention.keepAggregates || group.from >= retention.from);
  const set =
    engine && byEngine ? await engine.members(db, input.projectId, group, input.filters ?? [], "people") : null;
  const space = engine && set ? await engine.personSpace(db, input.projectId) : null;
  const options = {
    projectId: input.projectId,
    from: group.from,
    to: group.to,
    filters: input.filters,
    // One row more than the page: whether it exists says if there is a next page.
    limit: limit + 1,
    offset: input.offset ?? 0,
    after: input.cursor,
  };
  let statement = pagePeopleSql(options);
  if (set && space) {
    const members = activeMembers(set);
    const [first] = await queryRows<{ floor: string | number | null }>(db, unlinkedFloorSql({ ...options, members }));
    const floor = first?.floor === null || first?.floor === undefined ? null : Number(first.floor);
    statement = pagePeopleSql({ ...options, members, heavy: { floor, large: largePeople(space.personOf) } });
  }
  const rows = await queryRows<UserPageRow>(db, statement);
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

/** The people of more than two members (canonical id and aliases), from the person map. */
function largePeople(personOf: Int32Array | null): number[] {
  if (personOf === null) return [];
  const aliases = new Int32Array(personOf.length);
  const large: number[] = [];
  for (let num = 0; num < personOf.length; num++) {
    const person = personOf[num]!;
    if (person === num) continue;
    aliases[person]!++;
    if (aliases[person] === 2) large.push(person);
  }
  return large;
}
