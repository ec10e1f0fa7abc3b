/**
 * The README's "Privacy" claim that no IP address is stored: an event posted from a public address (forwarded by a
 * trusted proxy) reaches the stream entry and the stored row as its daily HMAC and its country only.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createHmac } from "node:crypto";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { queryRows } from "../../db/client.ts";
import { decodeEventBatch } from "../../pipeline/entry/event-batch.ts";
import { storeEvents } from "../../pipeline/store/store-events.ts";
import { INGEST_STREAM } from "../../pipeline/stream/event-stream.ts";
import { createTestProject, type TestProject } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { type App, createApp } from "../app.ts";

const IP = "8.8.8.8";

let t: TestServices;
let app: App;
let project: TestProject;

beforeAll(async () => {
  t = await createTestServices({ TRUST_PROXY: "true" });
  app = createApp(t.services);
  project = await createTestProject(t.services.db);
});
afterAll(async () => {
  await t?.cleanup();
});

describe("ingest and storage of the client's address", () => {
  it("keeps the IP out of the stream entry and the stored event, keeping its daily HMAC and its country", async () => {
    const response = await app.request("/api/v1/events/ingest", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": project.apiKey,
        "x-forwarded-for": IP,
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
      },
      body: JSON.stringify({ events: [{ event: "page_view", insert_id: "ip-1" }] }),
    });
    expect(response.status).toBe(202);
    const redis = new Redis(t.config.REDIS_URL!);
    let payload: string;
    try {
      const [latest] = (await redis.xrevrange(t.redisPrefix + INGEST_STREAM, "+", "-", "COUNT", 1)) as Array<
        [string, string[]]
      >;
      payload = latest![1].find((field) => field.startsWith("{"))!;
    } finally {
      redis.disconnect();
    }
    expect(payload).not.toContain(IP);
    await storeEvents(t.services.db, decodeEventBatch(payload));
    const [row] = await queryRows<Record<string, unknown>>(
      t.services.db,
      sql`select * from events where project_id = ${project.projectId}::uuid and insert_id = 'ip-1'`,
    );
    expect(JSON.stringify(row)).not.toContain(IP);
    const date = new Date().toISOString().slice(0, 10);
    const dayKey = createHmac("sha256", t.config.SECRET_KEY).update(`ip-hash:${date}`).digest();
    expect(row!.ip_hash).toBe(createHmac("sha256", dayKey).update(IP).digest("hex"));
    expect(row!.country).toBe("US");
  });
});
