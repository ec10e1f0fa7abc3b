/**
 * people.delete: one person's data gone, and every figure the product keeps stops counting them. One transaction,
 * so a crash or error half way rolls everything back (nothing to resume): the person is either still fully there
 * or fully gone. Inside it, in this order:
 *   1. the project's write lock, exclusive (server/db/project-write-lock.ts): the worker and the direct-write path
 *      wait, so no batch interleaves; then the person's ids (its canonical id and every alias, find-person.ts);
 *   2. the person's events, under every id, deleted (events_project_distinct_timestamp_idx), returned for step 4;
 *   3. the other events of the sessions those events were in ("shared" sessions: a logout, another id on the device,
 *      events without a distinct id), read back from the sessions' time span;
 *   4. the rollups: every event of the touched sessions (deleted and remaining) is taken out of its cells (counts
 *      subtracted, session and user bits cleared; cells left empty are deleted), then what remains of the shared
 *      sessions is put back through the same cells as the write path (event-cells.ts). So a shared session's
 *      buckets are recomputed from what remains, never patched bit by bit, and the person's user bits are gone;
 *   5. the sessions table: the person's own sessions deleted, shared ones recomputed from what remains; the
 *      person's users, user-session pairs, links and traits deleted, and the removal counted (user-removals.ts:
 *      the people cohorts range over are the live users, so absence cohorts stop counting the person);
 *   6. the query engine's segments: the person's events marked deleted (markEventsDeleted, by user num), so no
 *      figure counts them from COMMIT on; the worker's maintenance loop then rewrites those segments without them
 *      (segment-deletions.ts), so their bytes leave the engine within minutes (README "Privacy");
 *   7. the ids suppressed for SUPPRESSION_DAYS (suppression.ts), so queued and late events are dropped when stored.
 * Afterwards every figure over any range equals plain SQL over the remaining events (delete-person.test.ts).
 */
import { sql } from "drizzle-orm";
import { markEventsDeleted } from "../../analytics/engine/segment-deletions.ts";
import { findPerson } from "../../analytics/people/find-person.ts";
import { CHUNK_BITS_SQL, FIRST_BIT_SQL } from "../../analytics/rollup-layout.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { projectWriteLockSql } from "../../db/project-write-lock.ts";
import { addEventCells, foldEventCells } from "../rollups/event-cells.ts";
import { RollupAccumulator } from "../rollups/rollup-accumulator.ts";
import type { RollupSourceRow } from "../rollups/rollup-source-row.ts";
import { upsertRollupRows } from "../rollups/upsert-rollup-rows.ts";
import { suppressIds } from "./suppression.ts";
import { countUserRemoval } from "./user-removals.ts";

export interface PersonDeletion {
  distinctIds: string[];
  events: number;
  /** Sessions removed whole (shared sessions are kept, recomputed). */
  sessions: number;
  suppressedUntil: Date;
}

/** Where a test may stop the deletion half way (the transaction then rolls back). */
export type DeletionStep = "events" | "rollups" | "sessions" | "segments";

type EventCellRow = {
  insert_id: string;
  event_name: string;
  distinct_id: string | null;
  session_id: string | null;
  path: string | null;
  referrer_host: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
  t: number | string;
};

const CELL_COLUMNS = sql`e.insert_id, e.event_name, e.distinct_id, e.session_id, e.path, e.referrer_host, e.utm_source,
  e.utm_medium, e.utm_campaign, e.browser, e.os, e.device, e.country,
  (extract(epoch from e."timestamp") * 1000)::float8 as t`;

function sourceRow(projectId: string, row: EventCellRow): RollupSourceRow {
  return {
    projectId,
    insertId: row.insert_id,
    eventName: row.event_name,
    distinctId: row.distinct_id,
    sessionId: row.session_id,
    path: row.path,
    referrerHost: row.referrer_host,
    utmSource: row.utm_source,
    utmMedium: row.utm_medium,
    utmCampaign: row.utm_campaign,
    browser: row.browser,
    os: row.os,
    device: row.device,
    country: row.country,
    properties: {},
    timestamp: new Date(Number(row.t)),
  };
}

