/**
 * Folds freshly stored events into the analytics rollups. The contract with the pipeline (worker and direct-write
 * fallback):
 *   - call it inside the transaction that inserted the events, after the INSERT ... ON CONFLICT DO NOTHING,
 *   - pass exactly the rows that INSERT returned (`.returning(rollupSourceColumns)`), never the batch you tried to
 *     insert: a redelivered batch then returns no rows and counts nothing twice.
 * It is set-based: two statements per call whatever the batch size, rows aggregated here first. Every
 * upsert takes its rows in key order (the ORDER BY of its SELECT) so two workers updating the same buckets cannot
 * deadlock.
 */
import { type SQL, sql } from "drizzle-orm";
import {
  ALL_DIMENSION,
  bucketStart,
  CHUNK_BITS,
  DIMENSION_SIZES,
  HOUR,
  QUARTER,
  ROLLUP_DIMENSION_FIELDS,
  ROLLUP_DIMENSIONS,
  type RollupDimension,
  SESSION_KIND,
  TOTAL_SIZES,
  USER_DIMENSION_SIZES,
  USER_KIND,
  USER_TOTAL_SIZES,
} from "../../analytics/rollup-layout.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { events } from "../../db/schema/index.ts";

/** The columns of a stored event that the rollups read. RETURN exactly these from the events INSERT. */
export const rollupSourceColumns = {
  projectId: events.projectId,
  eventName: events.eventName,
  distinctId: events.distinctId,
  sessionId: events.sessionId,
  path: events.path,
  referrerHost: events.referrerHost,
  utmSource: events.utmSource,
  utmMedium: events.utmMedium,
  utmCampaign: events.utmCampaign,
  browser: events.browser,
  os: events.os,
  device: events.device,
  timestamp: events.timestamp,
};

/** One stored event as the rollups need it (what `.returning(rollupSourceColumns)` yields). */
export interface RollupSourceRow {
  projectId: string;
  eventName: string;
  distinctId: string | null;
  sessionId: string | null;
  path: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  /** A Date (drizzle's RETURNING), or PostgreSQL's text form when raw SQL returned it. */
  timestamp: Date | string;
}

// From the dimension table (shared/dimensions.ts): this type fails to compile when a rolled-up row names a field
// RollupSourceRow lacks.
const DIMENSION_FIELDS: Record<RollupDimension, keyof RollupSourceRow> = ROLLUP_DIMENSION_FIELDS;
const DIMENSIONS = Object.keys(ROLLUP_DIMENSIONS) as RollupDimension[];
// applyRollups counts each event in the quarter hour ('all') and the hour (dimensions), then folds those up the
// sizes of the layout; that holds for layouts of this shape.
if (
  [QUARTER, ...DIMENSION_SIZES].join() !== TOTAL_SIZES.join() ||
  DIMENSION_SIZES[0] !== HOUR ||
  [QUARTER, ...USER_DIMENSION_SIZES].join() !== USER_TOTAL_SIZES.join() ||
  USER_DIMENSION_SIZES[0] !== HOUR
) {
  throw new Error("apply-rollups: the rollup layout changed shape; update how events are folded into larger buckets");
}
// A chunk with only its first bit set; `>> pos` moves the bit to pos. A literal, so PostgreSQL folds it once per
// statement instead of building a 4,096-bit string per member.
const singleBit = sql.raw(`B'1'::bit(${CHUNK_BITS})`);
const CHUNK_BITS_SQL = sql.raw(String(CHUNK_BITS));
/**
 * A set with more members than this travels as the chunk's bitmap in hex (CHUNK_BITS / 4 characters) rather than
 * as a list of bit positions: PostgreSQL builds a list member by member (a shift and an OR of a 512-byte string
 * each), which made the rollup statement a fifth of PostgreSQL's time when most events start a session.
 */
const LIST_AT_MOST = 8;

