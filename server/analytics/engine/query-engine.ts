/**
 * The query engine: answers analytics questions from the columnar segments (README.md beside this file). One per
 * process and database (Services.engine), holding the column cache and each project's person map. Every method
 * answers null when the engine does not hold all of the project's events yet (the upgrade backfill is running): the
 * caller then answers the old way, so answers stay exact throughout.
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { type Column, NUMBERS_F64, NUMBERS_I32 } from "./column-codec.ts";
import {
  type GroupTotals,
  groupTotals,
  type LoadedSegment,
  type Members,
  memberSet,
  type TimeGroup,
  topValues,
  type ValueRow,
} from "./evaluate.ts";
import { columnNameOf, type EngineFilter } from "./filter-masks.ts";
import { SESSION_COLUMN, TS_COLUMN, USER_COLUMN } from "./segment-layout.ts";
import { type ProjectSnapshot, readSnapshot, SegmentCache, SegmentReplacedError } from "./segment-store.ts";
import {
  entryExitPages,
  type OverviewFigures,
  overviewFigures,
  type PageVisits,
  type VisitFigures,
  visitFigures,
} from "./visit-metrics.ts";

export type { EngineFilter, GroupTotals, Members, OverviewFigures, PageVisits, TimeGroup, ValueRow, VisitFigures };

/** A segment as scan() hands it out: LoadedSegment (sessions and users always loaded) and the extra columns. */
export type ScannedSegment = LoadedSegment & { column(name: string): Column | null };

interface Want {
  sessions: boolean;
  people: boolean;
}

/**
 * A project's user num -> person num map, refreshed from analytics_person_links by seq, under one value of the
 * user-removal counter: a deletion of the project's events restarts nums and seqs, so the map is read afresh whenever
 * the counter moved (a person's deletion moves it too: one needless full read of the links, which is rare).
 */
interface PersonMap {
  removals: number;
  seq: number;
  personOf: Int32Array;
}

const MAX_ATTEMPTS = 3;

export class QueryEngine {
  private readonly cache: SegmentCache;
  private readonly people = new Map<string, PersonMap>();

  constructor(options: { cacheBytes: number }) {
    this.cache = new SegmentCache(options.cacheBytes);
  }

  get cacheSize() {
    return this.cache.size;
  }

  /** Per group: events, exact distinct sessions and people among the events passing `filters`. */
  async totals(
    db: Database,
    projectId: string,
    groups: readonly TimeGroup[],
    filters: readonly EngineFilter[],
    want: Want,
  ): Promise<GroupTotals[] | null> {
    return this.run(db, projectId, groups, filters, want, [], (segments, members) =>
      groupTotals(segments, filters, groups, members, want),
    );
  }

  /**
   * The top `limit` values of `dimension` in `group` (see evaluate.ts topValues); with `pageviews`, each row's
   * page_view events too (the event_name column is read as well), with `includeMissing` the "" bucket.
   */
  async topValues(
    db: Database,
    projectId: string,
    group: TimeGroup,
    filters: readonly EngineFilter[],
    dimension: string,
    limit: number,
    want: Want,
    options: { pageviews?: boolean; includeMissing?: boolean; byPageviews?: boolean } = {},
  ): Promise<ValueRow[] | null> {
    const columns = [columnNameOf(dimension)];
    if (options.pageviews) columns.push("event_name");
    return this.run(db, projectId, [group], filters, want, [...new Set(columns)], (segments, members) =>
      topValues(segments, filters, group, members, limit, want, this.cache.values.size, {
        names: options.pageviews ? segments.map((segment) => segment.column("event_name")) : undefined,
        includeMissing: options.includeMissing,
        byPageviews: options.byPageviews,
      }),
    );
  }

  /** Session nums or person nums active in `group` among events passing `filters`, as a byte per num. */
  async members(
    db: Database,
    projectId: string,
    group: TimeGroup,
    filters: readonly EngineFilter[],
    kind: "sessions" | "people",
  ): Promise<Uint8Array | null> {
    const want = { sessions: kind === "sessions", people: kind === "people" };
    return this.run(db, projectId, [group], filters, want, [], (segments, members) =>
      memberSet(segments, filters, group, members, kind),
    );
  }

