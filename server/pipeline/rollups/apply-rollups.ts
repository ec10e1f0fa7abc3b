/**
 * Folds freshly stored events into the analytics rollups. The contract with the pipeline (worker and direct-write
 * fallback, through storeEvents; the seed's direct mode):
 *   - call it inside the transaction that inserted the events, after the insert that skips stored insert ids,
 *   - pass exactly the rows that insert added, never the batch you tried to insert: a redelivered batch then adds
 *     no rows and counts nothing twice.
 * It is set-based: two statements per call whatever the batch size (and up to six more per project whose events
 * include identify events, two more for trait changes), rows aggregated here first, in four steps:
 *   1. sessions and users, one aggregate each (session-user-aggregates.ts),
 *   2. their upsert, which numbers new ones (upsert-sessions-and-users.ts), then the identity links of the batch's
 *      identify events (apply-person-links.ts), which need those nums, then the people's traits from identify,
 *      `$set` and `$unset` (apply-person-traits.ts), which need the links,
 *   3. per-bucket counts and session/user sets per dimension value (rollup-accumulator.ts), folded up the layout's
 *      bucket sizes,
 *   4. the pairs, session counts and rollup rows in one statement (upsert-rollup-rows.ts),
 *   5. the query engine's segment of the rows, one statement per project (server/analytics/engine/write-segments.ts).
 */

import { type SegmentEvent, writeSegments } from "../../analytics/engine/write-segments.ts";
import {
  type DIMENSION_SIZES,
  type HOUR,
  type QUARTER,
  SESSION_KIND,
  type TOTAL_SIZES,
  type USER_DIMENSION_SIZES,
  type USER_TOTAL_SIZES,
} from "../../analytics/rollup-layout.ts";
import type { Database } from "../../db/client.ts";
import { applyPersonLinks, identifyEventsOf, lockPersonLinks, type NewLink } from "./apply-person-links.ts";
import { applyPersonTraits, traitChangesOf } from "./apply-person-traits.ts";
import { addEventCells, foldEventCells } from "./event-cells.ts";
import { RollupAccumulator } from "./rollup-accumulator.ts";
import type { RollupSourceRow } from "./rollup-source-row.ts";
import {
  aggregateSessionsAndUsers,
  nonEmpty,
  sessionsWireJson,
  userSessionPairsWireJson,
  usersWireJson,
} from "./session-user-aggregates.ts";
import { upsertRollupRows } from "./upsert-rollup-rows.ts";
import { upsertSessionsAndUsers } from "./upsert-sessions-and-users.ts";

export type { RollupSourceRow };

/**
 * Step 3 counts each event in the quarter hour ('all') and the hour (dimensions), then folds those up the sizes of
 * the layout; that holds only for layouts of this shape. Checked by the type checker (a layout of another shape
 * makes an element of `LayoutFoldsAsAssumed` false, and this line fails to compile) and by rollup-accumulator.test.ts.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type LayoutFoldsAsAssumed = [
  Same<[typeof QUARTER, ...typeof DIMENSION_SIZES], [...typeof TOTAL_SIZES]>,
  Same<(typeof DIMENSION_SIZES)[0], typeof HOUR>,
  Same<[typeof QUARTER, ...typeof USER_DIMENSION_SIZES], [...typeof USER_TOTAL_SIZES]>,
  Same<(typeof USER_DIMENSION_SIZES)[0], typeof HOUR>,
];
const layoutFoldsAsAssumed: LayoutFoldsAsAssumed = [true, true, true, true];
void layoutFoldsAsAssumed;

/** Updates counts, session/user sets and the session and user tables for `rows`, inside the caller's transaction. */
export async function applyRollups(tx: Database, rows: readonly RollupSourceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const times = rows.map(toMillis);

  // 1. Sessions and users touched by the batch, aggregated here so each gets one upsert.
  const { sessions, users } = aggregateSessionsAndUsers(rows, times);

  // Identify events and trait changes take their projects' link locks before any user row is written
  // (apply-person-links.ts, apply-person-traits.ts).
  const identifies = identifyEventsOf(rows, times);
  const traitChanges = traitChangesOf(rows, times);
  if (identifies.size || traitChanges.size)
    await lockPersonLinks(tx, new Set([...identifies.keys(), ...traitChanges.keys()]));

  // 2. One statement upserts them and returns their nums.
  if (sessions.size || users.size) {
    const stored = await upsertSessionsAndUsers(tx, sessionsWireJson(sessions), usersWireJson(users));
    for (const row of stored) {
      const target = Number(row.kind) === SESSION_KIND ? sessions.of(row.project_id) : users.of(row.project_id);
      const aggregate = target.get(row.key);
      if (aggregate) aggregate.num = Number(row.num);
    }
  }
  const links: NewLink[] = identifies.size ? await applyPersonLinks(tx, identifies, users) : [];
  if (links.length || traitChanges.size) await applyPersonTraits(tx, traitChanges, users, links);

  // 3. Per-bucket counts and sets, per dimension value, aggregated here.
  const rollups = new RollupAccumulator();
  // Only events with a user reach the user sets, so their chunks are never -1 (no member).
  const userRollups = new RollupAccumulator();
  // The same rows with their nums, for the query engine's segment (step 5).
  const segmentEvents: SegmentEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const t = times[i]!;
    const sessionId = nonEmpty(row.sessionId);
    const distinctId = nonEmpty(row.distinctId);
    const session = sessionId === null ? undefined : sessions.of(row.projectId).get(sessionId)!;
    const user = distinctId === null ? undefined : users.of(row.projectId).get(distinctId)!;
    if (session && session.num < 0) throw new Error(`session ${sessionId} got no num`);
    if (user && user.num < 0) throw new Error(`user ${distinctId} got no num`);
    const sessionNum = session?.num;
    const userNum = user?.num;
    segmentEvents[i] = { row, time: t, sessionNum: sessionNum ?? -1, userNum: userNum ?? -1 };
    if (session && user) {
      session.userNums ??= new Set();
      session.userNums.add(user.num);
    }

    // Each event goes into the smallest bucket of each set only; the larger buckets are folded from those below.
    addEventCells(rollups, userRollups, row, t, sessionNum, userNum);
  }
  foldEventCells(rollups, userRollups);

  // 4. Everything else in one statement.
  await upsertRollupRows(tx, userSessionPairsWireJson(sessions), rollups.toWireJson(), userRollups.toWireJson());

  // 5. The query engine's columnar copy of the same rows (server/analytics/engine).
  await writeSegments(tx, segmentEvents);
}

function toMillis(row: RollupSourceRow): number {
  const value = row.timestamp;
  // PostgreSQL's text form ("2026-01-02 03:04:05.678+00") needs a "T" and a full "+00:00" offset for Date.parse.
  const ms =
    value instanceof Date ? value.getTime() : Date.parse(value.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
  if (!Number.isFinite(ms)) throw new Error(`applyRollups: unreadable timestamp ${String(value)}`);
  return ms;
}