interface SessionAggregate {
  p: string;
  k: string;
  d: string | null;
  dAt: number;
  f: number;
  l: number;
  n: number;
  ep: string | null;
  xp: string | null;
  /** Assigned from the upsert's answer. */
  num: number;
  /** Nums of the users seen in this session in the batch. */
  userNums: Set<number> | null;
}
interface UserAggregate {
  p: string;
  k: string;
  f: number;
  l: number;
  n: number;
  num: number;
}

/** Per project, then per key: no key string is built per event. */
class ByProject<T> {
  private readonly projects = new Map<string, Map<string, T>>();
  private lastProject = "";
  private last: Map<string, T> | undefined;

  of(projectId: string): Map<string, T> {
    if (projectId === this.lastProject && this.last) return this.last;
    let map = this.projects.get(projectId);
    if (!map) {
      map = new Map();
      this.projects.set(projectId, map);
    }
    this.lastProject = projectId;
    this.last = map;
    return map;
  }

  get size(): number {
    let size = 0;
    for (const map of this.projects.values()) size += map.size;
    return size;
  }

  *values(): IterableIterator<T> {
    for (const map of this.projects.values()) yield* map.values();
  }
}

/** Updates counts, session/user sets and the session and user tables for `rows`, inside the caller's transaction. */
export async function applyRollups(tx: Database, rows: readonly RollupSourceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const times = rows.map(toMillis);

  // 1. Sessions and users touched by the batch, aggregated here so each gets one upsert.
  const sessions = new ByProject<SessionAggregate>();
  const users = new ByProject<UserAggregate>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const t = times[i]!;
    const sessionId = nonEmpty(row.sessionId);
    const distinctId = nonEmpty(row.distinctId);
    if (sessionId !== null) {
      const projectSessions = sessions.of(row.projectId);
      const s = projectSessions.get(sessionId);
      if (!s) {
        projectSessions.set(sessionId, {
          p: row.projectId,
          k: sessionId,
          d: distinctId,
          dAt: t,
          f: t,
          l: t,
          n: 1,
          ep: row.path,
          xp: row.path,
          num: -1,
          userNums: null,
        });
      } else {
        s.n += 1;
        if (t < s.f) [s.f, s.ep] = [t, row.path];
        if (t >= s.l) [s.l, s.xp] = [t, row.path];
        if (distinctId !== null && (s.d === null || t >= s.dAt)) [s.d, s.dAt] = [distinctId, t];
      }
    }
    if (distinctId !== null) {
      const projectUsers = users.of(row.projectId);
      const u = projectUsers.get(distinctId);
      if (!u) projectUsers.set(distinctId, { p: row.projectId, k: distinctId, f: t, l: t, n: 1, num: -1 });
      else {
        u.n += 1;
        u.f = Math.min(u.f, t);
        u.l = Math.max(u.l, t);
      }
    }
  }

  // 2. One statement upserts sessions and users and returns their nums: known ones are kept, new ones are numbered
  //    from the per-project counters. If another worker adds the same key meanwhile, ON CONFLICT keeps its num (ours
  //    becomes an unused gap) and RETURNING reports the num that won.
  if (sessions.size || users.size) {
    const stored = await queryRows<{ kind: number; project_id: string; key: string; num: string | number }>(
      tx,
      sql`with s_in as (
            select p, k, d, ${epochMs(sql`f`)} as f, ${epochMs(sql`l`)} as l, n, ep, xp
              from json_to_recordset(${JSON.stringify([...sessions.values()].map(sessionJson))}::json)
                as x(p uuid, k text, d text, f bigint, l bigint, n bigint, ep text, xp text)
          ),
          u_in as (
            select p, k, ${epochMs(sql`f`)} as f, ${epochMs(sql`l`)} as l, n
              from json_to_recordset(${JSON.stringify([...users.values()].map(userJson))}::json)
                as x(p uuid, k text, f bigint, l bigint, n bigint)
          ),
          s_known as (
            select i.p, i.k, s.num from s_in i join analytics_sessions s on s.project_id = i.p and s.session_id = i.k
          ),
          u_known as (
            select i.p, i.k, u.num from u_in i join analytics_users u on u.project_id = i.p and u.distinct_id = i.k
          ),
          s_new as (
            select i.p, i.k, row_number() over (partition by i.p order by i.k) as rn
              from s_in i where not exists (select 1 from s_known k where k.p = i.p and k.k = i.k)
          ),
          u_new as (
            select i.p, i.k, row_number() over (partition by i.p order by i.k) as rn
              from u_in i where not exists (select 1 from u_known k where k.p = i.p and k.k = i.k)
          ),
          wanted as (
            select p, ${SESSION_KIND}::smallint as kind, count(*) as n from s_new group by p
            union all
            select p, ${USER_KIND}::smallint, count(*) from u_new group by p
          ),
          counters as (
            insert into analytics_id_counters as c (project_id, kind, last_id)
            select p, kind, n from wanted order by p, kind
            on conflict (project_id, kind) do update set last_id = c.last_id + excluded.last_id
            returning project_id, kind, last_id
          ),
          ranges as (
            select c.project_id as p, c.kind, c.last_id - w.n as base
              from counters c join wanted w on w.p = c.project_id and w.kind = c.kind
          ),
          s_nums as (
            select p, k, num from s_known
            union all
            select n.p, n.k, r.base + n.rn from s_new n join ranges r on r.p = n.p and r.kind = ${SESSION_KIND}
          ),
          u_nums as (
            select p, k, num from u_known
            union all
            select n.p, n.k, r.base + n.rn from u_new n join ranges r on r.p = n.p and r.kind = ${USER_KIND}
          ),
          s_up as (
            insert into analytics_sessions as s
              (project_id, session_id, num, distinct_id, first_seen, last_seen, event_count, entry_path, exit_path)
            select i.p, i.k, n.num, i.d, i.f, i.l, i.n, i.ep, i.xp
              from s_in i join s_nums n on n.p = i.p and n.k = i.k
             order by i.p, i.k
            on conflict (project_id, session_id) do update set
              distinct_id = case when excluded.distinct_id is not null
                                   and (s.distinct_id is null or excluded.last_seen >= s.last_seen)
                                 then excluded.distinct_id else s.distinct_id end,
              entry_path = case when excluded.first_seen < s.first_seen then excluded.entry_path else s.entry_path end,
              exit_path = case when excluded.last_seen >= s.last_seen then excluded.exit_path else s.exit_path end,
              first_seen = least(s.first_seen, excluded.first_seen),
              last_seen = greatest(s.last_seen, excluded.last_seen),
              event_count = s.event_count + excluded.event_count
            returning project_id, session_id, num
          ),
          u_up as (
            insert into analytics_users as u (project_id, distinct_id, num, first_seen, last_seen, event_count)
            select i.p, i.k, n.num, i.f, i.l, i.n
              from u_in i join u_nums n on n.p = i.p and n.k = i.k
             order by i.p, i.k
            on conflict (project_id, distinct_id) do update set
              first_seen = least(u.first_seen, excluded.first_seen),
              last_seen = greatest(u.last_seen, excluded.last_seen),
              event_count = u.event_count + excluded.event_count
            returning project_id, distinct_id, num
          )
          select ${SESSION_KIND} as kind, project_id, session_id as key, num from s_up
          union all
          select ${USER_KIND}, project_id, distinct_id, num from u_up`,
    );
    for (const row of stored) {
      const target = Number(row.kind) === SESSION_KIND ? sessions.of(row.project_id) : users.of(row.project_id);
      const aggregate = target.get(row.key);
      if (aggregate) aggregate.num = Number(row.num);
    }
  }

  // 3. Per-bucket counts and sets, per dimension value, aggregated here.
  const rollups = new RollupAccumulator();
  // Only events with a user reach the user sets, so their chunks are never -1 (no member).
  const userRollups = new RollupAccumulator();
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
    if (session && user) {
      session.userNums ??= new Set();
      session.userNums.add(user.num);
    }

    // Each event goes into the smallest bucket of each set only; the larger buckets are folded from those below.
    rollups.cell(row.projectId, QUARTER, bucketStart(t, QUARTER), sessionNum).add(ALL_DIMENSION, "", sessionNum);
    const hourCell = rollups.cell(row.projectId, HOUR, bucketStart(t, HOUR), sessionNum);
    for (const dimension of DIMENSIONS) {
      const value = nonEmpty(row[DIMENSION_FIELDS[dimension]] as string | null);
      if (value !== null) hourCell.add(dimension, value, sessionNum);
    }
    if (userNum !== undefined) {
      userRollups.cell(row.projectId, QUARTER, bucketStart(t, QUARTER), userNum).add(ALL_DIMENSION, "", userNum);
      const eventName = nonEmpty(row.eventName);
      if (eventName !== null)
        userRollups.cell(row.projectId, HOUR, bucketStart(t, HOUR), userNum).add("event_name", eventName, userNum);
    }
  }
  rollups.foldUp(QUARTER, [HOUR]);
  rollups.foldUp(HOUR, DIMENSION_SIZES.slice(1));
  userRollups.foldUp(QUARTER, [HOUR]);
  userRollups.foldUp(HOUR, USER_DIMENSION_SIZES.slice(1));

  // 4. Everything else in one statement. Data-modifying CTEs all run to completion whether or not the final SELECT
  //    reads them. A user's session count grows only by the (user, session) pairs that are new to the table.
  await tx.execute(
    sql`with added_pairs as (
          insert into analytics_user_sessions (project_id, user_num, session_num)
          select p, u, s from json_to_recordset(${pairsJson(sessions)}::json)
            as x(p uuid, u bigint, s bigint)
          order by p, u, s
          on conflict do nothing
          returning project_id, user_num
        ),
        per_user as (select project_id, user_num, count(*) as n from added_pairs group by project_id, user_num),
        counted as (
          update analytics_users u set session_count = u.session_count + per_user.n
            from per_user where u.project_id = per_user.project_id and u.num = per_user.user_num
          returning 1
        ),
        session_sets as (
          insert into analytics_rollups as r (project_id, dimension, size, bucket, value, chunk, events, sessions)
          select p, d, s, to_timestamp(b / 1000.0), v, c, n,
                 case when c < 0 then null
                      when x.hex is not null then ('x' || x.hex)::bit(${CHUNK_BITS_SQL})::bit varying
                      else (select bit_or(${singleBit} >> pos)::bit varying from unnest(x.pos) as pos)
                 end
            from json_to_recordset(${rollups.toJson()}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, n bigint, pos integer[], hex text)
          order by p, d, s, b, v, c
          on conflict (project_id, dimension, size, bucket, value, chunk) do update set
            events = r.events + excluded.events,
            sessions = case when r.sessions is null then excluded.sessions
                            when excluded.sessions is null then r.sessions
                            else r.sessions | excluded.sessions end
          returning 1
        ),
        user_sets as (
          insert into analytics_user_rollups as r (project_id, dimension, size, bucket, value, chunk, users)
          select p, d, s, to_timestamp(b / 1000.0), v, c,
                 case when x.hex is not null then ('x' || x.hex)::bit(${CHUNK_BITS_SQL})::bit varying
                      else (select bit_or(${singleBit} >> pos)::bit varying from unnest(x.pos) as pos)
                 end
            from json_to_recordset(${userRollups.toJson()}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, pos integer[], hex text)
          order by p, d, s, b, v, c
          on conflict (project_id, dimension, size, bucket, value, chunk) do update set users = r.users | excluded.users
          returning 1
        ),
        -- event_rollups_hourly (hourly counts per event name) stays maintained for code that reads it as plain sums.
        hourly as (
          insert into event_rollups_hourly as r (project_id, hour, event_name, count)
          select p, to_timestamp(h / 1000.0), e, n
            from json_to_recordset(${rollups.hourlyEventCountsJson()}::json) as x(p uuid, h bigint, e text, n bigint)
          order by p, h, e
          on conflict (project_id, hour, event_name) do update set count = r.count + excluded.count
          returning 1
        )
        select (select count(*) from counted) as users_counted, (select count(*) from session_sets) as session_rows,
               (select count(*) from user_sets) as user_rows, (select count(*) from hourly) as hourly_rows`,
  );
}

