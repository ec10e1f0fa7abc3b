/**
 * The funnel oracle (not used by production code): the raw events of each step from the events table with the alias
 * map applied (plain SQL; filters, cohort filters included, written by filter-oracle.ts), walked by a deliberately
 * naive JS windowFunnel (every step-1 event, every later event scanned from the start). Used by
 * server/analytics/funnels/funnel.test.ts and the cohort filter tests (server/analytics/cohorts).
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import type { FunnelInput, FunnelPeopleInput, FunnelResult, FunnelStep } from "../../shared/funnel.ts";
import { type Database, queryRows } from "../db/client.ts";
import { oracleDimensionSql, oracleFilterSql } from "./filter-oracle.ts";

interface RawEvent {
  entity: string;
  ts: number;
  mask: number;
  value: string;
}

async function rawStepEvents(db: Database, projectId: string, input: FunnelInput): Promise<RawEvent[]> {
  const from = input.from!;
  const to = input.to!;
  const bySessions = input.countBy === "sessions";
  const conditions: SQL[] = input.steps.map((step, k) => {
    const parts = [
      sql`event_name = ${step.event}::text`,
      ...((step.filters ?? []) as AnalyticsFilter[]).map(oracleFilterSql),
    ];
    return sql`case when ${sql.join(parts, sql` and `)} then ${1 << k}::int else 0 end`;
  });
  const where = [
    sql`project_id = ${projectId}::uuid`,
    sql`timestamp >= ${from}::timestamptz`,
    sql`timestamp < ${to}::timestamptz`,
    ...((input.filters ?? []) as AnalyticsFilter[]).map(oracleFilterSql),
  ];
  const value = input.breakdown ? sql`coalesce(${oracleDimensionSql(input.breakdown)}, '')` : sql`''`;
  const rows = await queryRows<{ ts: number; mask: number; value: string; session_id: string | null; person: string }>(
    db,
    sql`select e.ts, e.mask, e.value, e.session_id, coalesce(l.person_num, u.num)::text as person
          from (select (extract(epoch from timestamp) * 1000)::float8 as ts, ${sql.join(conditions, sql` + `)} as mask,
                       ${value} as value, session_id, distinct_id
                  from events where ${sql.join(where, sql` and `)}) e
          left join analytics_users u on u.project_id = ${projectId}::uuid and u.distinct_id = e.distinct_id
          left join analytics_person_links l on l.project_id = ${projectId}::uuid and l.alias_num = u.num
         where e.mask > 0`,
  );
  return rows
    .map((r) => ({
      entity: bySessions ? (r.session_id ?? "") : (r.person ?? ""),
      ts: Number(r.ts),
      mask: Number(r.mask),
      value: r.value,
    }))
    .filter((r) => r.entity !== "");
}

interface OracleEntity {
  entity: string;
  level: number;
  times: number[];
  value: string;
}

/** The issue's definition, literally: every step-1 event, each next step the first unused event at or after. */
function oracleWalk(events: RawEvent[], stepCount: number, windowMs: number): OracleEntity[] {
  const byEntity = new Map<string, RawEvent[]>();
  for (const e of events) byEntity.set(e.entity, [...(byEntity.get(e.entity) ?? []), e]);
  const out: OracleEntity[] = [];
  for (const [entity, list] of byEntity) {
    list.sort((a, b) => a.ts - b.ts || a.mask - b.mask || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    let best: OracleEntity | null = null;
    for (const start of list) {
      if (!(start.mask & 1)) continue;
      const chain = [start];
      for (let k = 1; k < stepCount; k++) {
        const prev = chain[k - 1]!;
        const next = list.find(
          (e) => e.mask & (1 << k) && e.ts >= prev.ts && e.ts <= start.ts + windowMs && !chain.includes(e),
        );
        if (!next) break;
        chain.push(next);
      }
      if (!best || chain.length > best.level) {
        best = { entity, level: chain.length, times: chain.map((e) => e.ts), value: start.value };
      }
    }
    if (best) out.push(best);
  }
  return out;
}

function oracleSteps(entities: OracleEntity[], events: string[]): FunnelStep[] {
  const counts = events.map((_, k) => entities.filter((e) => e.level > k).length);
  return events.map((event, k) => {
    const gaps = entities
      .filter((e) => e.level > k && k > 0)
      .map((e) => (e.times[k]! - e.times[k - 1]!) / 1000)
      .sort((a, b) => a - b);
    const m = gaps.length >> 1;
    return {
      event,
      count: counts[k]!,
      conversionFromStart: k === 0 ? 1 : counts[0] ? counts[k]! / counts[0]! : 0,
      conversionFromPrevious: k === 0 ? 1 : counts[k - 1] ? counts[k]! / counts[k - 1]! : 0,
      medianSecondsFromPrevious: gaps.length === 0 ? null : gaps.length % 2 ? gaps[m]! : (gaps[m - 1]! + gaps[m]!) / 2,
    };
  });
}

export async function oracleFunnel(db: Database, projectId: string, raw: FunnelInput): Promise<FunnelResult> {
  const input = { ...raw, countBy: raw.countBy ?? "users", windowSeconds: raw.windowSeconds ?? 86_400 };
  const events = input.steps.map((s) => s.event!);
  const entities = oracleWalk(await rawStepEvents(db, projectId, input), events.length, input.windowSeconds * 1000);
  const result: FunnelResult = { steps: oracleSteps(entities, events) };
  if (!input.breakdown) return result;
  const groups = new Map<string, OracleEntity[]>();
  for (const e of entities) groups.set(e.value, [...(groups.get(e.value) ?? []), e]);
  const ranked = [...groups].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  result.breakdown = ranked.slice(0, 10).map(([value, list]) => ({ value, steps: oracleSteps(list, events) }));
  const rest = ranked.slice(10).flatMap(([, list]) => list);
  if (rest.length) result.breakdown.push({ value: "$other", steps: oracleSteps(rest, events) });
  return result;
}

export async function oraclePeople(db: Database, projectId: string, input: FunnelPeopleInput): Promise<string[]> {
  const windowMs = (input.windowSeconds ?? 86_400) * 1000;
  const entities = oracleWalk(
    await rawStepEvents(db, projectId, { ...input, countBy: "users" }),
    input.steps.length,
    windowMs,
  );
  const chosen = entities.filter((e) => (input.dropped ? e.level === input.step - 1 : e.level >= input.step));
  const names = await queryRows<{ num: string; distinct_id: string }>(
    db,
    sql`select num::text, distinct_id from analytics_users where project_id = ${projectId}::uuid`,
  );
  const byNum = new Map(names.map((r) => [r.num, r.distinct_id]));
  return chosen.map((e) => byNum.get(e.entity)!).sort();
}