  /** Per group, the visit figures (visit-metrics.ts) of the visits with an event passing `filters`. */
  async visits(
    db: Database,
    projectId: string,
    groups: readonly TimeGroup[],
    filters: readonly EngineFilter[],
  ): Promise<VisitFigures[] | null> {
    const want = { sessions: true, people: false };
    return this.run(db, projectId, groups, filters, want, ["event_name"], (segments, members) =>
      visitFigures(
        segments.map((segment) => ({ ...segment, names: segment.column("event_name") })),
        filters,
        groups,
        members.sessionSpace,
      ),
    );
  }

  /**
   * Per group, the visit figures with the events passing `filters`, their distinct sessions and people and the top
   * event (visit-metrics.ts overviewFigures): a filtered overview's figures in one pass over the events.
   */
  async overview(
    db: Database,
    projectId: string,
    groups: readonly TimeGroup[],
    filters: readonly EngineFilter[],
  ): Promise<OverviewFigures[] | null> {
    const want = { sessions: true, people: true };
    return this.run(db, projectId, groups, filters, want, ["event_name"], (segments, members) =>
      overviewFigures(
        segments.map((segment) => ({ ...segment, names: segment.column("event_name") })),
        filters,
        groups,
        members,
      ),
    );
  }

  /** The top entry or exit pages of the visits in `group` (visit-metrics.ts entryExitPages). */
  async entryExitPages(
    db: Database,
    projectId: string,
    group: TimeGroup,
    filters: readonly EngineFilter[],
    options: { side: "entry" | "exit"; limit: number; includeMissing: boolean },
  ): Promise<PageVisits[] | null> {
    const want = { sessions: true, people: false };
    return this.run(db, projectId, [group], filters, want, ["event_name", "path"], (segments, members) =>
      entryExitPages(
        segments.map((segment) => ({ ...segment, names: segment.column("event_name"), paths: segment.column("path") })),
        filters,
        group,
        members.sessionSpace,
        options.side,
        options.limit,
        options.includeMissing,
      ),
    );
  }

  /**
   * The building block of analyses beyond counts (funnels, retention, paths): the segments overlapping `span`, with
   * their time, session and user columns and the named extra columns (dimension names, 'p:<key>' properties: see
   * segment-layout.ts), and the members (person map) — handed to `evaluate`, which must not keep them. Null while
   * the engine does not serve the project. Apply filters with filterMask (filter-masks.ts) over each segment's
   * `filterColumns` (the columns of `filters`, in order); slots are sorted by time within a segment.
   */
  async scan<T>(
    db: Database,
    projectId: string,
    span: TimeGroup,
    filters: readonly EngineFilter[],
    extraColumns: readonly string[],
    evaluate: (segments: ScannedSegment[], members: Members) => T,
  ): Promise<T | null> {
    const want = { sessions: true, people: true };
    return this.run(db, projectId, [span], filters, want, [...new Set(extraColumns)], evaluate);
  }

  /**
   * The project's people: the person map and the size of the user num space (nums 1..userSpace were handed out;
   * a num is a person when it maps to itself). Null while the engine does not serve the project.
   */
  async personSpace(db: Database, projectId: string): Promise<Members | null> {
    const snapshot = await readSnapshot(db, projectId, 0, 0);
    if (snapshot.status !== null && snapshot.status !== "ready") return null;
    return this.membersOf(db, projectId, snapshot, true);
  }