/**
 * The rollup rows of one batch, built with no key string per event: cells are found by number (bucket, chunk) under
 * the project, and inside a cell each dimension value by the string the row already holds. Consecutive events
 * mostly share their cells, so the last cell of each bucket size is kept at hand.
 */
class RollupAccumulator {
  private readonly projects = new Map<string, Map<number, Map<number, RollupCell>>>();
  private readonly recent = new Map<number, RollupCell>();

  /** The cell of a member's chunk; an event with no session counts in chunk -1, which has no members. */
  cell(projectId: string, size: number, bucket: number, num: number | undefined): RollupCell {
    const chunk = num === undefined ? -1 : Math.floor(num / CHUNK_BITS);
    const last = this.recent.get(size);
    if (last && last.b === bucket && last.c === chunk && last.p === projectId) return last;
    const cell = this.cellOfChunk(projectId, size, bucket, chunk);
    this.recent.set(size, cell);
    return cell;
  }

  /**
   * Adds every cell of bucket size `from` into the cells of the same chunk in the larger `to` buckets that hold it:
   * an event counted in a 15-minute bucket is counted in its hour and day without being added three times. Folding
   * sums counts and ORs positions, which is exact for both.
   */
  foldUp(from: number, to: readonly number[]): void {
    const sources: RollupCell[] = [];
    for (const buckets of this.projects.values()) {
      for (const chunks of buckets.values()) {
        for (const cell of chunks.values()) if (cell.s === from) sources.push(cell);
      }
    }
    for (const source of sources) {
      for (const size of to) this.cellOfChunk(source.p, size, bucketStart(source.b, size), source.c).merge(source);
    }
  }