function jsonList(values: Iterable<string>): string {
  return JSON.stringify([...values]);
}

/**
 * Deletes the person `distinctId` (any of its ids) of the project and everything derived from its events, in one
 * transaction (see the header); null when the project never saw the id. `failAt` is for tests: it throws after that
 * step, inside the transaction.
 */
export async function deletePerson(
  db: Database,
  input: { projectId: string; distinctId: string },
  options: { failAt?: DeletionStep; onStep?: (step: DeletionStep, ms: number) => void } = {},
): Promise<PersonDeletion | null> {
  const { projectId } = input;
  let stepStarted = performance.now();
  const stop = (step: DeletionStep) => {
    options.onStep?.(step, performance.now() - stepStarted);
    stepStarted = performance.now();
    if (options.failAt === step) throw new Error(`deletePerson stopped after step "${step}" (test)`);
  };
  return db.transaction(async (tx) => {
    // 1. Writers of the project wait until COMMIT; the project row cannot go meanwhile.
    await tx.execute(sql`select ${projectWriteLockSql(sql`${projectId}::text`, "exclusive")}`);
    await tx.execute(sql`select 1 from projects where id = ${projectId}::uuid for key share`);
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`person-links:${projectId}`}, 0))`);
    const person = await findPerson(tx, projectId, input.distinctId);
    if (!person) return null;
    const ids = person.members.map((member) => member.distinctId);
    const userNumOf = new Map(person.members.map((member) => [member.distinctId, member.num]));
    const userNums = new Set(person.members.map((member) => member.num));
    stepStarted = performance.now();

    // 2. The person's events.
    const deleted = await queryRows<EventCellRow>(
      tx,
      sql`delete from events e where e.project_id = ${projectId}::uuid
            and e.distinct_id in (select json_array_elements_text(${jsonList(ids)}::json))
          returning ${CELL_COLUMNS}`,
    );
    stop("events");

    // 3. The sessions they were in, and what remains of them. first_seen/last_seen are kept in milliseconds while
    // events may carry microseconds: the span is widened by a second (the session id still has to match).
    const deletedPerSession = new Map<string, number>();
    for (const row of deleted)
      if (row.session_id) deletedPerSession.set(row.session_id, (deletedPerSession.get(row.session_id) ?? 0) + 1);
    const sessionIds = [...deletedPerSession.keys()];
    const sessions = await queryRows<{ session_id: string; num: string | number; event_count: string | number }>(
      tx,
      sql`select session_id, num, event_count from analytics_sessions
           where project_id = ${projectId}::uuid and session_id in (select json_array_elements_text(${jsonList(sessionIds)}::json))`,
    );
    const sessionNumOf = new Map(sessions.map((row) => [row.session_id, Number(row.num)]));
    // Only a session holding more events than the person's has anything left to read back (event_count is the
    // session's exact count, kept by the write path; the write lock keeps it still): a long-lived person's own
    // sessions are most of them, and reading those back scanned every event of their time spans.
    const sharedIds = sessions
      .filter((row) => Number(row.event_count) > (deletedPerSession.get(row.session_id) ?? 0))
      .map((row) => row.session_id);
    // Per session, one range of events_project_timestamp_idx (LATERAL: the planner would otherwise read the whole
    // table once for all of them).
    const remaining =
      sharedIds.length === 0
        ? []
        : await queryRows<EventCellRow & { user_num: string | number | null }>(
            tx,
            sql`select ${CELL_COLUMNS}, u.num as user_num
                  from analytics_sessions s
                  cross join lateral (
                    select * from events e
                     where e.project_id = s.project_id and e.session_id = s.session_id
                       and e."timestamp" between s.first_seen - interval '1 second' and s.last_seen + interval '1 second'
                    offset 0) e
                  left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
                 where s.project_id = ${projectId}::uuid
                   and s.session_id in (select json_array_elements_text(${jsonList(sharedIds)}::json))
                 order by e."timestamp", e.insert_id`,
          );

    // 4. Rollups: out with every event of the touched sessions, back in with what remains of them.
    const removed = { sessions: new RollupAccumulator(), users: new RollupAccumulator() };
    const restored = { sessions: new RollupAccumulator(), users: new RollupAccumulator() };
    for (const row of deleted) {
      const sessionNum = row.session_id ? sessionNumOf.get(row.session_id) : undefined;
      const userNum = row.distinct_id ? userNumOf.get(row.distinct_id) : undefined;
      addEventCells(removed.sessions, removed.users, sourceRow(projectId, row), Number(row.t), sessionNum, userNum);
    }
    for (const row of remaining) {
      const sessionNum = sessionNumOf.get(row.session_id!);
      const userNum = row.user_num === null ? undefined : Number(row.user_num);
      const source = sourceRow(projectId, row);
      addEventCells(removed.sessions, removed.users, source, Number(row.t), sessionNum, userNum);
      addEventCells(restored.sessions, restored.users, source, Number(row.t), sessionNum, userNum);
    }
    foldEventCells(removed.sessions, removed.users);
    foldEventCells(restored.sessions, restored.users);
    await subtractRollupRows(tx, projectId, removed.sessions.toWireJson(), removed.users.toWireJson());
    if (remaining.length > 0)
      await upsertRollupRows(tx, "[]", restored.sessions.toWireJson(), restored.users.toWireJson());
    stop("rollups");

    // 5. Sessions, users, pairs, links, traits.
    const shared = sessionTotals(remaining);
    const gone = [...sessionNumOf.keys()].filter((id) => !shared.has(id));
    await tx.execute(
      sql`delete from analytics_sessions where project_id = ${projectId}::uuid
            and session_id in (select json_array_elements_text(${jsonList(gone)}::json))`,
    );
    if (shared.size > 0) {
      await tx.execute(
        sql`update analytics_sessions s
               set first_seen = to_timestamp(x.f / 1000.0), last_seen = to_timestamp(x.l / 1000.0), event_count = x.n,
                   entry_path = x.ep, exit_path = x.xp, distinct_id = x.d
              from json_to_recordset(${JSON.stringify([...shared.values()])}::json)
                as x(k text, f float8, l float8, n bigint, ep text, xp text, d text)
             where s.project_id = ${projectId}::uuid and s.session_id = x.k`,
      );
    }
    const nums = `{${[...userNums].join(",")}}`;
    await tx.execute(
      sql`delete from analytics_user_sessions where project_id = ${projectId}::uuid and user_num = any(${nums}::bigint[])`,
    );
    await tx.execute(
      sql`delete from analytics_person_links where project_id = ${projectId}::uuid
            and (alias_num = any(${nums}::bigint[]) or person_num = any(${nums}::bigint[]))`,
    );
    await tx.execute(
      sql`delete from analytics_person_traits where project_id = ${projectId}::uuid and person_num = any(${nums}::bigint[])`,
    );
    await tx.execute(
      sql`delete from analytics_users where project_id = ${projectId}::uuid and num = any(${nums}::bigint[])`,
    );
    // The nums stay handed out (never reused): the counter tells the cohort evaluator that they left the people it
    // ranges over, or "did not perform X" would still count this person (user-removals.ts).
    await countUserRemoval(tx, projectId);
    stop("sessions");

    // 6. The query engine's columnar copy.
    if (deleted.length > 0) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const row of deleted) {
        min = Math.min(min, Number(row.t));
        max = Math.max(max, Number(row.t));
      }
      await markEventsDeleted(tx, projectId, {
        userNums,
        within: { min: Math.floor(min) - 1, max: Math.ceil(max) + 1 },
      });
    }
    stop("segments");

    // 7. Late and queued events of these ids are dropped from now on.
    const suppressedUntil = await suppressIds(tx, projectId, ids);
    return { distinctIds: ids, events: deleted.length, sessions: gone.length, suppressedUntil };
  });
}

/** Whole-session figures of the shared sessions from their remaining events (rows in timestamp order). */
function sessionTotals(
  rows: ReadonlyArray<EventCellRow>,
): Map<string, { k: string; f: number; l: number; n: number; ep: string | null; xp: string | null; d: string | null }> {
  const out = new Map<
    string,
    { k: string; f: number; l: number; n: number; ep: string | null; xp: string | null; d: string | null }
  >();
  for (const row of rows) {
    const t = Number(row.t);
    const id = row.session_id!;
    const session = out.get(id);
    const distinctId = row.distinct_id || null;
    if (!session) {
      out.set(id, { k: id, f: t, l: t, n: 1, ep: row.path, xp: row.path, d: distinctId });
      continue;
    }
    session.n++;
    session.l = t;
    session.xp = row.path;
    if (distinctId !== null) session.d = distinctId;
  }
  return out;
}

/**
 * Takes rollup rows (the wire JSON of RollupAccumulator) out of the rollups: counts subtracted, members' bits
 * cleared; a row left with no events (session rollups) or no members (user rollups) is deleted. Per table, one
 * UPDATE (one primary-key probe per row; it returns the keys of the rows it emptied) and one DELETE of those: the
 * former single statement joined every row three times (read, then update, then delete), 1.6 s of a 10,000-event
 * person's deletion at 10 M events.
 */
async function subtractRollupRows(
  tx: Database,
  projectId: string,
  rollupsJson: string,
  userRollupsJson: string,
): Promise<void> {
  const mask = sql`case when x.c < 0 then null
                        when x.hex is not null then ('x' || x.hex)::bit(${CHUNK_BITS_SQL})::bit varying
                        else (select bit_or(${FIRST_BIT_SQL} >> pos)::bit varying from unnest(x.pos) as pos) end`;
  const emptied = await queryRows<{ keys: string | null }>(
    tx,
    sql`with s_in as materialized (
          select p, d, s, to_timestamp(b / 1000.0) as bucket, v, c, n, ${mask} as mask
            from json_to_recordset(${rollupsJson}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, n bigint, pos integer[], hex text)
        ),
        changed as (
          update analytics_rollups r
             set events = r.events - i.n,
                 sessions = case when r.sessions is null or i.mask is null then r.sessions else r.sessions & ~i.mask end
            from s_in i
           where r.project_id = i.p and r.dimension = i.d and r.size = i.s and r.bucket = i.bucket and r.value = i.v
             and r.chunk = i.c
          returning r.project_id, r.dimension, r.size, r.bucket, r.value, r.chunk, r.events
        )
        select json_agg(json_build_object('d', dimension, 's', size, 'b', bucket, 'v', value, 'c', chunk))::text as keys
          from changed where events <= 0`,
  );
  const userEmptied = await queryRows<{ keys: string | null }>(
    tx,
    sql`with u_in as materialized (
          select p, d, s, to_timestamp(b / 1000.0) as bucket, v, c, ${mask} as mask
            from json_to_recordset(${userRollupsJson}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, pos integer[], hex text)
        ),
        changed as (
          update analytics_user_rollups r set users = r.users & ~i.mask
            from u_in i
           where r.project_id = i.p and r.dimension = i.d and r.size = i.s and r.bucket = i.bucket and r.value = i.v
             and r.chunk = i.c
          returning r.dimension, r.size, r.bucket, r.value, r.chunk, bit_count(r.users) as members
        )
        select json_agg(json_build_object('d', dimension, 's', size, 'b', bucket, 'v', value, 'c', chunk))::text as keys
          from changed where members = 0`,
  );
  for (const [table, keys] of [
    [sql`analytics_rollups`, emptied[0]?.keys],
    [sql`analytics_user_rollups`, userEmptied[0]?.keys],
  ] as const) {
    if (!keys) continue;
    await tx.execute(
      sql`delete from ${table} r
           using json_to_recordset(${keys}::json) as k(d text, s smallint, b timestamptz, v text, c integer)
           where r.project_id = ${projectId}::uuid and r.dimension = k.d and r.size = k.s and r.bucket = k.b
             and r.value = k.v and r.chunk = k.c`,
    );
  }
}
