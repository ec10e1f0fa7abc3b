/**
 * The privacy part (issue 20: "people.delete ... p95 < 5 s for a person with 10,000 events on a project of 10 M"),
 * through tRPC as an admin would call it, on the run's query dataset: the seed's POWER_PEOPLE people (about
 * POWER_PERSON_EVENTS events each under five ids, spread over the whole period, so every rollup day and every
 * engine segment holds some) are deleted one after the other. Destructive: it runs after every part that reads the
 * dataset (bench/run.ts).
 *
 *   delete           wall time of each people.delete call (the transaction, COMMIT included)
 *   purge_s          from the last deletion until the worker's maintenance loop has rewritten every segment that
 *                    held a deleted slot (segment-deletions.ts): when the person's bytes have left the engine
 *   check            afterwards, the unfiltered and a filtered overview of the whole period equal plain SQL over the
 *                    remaining raw events (alias map applied), and people.get finds none of the deleted people
 */
import { POWER_PEOPLE } from "../../scripts/seed/generate-events.ts";
import type { TrpcClient } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { EVENTS_WITH_PERSON } from "./filtered-queries.ts";
import type { BenchResults } from "./report.ts";
import { percentile, round } from "./stats.ts";

const PURGE_WAIT_S = 900;

interface Overview {
  totalEvents: number;
  uniqueSessions: number;
  uniqueUsers: number;
}

export async function measurePrivacy(
  ctx: BenchContext,
  options: { client: TrpcClient; projectId: string; results: BenchResults; days: number },
): Promise<void> {
  const { client, projectId } = options;
  const r = options.results.privacy;
  const failures: string[] = [];
  const times: number[] = [];
  for (let k = 0; k < POWER_PEOPLE; k++) {
    const distinctId = `power_${k}`;
    const [row] = await ctx.sql<Array<{ n: string }>>`
      select count(*)::text as n from events
       where project_id = ${projectId} and (distinct_id = ${distinctId} or distinct_id like ${`${distinctId}\\_device\\_%`})`;
    // Small seeds (the smoke test's 50,000 events) may lack a power person: nothing to delete then.
    if (Number(row?.n ?? 0) === 0) {
      ctx.log(`privacy: ${distinctId} is not in this dataset; skipped`);
      continue;
    }
    const t0 = performance.now();
    const deleted = await client.mutation<{ events: number; distinctIds: string[] }>("people.delete", {
      projectId,
      distinctId,
    });
    times.push(performance.now() - t0);
    r.people.push({
      distinct_id: distinctId,
      events: deleted.events,
      ids: deleted.distinctIds.length,
      ms: round(times.at(-1)!, 1),
    });
    if (deleted.events !== Number(row?.n)) failures.push(`${distinctId}: deleted ${deleted.events}, SQL had ${row?.n}`);
    ctx.log(
      `privacy: ${distinctId}: ${deleted.events} events under ${deleted.distinctIds.length} ids in ${times.at(-1)!.toFixed(0)} ms`,
    );
  }
  if (times.length === 0) throw new Error("none of the seed's power people is in the dataset");
  r.delete_p50_ms = round(percentile(times, 50), 1);
  r.delete_p95_ms = round(percentile(times, 95), 1);
  r.delete_max_ms = round(Math.max(...times), 1);

  // The worker's maintenance loop rewrites the marked segments in bounded batches.
  const purgeStart = performance.now();
  for (;;) {
    const [left] = await ctx.sql<Array<{ n: number }>>`
      select count(*)::int as n from analytics_segments where project_id = ${projectId} and deleted_slots is not null`;
    if (left?.n === 0) {
      r.purge_s = round((performance.now() - purgeStart) / 1000, 1);
      break;
    }
    if (performance.now() - purgeStart > PURGE_WAIT_S * 1000) {
      failures.push(`${left?.n} segments still hold deleted slots after ${PURGE_WAIT_S} s`);
      break;
    }
    await Bun.sleep(1_000);
  }

  // The check: figures of the whole period against SQL over what remains.
  const to = new Date(Date.now() + 60_000).toISOString();
  const from = new Date(Date.now() - (options.days + 1) * 86_400_000).toISOString();
  for (const [label, filters, where] of [
    ["unfiltered", [], ""],
    ["path /pricing", [{ dimension: "path", op: "eq", value: "/pricing" }], "and e.path = '/pricing'"],
  ] as const) {
    const ours = await client.query<Overview>("analytics.overview", { projectId, from, to, filters: [...filters] });
    const [want] = await ctx.sql.begin(async (tx) => {
      await tx`set local jit = off`;
      await tx`set local work_mem = '256MB'`;
      return tx.unsafe<Array<{ events: string; sessions: string; people: string }>>(
        `select count(*)::text as events, count(distinct nullif(session_id, ''))::text as sessions,
                count(distinct person_num)::text as people
           from (${EVENTS_WITH_PERSON} where e.project_id = $1 and e.timestamp >= $2 and e.timestamp < $3 ${where}) x`,
        [projectId, from, to],
      );
    });
    const same = (what: string, got: number, sqlValue: string | undefined) => {
      if (got !== Number(sqlValue)) failures.push(`overview ${label} ${what}: ${got}, SQL ${sqlValue}`);
    };
    same("totalEvents", ours.totalEvents, want?.events);
    same("uniqueSessions", ours.uniqueSessions, want?.sessions);
    same("uniqueUsers", ours.uniqueUsers, want?.people);
  }
  for (const { distinct_id } of r.people) {
    const found = await client.query("people.get", { projectId, distinctId: distinct_id }).then(
      () => true,
      () => false,
    );
    if (found) failures.push(`people.get still finds ${distinct_id}`);
  }
  r.failures = failures;
  r.correct = failures.length === 0;
  ctx.log(
    `privacy: delete p50 ${r.delete_p50_ms} / p95 ${r.delete_p95_ms} ms; purged in ${r.purge_s} s; ` +
      (r.correct ? "figures equal SQL" : `DIFFERENT: ${failures[0]}`),
  );
}
