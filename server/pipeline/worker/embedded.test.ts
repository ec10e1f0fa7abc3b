import { describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { queryRows } from "../../db/client.ts";
import { parseConfig } from "../../env.ts";
import { createApp } from "../../http/app.ts";
import { createLogger } from "../../logger.ts";
import { createServices } from "../../services.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  sumRollupCounts,
  waitFor,
} from "../../test-support/ingest-fixtures.ts";
import { bootWorker } from "./boot.ts";

describe("the pipeline in embedded mode", () => {
  it("stores events through the in-process stream and drains what is queued when it stops", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ad-embedded-"));
    const config = parseConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const services = await createServices(config, { logger: createLogger("silent") });
    try {
      const app = createApp(services);
      const project = await createTestProject(services.db);
      const send = (events: unknown[]) =>
        app.request("/api/v1/events/ingest", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": project.apiKey },
          body: JSON.stringify({ events }),
        });

      const worker = await bootWorker(services);
      expect((await send(makeEvents(30, "live"))).status).toBe(202);
      expect(await waitFor(async () => (await countEvents(services.db, project.projectId)) === 30)).toBe(true);

      // Accepted just before shutdown: the stream exists only in this process, so stop() must store it first.
      for (let i = 0; i < 5; i++) expect((await send(makeEvents(20, `late-${i}`))).status).toBe(202);
      await worker.stop();
      expect(await countEvents(services.db, project.projectId)).toBe(130);
      expect(await sumRollupCounts(services.db, project.projectId)).toBe(130);
      expect(await services.stream.backlog()).toEqual({ length: expect.any(Number), pending: 0, lag: 0 });
    } finally {
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("drops a crawler's events through the in-process stream, counting each once, and keeps a backend's", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ad-embedded-bots-"));
    const config = parseConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const services = await createServices(config, { logger: createLogger("silent") });
    try {
      const app = createApp(services);
      const project = await createTestProject(services.db);
      const send = (events: unknown[], userAgent: string) =>
        app.request("/api/v1/events/ingest", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": project.apiKey, "user-agent": userAgent },
          body: JSON.stringify({ events }),
        });
      const worker = await bootWorker(services);
      const googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
      const crawled = makeEvents(7, "bot");
      expect((await send(crawled, googlebot)).status).toBe(202);
      // The crawler's retry of the same events, and a backend posting with a library's user agent.
      expect((await send(crawled, googlebot)).status).toBe(202);
      expect((await send(makeEvents(4, "backend"), "python-requests/2.32.3")).status).toBe(202);
      await worker.stop();
      expect(await countEvents(services.db, project.projectId)).toBe(4);
      const [filtered] = await queryRows<{ n: number }>(
        services.db,
        sql`select count(*)::int as n from bot_filtered_events where project_id = ${project.projectId}::uuid`,
      );
      expect(filtered!.n).toBe(7);
    } finally {
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