  private cellOfChunk(projectId: string, size: number, bucket: number, chunk: number): RollupCell {
    let buckets = this.projects.get(projectId);
    if (!buckets) {
      buckets = new Map();
      this.projects.set(projectId, buckets);
    }
    // Buckets are multiples of 15 minutes and sizes are below that in minutes, so bucket + size names the pair.
    const bucketKey = bucket + size;
    let chunks = buckets.get(bucketKey);
    if (!chunks) {
      chunks = new Map();
      buckets.set(bucketKey, chunks);
    }
    let cell = chunks.get(chunk);
    if (!cell) {
      cell = new RollupCell(projectId, size, bucket, chunk);
      chunks.set(chunk, cell);
    }
    return cell;
  }

  /**
   * Events per (project, hour, event name), summed over chunks, as JSON rows { p, h, e, n } for
   * event_rollups_hourly: read off the hour cells' event_name counts rather than counted per event a second time.
   */
  hourlyEventCountsJson(): string {
    const out: Array<{ p: string; h: number; e: string; n: number }> = [];
    for (const [projectId, buckets] of this.projects) {
      const byHour = new Map<number, Map<string, number>>();
      for (const chunks of buckets.values()) {
        for (const cell of chunks.values()) {
          const names = cell.s === HOUR ? cell.values.get("event_name") : undefined;
          if (!names) continue;
          let counts = byHour.get(cell.b);
          if (!counts) {
            counts = new Map();
            byHour.set(cell.b, counts);
          }
          for (const [name, entry] of names) counts.set(name, (counts.get(name) ?? 0) + entry.n);
        }
      }
      for (const [h, counts] of byHour) for (const [e, n] of counts) out.push({ p: projectId, h, e, n });
    }
    return JSON.stringify(out);
  }

