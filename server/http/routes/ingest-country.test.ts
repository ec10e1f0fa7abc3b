import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../db/client.ts";
import { type RunningWorker, startWorkerLoop } from "../../pipeline/worker/worker-loop.ts";
import { createTestProject, type TestProject, waitFor } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { createApp } from "../app.ts";

let t: TestServices;
let app: ReturnType<typeof createApp>;
let worker: RunningWorker;
let project: TestProject;

beforeAll(async () => {
  t = await createTestServices({ TRUST_PROXY: "true" });
  app = createApp(t.services);
  const { db, stream, pubsub, logger } = t.services;
  worker = startWorkerLoop({ db, stream, pubsub, logger }, { consumer: "country-test", batchSize: 50, blockMs: 100 });
  project = await createTestProject(db);
});
afterAll(async () => {
  await worker.stop();
  await t.cleanup();
});

async function ingestFrom(forwardedFor: string, event: string) {
  const res = await app.request("http://localhost/api/v1/events/ingest", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": project.apiKey, "x-forwarded-for": forwardedFor },
    body: JSON.stringify({ events: [{ event, session_id: `s-${event}` }] }),
  });
  expect(res.status).toBe(202);
}

async function storedRow(event: string) {
  let rows: Array<Record<string, unknown>> = [];
  await waitFor(async () => {
    rows = await queryRows(
      t.services.db,
      sql`select * from events where project_id = ${project.projectId}::uuid and event_name = ${event}`,
    );
    return rows.length === 1;
  });
  return rows[0]!;
}

describe("country at ingest", () => {
  it("stores the country of the forwarded client address behind TRUST_PROXY, and never the address", async () => {
    // The proxy appends the client's address last; the left-most entry is whatever the client claimed.
    await ingestFrom("8.8.8.8, 81.2.69.142", "from_gb");
    const row = await storedRow("from_gb");
    expect(row.country).toBe("GB");
    const stored = JSON.stringify(row);
    expect(stored).not.toContain("81.2.69.142");
    expect(stored).not.toContain("8.8.8.8");
  });

  it("stores IPv6 clients' countries too, and none for a private address", async () => {
    await ingestFrom("2001:4860:4860::8888", "from_us_v6");
    await ingestFrom("10.0.0.7", "from_lan");
    expect((await storedRow("from_us_v6")).country).toBe("US");
    expect((await storedRow("from_lan")).country).toBeNull();
  });

  it("breaks down and filters by country", async () => {
    await ingestFrom("133.11.0.1", "from_jp");
    await storedRow("from_jp");
    const [row] = await queryRows<{ n: number }>(
      t.services.db,
      sql`select count(*)::int as n from events where project_id = ${project.projectId}::uuid and country = 'JP'`,
    );
    expect(row!.n).toBe(1);
  });
});
