/**
 * Demo and benchmark data.
 *
 *   bun run seed -- --api-key <key> [--url http://localhost:8000] [--count 2000] [--days 7]
 *     sends realistic events through the real ingest API (batches of 100, a few in flight), so they take the same
 *     path as production traffic: validation, enrichment, the stream, the worker and the rollups.
 *
 *   bun run seed -- --direct --database-url <url> (--api-key <key> | --project-id <id>) [--count 10000000] [--days 90]
 *     writes straight to PostgreSQL for benchmarks: COPY for the events and applyRollups (the worker's own rollup
 *     code) for every chunk, the two overlapped on separate connections. Enrichment (path, referrer host, UTM) is done here
 *     like ingest does it, the user agent parsed by ingest's own parseUserAgent. Meant for a fresh project: a chunk whose COPY fails aborts the
 *     run, and re-running adds a second copy of the data.
 */
import { createHash } from "node:crypto";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { hashApiKey } from "../server/auth/api-keys.ts";
import type { Database } from "../server/db/client.ts";
import { EVENT_COLUMN_LIST, type EventRow, toCopyChunks } from "../server/db/events-columns.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import * as schema from "../server/db/schema/index.ts";
import { projects } from "../server/db/schema/index.ts";
import { parseUserAgent } from "../server/http/ingest/enrich.ts";
import { applyRollups } from "../server/pipeline/rollups/apply-rollups.ts";
import { generateSeedEvents } from "./seed/generate-events.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "api-key": { type: "string" },
    url: { type: "string", default: "http://localhost:8000" },
    count: { type: "string" },
    days: { type: "string" },
    direct: { type: "boolean", default: false },
    "database-url": { type: "string" },
    "project-id": { type: "string" },
    seed: { type: "string", default: "42" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

const USAGE = `Usage:
  bun run seed -- --api-key <key> [--url http://localhost:8000] [--count 2000] [--days 7]
  bun run seed -- --direct --database-url <postgres://...> (--api-key <key> | --project-id <uuid>) [--count 10000000] [--days 90]`;

function fail(message: string): never {
  console.error(`seed: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

// Progress ----------------------------------------------------------------------------------------------------------

function createProgress(total: number, label: string) {
  const started = performance.now();
  let last = 0;
  const draw = (done: number, force = false) => {
    const now = performance.now();
    if (!force && now - last < 200) return;
    last = now;
    const fraction = total ? done / total : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    process.stderr.write(
      `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ` +
        `${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${Math.round(rate).toLocaleString("en-US")}/s ` +
        `ETA ${formatSeconds(eta)}   `,
    );
  };
  return {
    update: draw,
    finish: (done: number) => {
      draw(done, true);
      process.stderr.write("\n");
      return (performance.now() - started) / 1000;
    },
  };
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

// API mode ----------------------------------------------------------------------------------------------------------

interface IngestAnswer {
  accepted?: number;
  rejected?: Array<{ index: number; reason: string }>;
  error?: { code: string; message: string };
}

async function seedThroughApi(options: { apiKey: string; url: string; count: number; days: number; seed: number }) {
  const endpoint = new URL("/api/v1/events/ingest", options.url).toString();
  // Ingest reads the browser from the request's User-Agent, so a request carries the events of one user agent.
  const pending = new Map<string, Array<Record<string, unknown>>>();
  const batches: Array<{ userAgent: string; events: Array<Record<string, unknown>> }> = [];
  for (const event of generateSeedEvents({
    count: options.count,
    days: options.days,
    end: Date.now(),
    seed: options.seed,
  })) {
    const list = pending.get(event.userAgent) ?? [];
    list.push({
      event: event.event,
      distinct_id: event.distinctId,
      session_id: event.sessionId,
      page_url: event.pageUrl,
      referrer: event.referrer,
      properties: event.properties,
      timestamp: new Date(event.timestamp).toISOString(),
      insert_id: Bun.randomUUIDv7(),
    });
    if (list.length === 100) {
      batches.push({ userAgent: event.userAgent, events: list });
      pending.delete(event.userAgent);
    } else pending.set(event.userAgent, list);
  }
  for (const [userAgent, events] of pending) batches.push({ userAgent, events });

  const progress = createProgress(options.count, "ingest");
  let accepted = 0;
  let rejected = 0;
  let sent = 0;
  let retries = 0;
  const reasons = new Map<string, number>();
  let next = 0;
  const send = async (batch: (typeof batches)[number]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": options.apiKey, "user-agent": batch.userAgent },
          body: JSON.stringify({ events: batch.events }),
        });
      } catch (error) {
        if (attempt >= 5) throw new Error(`cannot reach ${endpoint}: ${(error as Error).message}`);
        retries++;
        await Bun.sleep(500 * attempt);
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as IngestAnswer;
      if (response.status === 202) {
        accepted += body.accepted ?? 0;
        for (const r of body.rejected ?? []) {
          rejected++;
          reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
        }
        return;
      }
      // Back off on rate limits and overload as the server asks; anything else is a setup problem worth stopping for.
      if ((response.status === 429 || response.status === 503) && attempt < 20) {
        retries++;
        await Bun.sleep(Number(response.headers.get("retry-after") ?? "1") * 1000);
        continue;
      }
      throw new Error(`ingest answered ${response.status}: ${body.error?.message ?? JSON.stringify(body)}`);
    }
  };
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      await send(batch);
      sent += batch.events.length;
      progress.update(sent);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const seconds = progress.finish(sent);
  console.log(
    `seed: sent ${sent.toLocaleString("en-US")} events in ${batches.length} requests to ${endpoint} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(sent / seconds).toLocaleString("en-US")}/s): ${accepted.toLocaleString("en-US")} accepted, ${rejected} rejected` +
      (retries ? `, ${retries} retries` : "") +
      `. Events reach the dashboard once the worker has stored them.`,
  );
  for (const [reason, n] of reasons) console.log(`  rejected ${n}x: ${reason}`);
}

// Direct mode -------------------------------------------------------------------------------------------------------

const ipHashes = new Map<number, string>();
function fakeIpHash(visitor: number): string {
  let hash = ipHashes.get(visitor);
  if (!hash) {
    hash = createHash("sha256").update(`visitor-${visitor}`).digest("hex");
    if (ipHashes.size < 200_000) ipHashes.set(visitor, hash);
  }
  return hash;
}

async function seedDirect(options: {
  databaseUrl: string;
  apiKey?: string;
  projectId?: string;
  count: number;
  days: number;
  seed: number;
}) {
  const sql = postgres(options.databaseUrl, { max: 3, onnotice: () => {}, connection: { application_name: "seed" } });
  const db = drizzle(sql, { schema, casing: "snake_case" }) as unknown as Database;
  try {
    await migrateDatabase({ kind: "postgres", db, sql, close: () => sql.end() });
    const [project] = options.projectId
      ? await db.select().from(projects).where(eq(projects.id, options.projectId)).limit(1)
      : await db
          .select()
          .from(projects)
          .where(eq(projects.apiKeyHash, hashApiKey(options.apiKey!)))
          .limit(1);
    if (!project) fail(options.projectId ? `no project ${options.projectId}` : "no project has this API key");

    const progress = createProgress(options.count, "copy+rollups");
    const chunkSize = 20_000;
    let done = 0;
    let inFlight: Promise<void> = Promise.resolve();
    let rows: EventRow[] = [];
    const flush = async () => {
      const chunkRows = rows;
      rows = [];
      // COPY this chunk while the previous chunk's rollups are still being applied on another connection.
      await Promise.all([inFlight, copyChunks(sql, toCopyChunks(chunkRows))]);
      inFlight = db
        .transaction((tx) => applyRollups(tx as unknown as Database, chunkRows))
        .then(() => {
          done += chunkRows.length;
          progress.update(done);
        });
    };
    for (const event of generateSeedEvents({
      count: options.count,
      days: options.days,
      end: Date.now(),
      seed: options.seed,
    })) {
      const agent = parseUserAgent(event.userAgent);
      rows.push({
        projectId: project.id,
        insertId: Bun.randomUUIDv7(undefined, event.timestamp),
        eventName: event.event,
        distinctId: event.distinctId,
        sessionId: event.sessionId,
        properties: event.properties,
        pageUrl: event.pageUrl,
        path: event.path,
        host: "shop.example.com",
        referrer: event.referrer,
        referrerHost: event.referrerHost,
        utmSource: event.utmSource,
        utmMedium: event.utmMedium,
        utmCampaign: event.utmCampaign,
        userAgent: event.userAgent,
        browser: agent.browser,
        os: agent.os,
        device: agent.device,
        ipHash: fakeIpHash(event.visitor),
        country: null,
        timestamp: new Date(event.timestamp),
        receivedAt: new Date(event.timestamp + 150),
      });
      if (rows.length === chunkSize) await flush();
    }
    if (rows.length) await flush();
    await inFlight;
    const seconds = progress.finish(done);
    // VACUUM as well as ANALYZE: until the visibility map is set after a bulk load, index-only scans visit the heap
    // and the benchmark measured 1 M-event queries 3-10x slower than after autovacuum caught up.
    process.stderr.write("vacuum analyze...\n");
    await sql.unsafe(
      "vacuum (analyze) events, analytics_rollups, analytics_user_rollups, analytics_sessions, analytics_users, analytics_user_sessions",
    );
    console.log(
      `seed: wrote ${done.toLocaleString("en-US")} events over ${options.days} days into project ${project.id} ` +
        `in ${seconds.toFixed(1)} s (${Math.round(done / seconds).toLocaleString("en-US")}/s), rollups included.`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function copyChunks(sql: postgres.Sql, chunks: readonly string[]): Promise<void> {
  const stream = (await sql.unsafe(`copy events (${EVENT_COLUMN_LIST}) from stdin`).writable()) as Writable;
  await new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    for (const chunk of chunks) stream.write(chunk);
    stream.end(() => resolve());
  });
}

// Main --------------------------------------------------------------------------------------------------------------

if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const seed = positiveInt("seed", args.seed, 42, 2 ** 31);
if (args.direct) {
  if (!args["database-url"]) fail("--direct needs --database-url");
  if (!args["api-key"] && !args["project-id"]) fail("--direct needs --api-key or --project-id");
  await seedDirect({
    databaseUrl: args["database-url"],
    apiKey: args["api-key"],
    projectId: args["project-id"],
    count: positiveInt("count", args.count, 10_000_000, 100_000_000),
    days: positiveInt("days", args.days, 90, 365),
    seed,
  });
} else {
  if (!args["api-key"]) fail("--api-key is required (the project's key, proj_...)");
  await seedThroughApi({
    apiKey: args["api-key"],
    url: args.url!,
    count: positiveInt("count", args.count, 2000, 10_000_000),
    days: positiveInt("days", args.days, 7, 365),
    seed,
  });
}
