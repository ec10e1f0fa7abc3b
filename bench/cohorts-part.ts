/**
 * The `cohorts` part of `bun run bench` (bench/lib/cohorts.ts) against a database the bench's seed already filled,
 * without seeding again (10 M events take ~10 minutes to load):
 *   bun bench/cohorts-part.ts <database-url> <project-id> [--ports 41100-41199] [--redis-url redis://...] [--quick]
 * Starts the API server in production mode on that database (own Redis prefix, removed at the end), registers a
 * user and makes them an owner of the project's team (one row in team_members, removed at the end), then runs the
 * part through tRPC exactly as the bench does and prints its figures as JSON. Run it on a private PostgreSQL.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import postgres from "postgres";
import { createTrpcClient } from "./lib/api.ts";
import type { BenchOptions } from "./lib/args.ts";
import { measureCohorts } from "./lib/cohorts.ts";
import type { BenchContext } from "./lib/context.ts";
import { setPortRange } from "./lib/procs.ts";
import { startProduct } from "./lib/product.ts";
import { emptyResults, evaluateTargets } from "./lib/report.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { ports: { type: "string" }, "redis-url": { type: "string" }, quick: { type: "boolean" } },
  allowPositionals: true,
});
const [databaseUrl, projectId] = positionals;
if (!databaseUrl || !projectId) {
  console.error("usage: bun bench/cohorts-part.ts <database-url> <project-id> [--ports a-b] [--redis-url u] [--quick]");
  process.exit(2);
}
const ports = values.ports?.split("-").map(Number);
setPortRange(ports ? { from: ports[0]!, to: ports[1]! } : null);
const redisUrl = values["redis-url"] ?? "redis://127.0.0.1:6379";
const runId = Bun.randomUUIDv7().replaceAll("-", "").slice(-12);
const started = Date.now();
const sqlClient = postgres(databaseUrl, { max: 2, onnotice: () => {} });
const ctx = {
  options: { redisUrl, productEnv: {}, cpuProfile: false } as unknown as BenchOptions,
  dir: await mkdtemp(path.join(tmpdir(), "ad-cohorts-part-")),
  runId,
  databaseName: new URL(databaseUrl).pathname.slice(1),
  databaseUrl,
  redisPrefix: `cohorts_part:${runId}:`,
  secretKey: `bench-secret-${Bun.randomUUIDv7()}`,
  sql: sqlClient,
  redis: new Redis(redisUrl, { maxRetriesPerRequest: 2 }),
  errors: [],
  log: (message: string) =>
    console.log(`[cohorts +${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`),
} satisfies BenchContext;

const results = emptyResults(values.quick ? "quick" : "full", `bun bench/cohorts-part.ts ${projectId}`, ["cohorts"]);
const product = await startProduct(ctx, { worker: false });
let userId: string | null = null;
try {
  const client = createTrpcClient(product.baseUrl);
  const email = `cohorts-part-${runId}@example.com`;
  const password = `Bench-${runId}-pw!`;
  await client.mutation("auth.register", { email, password, fullName: "Cohorts part" });
  const login = await client.mutation<{ accessToken?: string }>("auth.login", { email, password });
  client.token = login.accessToken ?? null;
  const [user] = await sqlClient<Array<{ id: string }>>`select id from users where email = ${email}`;
  userId = user!.id;
  await sqlClient`insert into team_members (team_id, user_id, role)
                  select team_id, ${userId}, 'owner' from projects where id = ${projectId}`;
  const [{ n } = { n: "0" }] = await sqlClient<Array<{ n: string }>>`
    select count(*)::text as n from events where project_id = ${projectId}`;
  results.events_loaded = Number(n);
  results.machine.load_average_at_start = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).map(Number);
  await measureCohorts(ctx, { client, projectId, results, quick: values.quick ?? false });
  evaluateTargets(results);
  const targets = Object.fromEntries(Object.entries(results.targets).filter(([k]) => k.startsWith("cohorts")));
  console.log(JSON.stringify({ events: results.events_loaded, cohorts: results.cohorts, targets }, null, 2));
  console.log(
    `load average at start ${results.machine.load_average_at_start.join(" ")}, at end ${await Bun.file("/proc/loadavg").text()}`,
  );
} finally {
  if (userId) await sqlClient`delete from team_members where user_id = ${userId}`;
  if (userId) await sqlClient`delete from users where id = ${userId}`.catch(() => {});
  await product.stop();
  let cursor = "0";
  do {
    const [next, keys] = await ctx.redis.scan(cursor, "MATCH", `${ctx.redisPrefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await ctx.redis.unlink(...keys);
  } while (cursor !== "0");
  ctx.redis.disconnect();
  await sqlClient.end();
  await rm(ctx.dir, { recursive: true, force: true });
}
process.exit(0);
