/**
 * people.delete's speed on a large project, on a PRIVATE PostgreSQL (initdb into a temp folder; never the shared one):
 *   bun bench/delete-person.ts [--events 1000000] [--people 20] [--person-events 10000]
 * Loads `--events` background events (30 days, sessions of 10 events, 50,000 users) and `--people` people of
 * `--person-events` events each (an anonymous alias linked by an identify event, sessions of 20 events, every tenth
 * session shared with another user), through the pipeline's own storeEvents, lets the compactor merge the segments,
 * then deletes the people one by one and prints p50 / p95 / max of deletePerson. The people's events are spread over
 * the whole range, so each deletion touches most rollup days and every segment of the range.
 */
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { compactProject } from "../server/analytics/engine/compact-segments.ts";
import { openDatabase } from "../server/db/client.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import { projects, users } from "../server/db/schema/index.ts";
import { deletePerson } from "../server/pipeline/people/delete-person.ts";
import { storeEvents } from "../server/pipeline/store/store-events.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";
import { type TestEvent, testEvent } from "../server/test-support/analytics-test-data.ts";
import { startPrivatePostgres } from "../server/test-support/private-postgres.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    people: { type: "string", default: "20" },
    "person-events": { type: "string", default: "10000" },
  },
});
const EVENTS = Number(values.events);
const PEOPLE = Number(values.people);
const PERSON_EVENTS = Number(values["person-events"]);
const DAY = 86_400_000;
const MINUTE = 60_000;
const BASE = Date.now() - 30 * DAY;
const PATHS = ["/", "/pricing", "/docs", "/blog", "/signup", "/about"];

const pg = await startPrivatePostgres();
const handle = await openDatabase({ databaseUrl: pg.url, dataDir: "", poolSize: 4 });
try {
  await migrateDatabase(handle);
  const db = handle.db;
  const [owner] = await db.insert(users).values({ email: "bench@example.test", passwordHash: "x" }).returning();
  const [project] = await db
    .insert(projects)
    .values({ teamId: await ensurePersonalTeam(db, owner!.id), name: "bench", apiKeyHash: "h", apiKeyPrefix: "proj_h" })
    .returning();
  const projectId = project!.id;

  let random = 42;
  const next = () => {
    random = (random * 1_103_515_245 + 12_345) % 2_147_483_648;
    return random / 2_147_483_648;
  };
  const at = () => BASE + Math.floor(next() * 30 * DAY);
  const event = (distinctId: string | null, sessionId: string, t: number, extra: Partial<TestEvent> = {}) => ({
    ...testEvent(projectId, { at: t, distinctId, sessionId, path: PATHS[Math.floor(next() * PATHS.length)]! }),
    ...extra,
  });

  let loaded = 0;
  const started = performance.now();
  const store = async (rows: TestEvent[]) => {
    for (let i = 0; i < rows.length; i += 5_000) loaded += (await storeEvents(db, rows.slice(i, i + 5_000))).length;
  };
  let batch: TestEvent[] = [];
  for (let s = 0; s * 10 < EVENTS; s++) {
    const t0 = at();
    const user = `user-${Math.floor(next() * 50_000)}`;
    for (let i = 0; i < 10; i++) batch.push(event(user, `sess-${s}`, t0 + i * MINUTE));
    if (batch.length >= 50_000) {
      await store(batch);
      batch = [];
      process.stdout.write(`\rbackground ${loaded} events, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  for (let p = 0; p < PEOPLE; p++) {
    const id = `person-${p}`;
    const anon = `anon-${p}`;
    batch.push(
      event(id, `p${p}-s0`, BASE, { eventName: "$identify", properties: { $anon_distinct_id: anon, $set: { p } } }),
    );
    for (let s = 0; s * 20 < PERSON_EVENTS - 1; s++) {
      const t0 = at();
      for (let i = 0; i < 20 && s * 20 + i < PERSON_EVENTS - 1; i++)
        batch.push(event(s % 2 ? id : anon, `p${p}-s${s}`, t0 + i * MINUTE));
      if (s % 10 === 0) batch.push(event(`user-${s}`, `p${p}-s${s}`, t0 + 30 * MINUTE));
    }
  }
  await store(batch);
  console.log(`\nloaded ${loaded} events in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await compactProject(db, projectId, { all: true });
  await db.execute(sql`vacuum analyze`);

  const times: number[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    const t0 = performance.now();
    const steps: string[] = [];
    const deleted = await deletePerson(
      db,
      { projectId, distinctId: `person-${p}` },
      { onStep: (step, ms) => steps.push(`${step} ${ms.toFixed(0)}`) },
    );
    times.push(performance.now() - t0);
    console.log(
      `person-${p}: ${deleted?.events} events, ${deleted?.sessions} sessions, ${times.at(-1)!.toFixed(0)} ms (${steps.join(", ")})`,
    );
  }
  times.sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!.toFixed(0);
  console.log(
    `deletePerson, ${PERSON_EVENTS} events a person, project of ${loaded} events: p50 ${pick(0.5)} ms, p95 ${pick(0.95)} ms, max ${pick(1)} ms`,
  );
} finally {
  await handle.close();
  await pg.destroy();
}
