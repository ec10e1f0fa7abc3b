import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { bootWorker } from "../../pipeline/worker/boot.ts";
import { startWorkerLoop } from "../../pipeline/worker/worker-loop.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  type TestProject,
  waitFor,
} from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { createApp } from "../app.ts";
import { isLoopbackAddress } from "../middleware/metrics-access.ts";
import type { RunningServer } from "../serve.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format: every line is a comment, blank, or `name{labels} value`. */
function parseExposition(text: string) {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      (meta[1] === "TYPE" ? types : help).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus text line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, help, samples };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

let t: TestServices;
let server: RunningServer;
let project: TestProject;

beforeAll(async () => {
  t = await createTestServices();
  server = startTestServer(t.services);
  project = await createTestProject(t.services.db);
});
afterAll(async () => {
  await server.stop();
  await t.cleanup();
});

async function scrape(headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1/metrics`, { headers });
  return { res, text: await res.text() };
}

describe("GET /api/v1/metrics", () => {
  it("answers in the Prometheus text format with every pipeline metric", async () => {
    const { res, text } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const { types, help, samples } = parseExposition(text);
    expect(Object.fromEntries(types)).toEqual({
      analytics_stream_length: "gauge",
      analytics_stream_pending: "gauge",
      analytics_stream_lag_entries: "gauge",
      analytics_stream_lag_seconds: "gauge",
      analytics_dead_letters: "gauge",
      analytics_worker_events_stored_total: "counter",
      analytics_events_suppressed_total: "counter",
      analytics_query_timeouts_total: "counter",
      analytics_engine_backfill_events_total: "counter",
      analytics_engine_backfill_projects_pending: "gauge",
    });
    for (const name of types.keys()) expect(help.get(name)?.length).toBeGreaterThan(10);
    expect(value(samples, "analytics_query_timeouts_total")).toBe(0);
    // A fresh install: nothing stored before the query engine, so nothing to backfill.
    expect(value(samples, "analytics_engine_backfill_projects_pending")).toBe(0);
    expect(value(samples, "analytics_engine_backfill_events_total")).toBe(0);
  });

  it("moves with the pipeline: stream length while queued, stored events once the worker ran, dead letters", async () => {
    const before = parseExposition((await scrape()).text).samples;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: JSON.stringify({ events: makeEvents(10) }),
      });
      expect(res.status).toBe(202);
    }
    await t.services.stream.append("not an entry"); // poison: the worker cannot decode it
    await Bun.sleep(50);
    const queued = parseExposition((await scrape()).text).samples;
    expect(value(queued, "analytics_stream_length")).toBe((value(before, "analytics_stream_length") ?? 0) + 4);
    expect(value(queued, "analytics_stream_lag_entries")).toBe(4);
    expect(value(queued, "analytics_dead_letters")).toBe(0);
    expect(value(queued, "analytics_stream_lag_seconds")).toBeGreaterThanOrEqual(0.05);

    const { db, stream, pubsub, logger } = t.services;
    const worker = startWorkerLoop(
      { db, stream, pubsub, logger, storedEvents: t.services.metrics.storedEvents },
      { consumer: "metrics-test", batchSize: 50, blockMs: 100, maxDeliveries: 1 },
    );
    try {
      expect(await waitFor(async () => (await countEvents(db, project.projectId)) === 30)).toBe(true);
      expect(
        await waitFor(
          async () => value(parseExposition((await scrape()).text).samples, "analytics_dead_letters") === 1,
        ),
      ).toBe(true);
    } finally {
      await worker.stop();
    }
    const after = parseExposition((await scrape()).text).samples;
    expect(value(after, "analytics_worker_events_stored_total", { consumer: "metrics-test" })).toBe(30);
    expect(value(after, "analytics_stream_lag_entries")).toBe(0);
    expect(value(after, "analytics_stream_pending")).toBe(0);
    expect(value(after, "analytics_stream_lag_seconds")).toBe(0);
  }, 30_000);

  it("counts query timeouts with one call from anything holding services", async () => {
    t.services.metrics.queryTimeouts.inc();
    expect(value(parseExposition((await scrape()).text).samples, "analytics_query_timeouts_total")).toBe(1);
  });

  it("refuses a request forwarded by a proxy, although it reached the socket from loopback", async () => {
    for (const header of ["x-forwarded-for", "x-real-ip", "forwarded"]) {
      const { res, text } = await scrape({ [header]: header === "forwarded" ? "for=127.0.0.1" : "127.0.0.1" });
      expect(res.status).toBe(403);
      expect(text).not.toContain("analytics_");
    }
  });

  it("refuses a client whose socket address is not loopback", async () => {
    // app.request() has no socket at all: the same refusal as any address off this host.
    const res = await createApp(t.services).request("/api/v1/metrics");
    expect(res.status).toBe(403);
  });
});

describe("GET /api/v1/metrics with METRICS_TOKEN", () => {
  let tokenServices: TestServices;
  let tokenServer: RunningServer;
  const token = "metrics-token-for-the-test-0123456789";

  beforeAll(async () => {
    tokenServices = await createTestServices({ METRICS_TOKEN: token, TRUST_PROXY: "true" });
    tokenServer = startTestServer(tokenServices.services);
  });
  afterAll(async () => {
    await tokenServer.stop();
    await tokenServices.cleanup();
  });

  const get = (headers: Record<string, string>) => fetch(`${tokenServer.url}/api/v1/metrics`, { headers });

  it("requires the bearer token even from loopback", async () => {
    expect((await get({})).status).toBe(401);
    expect((await get({ authorization: "Bearer wrong-token-of-some-length" })).status).toBe(401);
    expect((await get({ authorization: token })).status).toBe(401);
  });

  it("serves the right token from anywhere, a proxy included", async () => {
    const res = await get({ authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" });
    expect(res.status).toBe(200);
    expect(parseExposition(await res.text()).types.get("analytics_dead_letters")).toBe("gauge");
  });
});

describe("GET /api/v1/metrics in embedded mode", () => {
  it("counts what the in-process worker stored", async () => {
    const embedded = await createTestServices({}, { redis: false });
    const local = startTestServer(embedded.services);
    const worker = await bootWorker(embedded.services);
    try {
      const { apiKey, projectId } = await createTestProject(embedded.services.db);
      const res = await fetch(`${local.url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": apiKey },
        body: JSON.stringify({ events: makeEvents(7) }),
      });
      expect(res.status).toBe(202);
      expect(await waitFor(async () => (await countEvents(embedded.services.db, projectId)) === 7)).toBe(true);
      const stored = async () =>
        value(
          parseExposition(await (await fetch(`${local.url}/api/v1/metrics`)).text()).samples,
          "analytics_worker_events_stored_total",
          { consumer: "embedded" },
        );
      expect(await waitFor(async () => (await stored()) === 7)).toBe(true);
    } finally {
      await worker.stop();
      await local.stop();
      await embedded.cleanup();
    }
  }, 30_000);
});

describe("isLoopbackAddress", () => {
  it("accepts loopback in the spellings a socket reports and nothing else", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of [
      "10.0.0.1",
      "192.168.1.2",
      "::ffff:10.0.0.1",
      "fe80::1",
      "127.0.0.1.example.com",
      "",
      "0.0.0.0",
    ]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});
