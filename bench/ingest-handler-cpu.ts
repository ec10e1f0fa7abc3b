/**
 * CPU per request of the ingest handler in this process, without HTTP or wrk: a steadier A/B measure than the
 * quick bench on a shared, busy machine (process CPU per request, min and median of 5 rounds).
 *
 *   bun bench/ingest-handler-cpu.ts <redis|none|bare> [events per body=1] [requests=20000] [in flight=50] [key in=header|body]
 *
 * `redis`: the real RedisEventStream on the shared Redis (REDIS_URL or 127.0.0.1:6379, its own key, deleted at
 * the end); `none`: a stream that accepts at once (the handler's own cost); `bare`: what the bench's HTTP ceiling
 * does (read the body, JSON.parse, answer). The API key lookup is stubbed (a cached key); bodies are the bench's.
 * Request construction is part of every mode, so compare modes and trees, not absolute numbers with the bench.
 * `body` sends the key as the SDK does, `api_key` first in the body (which ingest cuts out before the stream).
 */

import type { Database } from "../server/db/client.ts";
import type { ApiKeyCache } from "../server/http/ingest/api-key-cache.ts";
import { CountryLookup } from "../server/http/ingest/country-lookup.ts";
import { DailyVisitorIds } from "../server/http/ingest/daily-visitor-id.ts";
import { IpHasher } from "../server/http/ingest/enrich.ts";
import { createIngestHandler } from "../server/http/ingest/ingest-handler.ts";
import { IngestRateLimiter } from "../server/http/ingest/rate-limiter.ts";
import { MemoryKeyStore } from "../server/infra/key-store.ts";
import { connectRedis } from "../server/infra/redis.ts";
import { createLogger } from "../server/logger.ts";
import { EventQueue } from "../server/pipeline/sink/event-queue.ts";
import type { EventStream } from "../server/pipeline/stream/event-stream.ts";
import { RedisEventStream } from "../server/pipeline/stream/redis-event-stream.ts";
import { ingestBody, makeClientEvents, USER_AGENT } from "./lib/payloads.ts";

const mode = process.argv[2] ?? "redis";
const events = Number(process.argv[3] ?? 1);
const requests = Number(process.argv[4] ?? 20_000);
const inFlight = Number(process.argv[5] ?? 50);
const keyIn = process.argv[6] ?? "header";
if (
  !["redis", "none", "bare"].includes(mode) ||
  !(events >= 1 && requests >= 1 && inFlight >= 1) ||
  !["header", "body"].includes(keyIn)
) {
  console.error(
    "usage: bun bench/ingest-handler-cpu.ts <redis|none|bare> [events] [requests] [in flight] [header|body]",
  );
  process.exit(2);
}

const logger = createLogger("silent");
const prefix = `ad_micro:${process.pid}:`;
const redis =
  mode === "redis"
    ? connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
      })
    : null;
if (redis) await new Promise((resolve) => (redis.status === "ready" ? resolve(null) : redis.once("ready", resolve)));
const accepting: Pick<EventStream, "append" | "backlog"> = {
  append: async () => "0-1",
  backlog: async () => ({ length: 0, pending: 0, lag: 0 }),
};
const stream = redis ? new RedisEventStream({ redis, prefix }) : (accepting as EventStream);
const project = { id: "0193a0c0-0000-7000-8000-000000000001", domain: null };
const handler = createIngestHandler({
  config: { INGEST_RATE_LIMIT_PER_MINUTE: Number.MAX_SAFE_INTEGER },
  logger,
  keys: { lookup: () => project } as unknown as ApiKeyCache,
  limiter: new IngestRateLimiter({ limitPerMinute: Number.MAX_SAFE_INTEGER, redis: null, logger }),
  // The direct-to-PostgreSQL path is never taken: a failed append shows up as a non-202 below.
  queue: new EventQueue({ stream, db: null as unknown as Database, logger, maxBacklog: Number.MAX_SAFE_INTEGER }),
  ipHasher: new IpHasher("micro-secret"),
  countries: CountryLookup.open(),
  visitorIds: new DailyVisitorIds(new MemoryKeyStore(), logger),
});

const apiKey = "proj_benchBenchBenchBenchBenchBenchBenchBenchBen";
const clientEvents = makeClientEvents(events);
const bodyText =
  keyIn === "body"
    ? JSON.stringify({ api_key: apiKey, sent_at: new Date().toISOString(), events: clientEvents })
    : ingestBody(clientEvents);
const bytes = new TextEncoder().encode(bodyText);
const headers: Record<string, string> = {
  "content-type": "application/json",
  "user-agent": USER_AGENT,
  "content-length": String(bytes.length),
};
if (keyIn === "header") headers["x-api-key"] = apiKey;

async function one(): Promise<void> {
  const request = new Request("http://127.0.0.1/api/v1/events/ingest", { method: "POST", headers, body: bytes });
  let response: Response;
  if (mode === "bare") {
    const body = JSON.parse(await request.text()) as { events: unknown[] };
    response = new Response(JSON.stringify({ accepted: body.events.length, rejected: [] }), {
      status: 202,
      headers: { "content-type": "application/json" },
    });
  } else {
    response = await handler(request, "127.0.0.1");
  }
  const text = await response.text();
  if (response.status !== 202) throw new Error(`${response.status} ${text}`);
}

async function round(count: number): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < count) await one();
    }),
  );
}

try {
  await round(Math.min(requests, 5_000));
  const perRequest: number[] = [];
  for (let i = 0; i < 5; i++) {
    Bun.gc(true);
    const before = process.cpuUsage();
    await round(requests);
    const used = process.cpuUsage(before);
    perRequest.push((used.user + used.system) / requests);
  }
  perRequest.sort((a, b) => a - b);
  console.log(
    `${mode}, ${events}-event bodies, key in ${keyIn}: CPU us/request min ${perRequest[0]!.toFixed(1)} median ${perRequest[2]!.toFixed(1)} ` +
      `(${perRequest.map((us) => us.toFixed(1)).join(" ")})`,
  );
} finally {
  if (redis) {
    await stream.close();
    await redis.del(`${prefix}events:ingest`);
    redis.disconnect();
  }
}
process.exit(0);