  /**
   * Lists the segments of the groups' span, loads the columns (in one read of what the cache misses) and the
   * members, and evaluates; null while the engine does not serve the project.
   */
  private async run<T>(
    db: Database,
    projectId: string,
    groups: readonly TimeGroup[],
    filters: readonly EngineFilter[],
    want: Want,
    extraColumns: readonly string[],
    evaluate: (segments: ScannedSegment[], members: Members) => T,
  ): Promise<T | null> {
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const group of groups) {
      from = Math.min(from, group.from);
      to = Math.max(to, group.to);
    }
    for (let attempt = 1; ; attempt++) {
      const snapshot = await readSnapshot(db, projectId, from, to);
      if (snapshot.status !== null && snapshot.status !== "ready") return null;
      try {
        const segments = await this.load(db, projectId, snapshot, filters, want, extraColumns);
        const members = await this.membersOf(db, projectId, snapshot, want.people);
        return evaluate(segments, members);
      } catch (error) {
        // The compactor replaced a segment between the listing and the read: list again.
        if (!(error instanceof SegmentReplacedError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** The segments' time, filter, member and `extraColumns` columns; `values` is the first extra column, if any. */
  private async load(
    db: Database,
    projectId: string,
    snapshot: ProjectSnapshot,
    filters: readonly EngineFilter[],
    want: Want,
    extraColumns: readonly string[],
  ): Promise<ScannedSegment[]> {
    const filterNames = filters.map((filter) => columnNameOf(filter.dimension));
    const names = [...new Set([TS_COLUMN, ...filterNames, ...extraColumns])];
    if (want.sessions) names.push(SESSION_COLUMN);
    if (want.people) names.push(USER_COLUMN);
    const columns = await this.cache.load(db, projectId, snapshot.segments, names);
    const at = (name: string) => names.indexOf(name);
    return snapshot.segments.map((info, s) => {
      const row = columns[s]!;
      return {
        info,
        ts: numbers(row[0]!, NUMBERS_F64) as Float64Array,
        filterColumns: filterNames.map((name) => row[at(name)] ?? null),
        sessions: want.sessions ? (numbers(row[at(SESSION_COLUMN)]!, NUMBERS_I32) as Int32Array) : null,
        users: want.people ? (numbers(row[at(USER_COLUMN)]!, NUMBERS_I32) as Int32Array) : null,
        values: extraColumns.length === 0 ? null : (row[at(extraColumns[0]!)] ?? null),
        column: (name: string) => {
          if (!extraColumns.includes(name)) throw new Error(`column ${name} was not asked for`);
          return row[at(name)] ?? null;
        },
      };
    });
  }

  private async membersOf(
    db: Database,
    projectId: string,
    snapshot: ProjectSnapshot,
    people: boolean,
  ): Promise<Members> {
    const members: Members = {
      personOf: null,
      sessionSpace: snapshot.lastSessionNum,
      userSpace: snapshot.lastUserNum,
    };
    if (people && snapshot.lastLinkSeq > 0) {
      members.personOf = await this.personMap(db, projectId, snapshot);
    }
    return members;
  }

  /**
   * user num -> person num for a project, brought up to the snapshot's last link seq (links are only ever added
   * while the removal counter stands still, see PersonMap).
   */
  private async personMap(db: Database, projectId: string, snapshot: ProjectSnapshot): Promise<Int32Array> {
    const { lastLinkSeq: seq, lastUserNum, userRemovals } = snapshot;
    let map = this.people.get(projectId);
    if (!map || map.seq > seq || map.removals !== userRemovals) {
      map = { removals: userRemovals, seq: 0, personOf: new Int32Array(0) };
    }
    if (map.personOf.length <= lastUserNum) {
      const grown = new Int32Array(Math.max(lastUserNum + 1, Math.ceil(map.personOf.length * 1.5)));
      grown.set(map.personOf);
      for (let num = map.personOf.length; num < grown.length; num++) grown[num] = num;
      map.personOf = grown;
    }
    if (map.seq < seq) {
      const links = await queryRows<{ alias_num: string | number; person_num: string | number; seq: string | number }>(
        db,
        sql`select alias_num, person_num, seq from analytics_person_links
             where project_id = ${projectId}::uuid and seq > ${map.seq}::bigint and seq <= ${seq}::bigint`,
      );
      for (const link of links) {
        const alias = Number(link.alias_num);
        if (alias < map.personOf.length) map.personOf[alias] = Number(link.person_num);
      }
      map.seq = seq;
    }
    this.people.set(projectId, map);
    return map.personOf;
  }
}

function numbers(column: Column | null, kind: typeof NUMBERS_F64 | typeof NUMBERS_I32): Float64Array | Int32Array {
  if (!column || column.kind !== kind) throw new Error("segment column missing or of the wrong kind");
  return column.values;
}