  /** The rows as JSON for the upsert (which sorts them itself, so every writer locks in the same order). */
  toJson(): string {
    const out: RollupJsonRow[] = [];
    for (const buckets of this.projects.values()) {
      for (const chunks of buckets.values()) {
        for (const cell of chunks.values()) cell.collect(out);
      }
    }
    return JSON.stringify(out);
  }
}

class RollupCell {
  readonly values = new Map<string, Map<string, { n: number; pos: Set<number> }>>();

  constructor(
    readonly p: string,
    readonly s: number,
    readonly b: number,
    readonly c: number,
  ) {}

  add(dimension: string, value: string, num: number | undefined): void {
    let byValue = this.values.get(dimension);
    if (!byValue) {
      byValue = new Map();
      this.values.set(dimension, byValue);
    }
    let entry = byValue.get(value);
    if (!entry) {
      entry = { n: 0, pos: new Set() };
      byValue.set(value, entry);
    }
    entry.n += 1;
    if (num !== undefined) entry.pos.add(num % CHUNK_BITS);
  }

  /** Adds another cell's counts and members (same chunk) into this one. */
  merge(other: RollupCell): void {
    for (const [dimension, otherValues] of other.values) {
      let byValue = this.values.get(dimension);
      if (!byValue) {
        byValue = new Map();
        this.values.set(dimension, byValue);
      }
      for (const [value, from] of otherValues) {
        const entry = byValue.get(value);
        if (!entry) {
          byValue.set(value, { n: from.n, pos: new Set(from.pos) });
          continue;
        }
        entry.n += from.n;
        for (const position of from.pos) entry.pos.add(position);
      }
    }
  }

  collect(out: RollupJsonRow[]) {
    for (const [d, byValue] of this.values) {
      for (const [v, entry] of byValue) {
        const row: RollupJsonRow = { p: this.p, d, s: this.s, b: this.b, v, c: this.c, n: entry.n };
        if (entry.pos.size > LIST_AT_MOST) row.hex = chunkHex(entry.pos);
        else row.pos = [...entry.pos];
        out.push(row);
      }
    }
  }
}

interface RollupJsonRow {
  p: string;
  d: string;
  s: number;
  b: number;
  v: string;
  c: number;
  n: number;
  pos?: number[];
  hex?: string;
}

/** The chunk's bitmap as PostgreSQL's hex bit-string input: position 0 is the leftmost bit. */
function chunkHex(positions: Set<number>): string {
  const bytes = new Uint8Array(CHUNK_BITS / 8);
  for (const position of positions) bytes[position >> 3]! |= 0x80 >> (position & 7);
  return Buffer.from(bytes.buffer).toString("hex");
}

/** Milliseconds since the epoch as an exact timestamptz (cheaper for PostgreSQL than parsing ISO text). */
function epochMs(column: SQL) {
  return sql`('epoch'::timestamptz + ${column} * interval '1 millisecond')`;
}

function sessionJson(s: SessionAggregate) {
  return { p: s.p, k: s.k, d: s.d, f: s.f, l: s.l, n: s.n, ep: s.ep, xp: s.xp };
}

function userJson(u: UserAggregate) {
  return { p: u.p, k: u.k, f: u.f, l: u.l, n: u.n };
}

/** The batch's (user, session) pairs. */
function pairsJson(sessions: ByProject<SessionAggregate>): string {
  const pairs: Array<{ p: string; u: number; s: number }> = [];
  for (const session of sessions.values()) {
    for (const userNum of session.userNums ?? []) pairs.push({ p: session.p, u: userNum, s: session.num });
  }
  return JSON.stringify(pairs);
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === "" ? null : value;
}

function toMillis(row: RollupSourceRow): number {
  const value = row.timestamp;
  // PostgreSQL's text form ("2026-01-02 03:04:05.678+00") needs a "T" and a full "+00:00" offset for Date.parse.
  const ms =
    value instanceof Date ? value.getTime() : Date.parse(value.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
  if (!Number.isFinite(ms)) throw new Error(`applyRollups: unreadable timestamp ${String(value)}`);
  return ms;
}
