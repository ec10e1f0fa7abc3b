import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import path from "node:path";
import { sql } from "drizzle-orm";
import { getOverview } from "../server/analytics/get-overview.ts";
import { queryRows } from "../server/db/client.ts";
import { projects, users } from "../server/db/schema/index.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";
import { createTestServices, type TestServices } from "../server/test-support/services.ts";

const script = path.resolve(import.meta.dirname, "seed.ts");

async function runSeed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, script, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

describe("seed --direct", () => {
  let t: TestServices;
  let projectId: string;

  beforeAll(async () => {
    t = await createTestServices({}, { redis: false });
    const [user] = await t.services.db
      .insert(users)
      .values({ email: "seed@example.test", passwordHash: "x" })
      .returning();
    const [project] = await t.services.db
      .insert(projects)
      .values({
        teamId: await ensurePersonalTeam(t.services.db, user!.id),
        name: "seeded",
        apiKeyHash: "seed-hash",
        apiKeyPrefix: "proj_seed",
      })
      .returning();
    projectId = project!.id;
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("writes realistic events with COPY and rollups that agree with them", async () => {
    const result = await runSeed([
      "--direct",
      "--database-url",
      t.database.url,
      "--project-id",
      projectId,
      "--count",
      "5000",
      "--days",
      "3",
    ]);
    expect(result.stderr).toContain("100.0%");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("wrote 5,000 events");
    const [raw] = await queryRows<{ n: string; s: string; u: string; first: string; last: string }>(
      t.services.db,
      // People, not ids: an identified visitor's anonymous id counts as the person it was linked to.
      sql`select count(*) as n, count(distinct e.session_id) as s, count(distinct coalesce(l.person_num, u.num)) as u,
                 min(e.timestamp)::text as first, max(e.timestamp)::text as last
            from events e
            join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
            left join analytics_person_links l on l.project_id = e.project_id and l.alias_num = u.num
           where e.project_id = ${projectId}::uuid`,
    );
    expect(Number(raw!.n)).toBe(5000);
    const overview = await getOverview(t.services.db, {
      projectId,
      from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
      to: new Date().toISOString(),
    });
    expect([overview.totalEvents, overview.uniqueSessions, overview.uniqueUsers]).toEqual([
      5000,
      Number(raw!.s),
      Number(raw!.u),
    ]);
    expect(Date.parse(raw!.first.replace(" ", "T").replace(/\+00$/, "Z"))).toBeGreaterThan(
      Date.now() - 3 * 86_400_000 - 60_000,
    );
    const mix = await queryRows<{ event_name: string; n: string }>(
      t.services.db,
      sql`select event_name, count(*) as n from events where project_id = ${projectId}::uuid group by 1 order by 2 desc`,
    );
    expect(mix[0]!.event_name).toBe("page_view");
    expect(Number(mix[0]!.n) / 5000).toBeGreaterThan(0.5);
    const enriched = await queryRows<{ browsers: string; devices: string; referrers: string }>(
      t.services.db,
      sql`select count(distinct browser) as browsers, count(distinct device) as devices, count(distinct referrer_host) as referrers
            from events where project_id = ${projectId}::uuid`,
    );
    expect(Number(enriched[0]!.browsers)).toBeGreaterThanOrEqual(4);
    expect(Number(enriched[0]!.devices)).toBeGreaterThanOrEqual(3);
    expect(Number(enriched[0]!.referrers)).toBeGreaterThanOrEqual(5);
    // High cardinality for the filtered benchmark: a long tail of paths, a unique order_id per purchase, plans.
    const [cardinality] = await queryRows<{ tail: string; purchases: string; orders: string; plans: string[] }>(
      t.services.db,
      sql`select count(distinct path) filter (where path like '/docs/page-%') as tail,
                 count(*) filter (where event_name = 'purchase') as purchases,
                 count(distinct properties ->> 'order_id') as orders,
                 array_agg(distinct properties ->> 'plan') filter (where properties ? 'plan') as plans
            from events where project_id = ${projectId}::uuid`,
    );
    expect(Number(cardinality!.tail)).toBeGreaterThan(200);
    expect(Number(cardinality!.orders)).toBe(Number(cardinality!.purchases));
    expect(Number(cardinality!.orders)).toBeGreaterThan(50);
    expect(cardinality!.plans.toSorted()).toEqual(["free", "pro", "team"]);
    // People: identifies link each signed-up visitor's anonymous id, and the power people hold five ids each.
    const [people] = await queryRows<{ links: string; power_ids: string; journeys: string; checkouts: string }>(
      t.services.db,
      sql`select (select count(*) from analytics_person_links where project_id = ${projectId}::uuid) as links,
                 count(distinct distinct_id) filter (where distinct_id like 'power\_%') as power_ids,
                 count(distinct session_id) filter (where event_name = 'page_view' and path = '/signup') as journeys,
                 count(*) filter (where event_name = 'form_submit' and properties ->> 'form' = 'checkout') as checkouts
            from events where project_id = ${projectId}::uuid`,
    );
    expect(Number(people!.links)).toBeGreaterThan(20);
    expect(Number(people!.power_ids)).toBeGreaterThan(3); // of 15: a small seed has few power sessions
    expect(Number(people!.journeys)).toBeGreaterThan(10);
    expect(Number(people!.checkouts)).toBeGreaterThan(5);
    // Every event is in exactly one engine segment, each at most SEGMENT_CAPACITY events (compacted).
    const [segments] = await queryRows<{ n: string; events: string }>(
      t.services.db,
      sql`select count(*) as n, sum(event_count) as events from analytics_segments where project_id = ${projectId}::uuid`,
    );
    expect(Number(segments!.events)).toBe(5000);
    expect(Number(segments!.n)).toBe(1);
    expect(result.stderr).toContain("compact:");
  }, 120_000);

  it("refuses to run without a project", async () => {
    const result = await runSeed(["--direct", "--database-url", t.database.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--api-key or --project-id");
  });
});

describe("seed through the API", () => {
  it("posts batches of at most 100 events with the key and one user agent per request, and sums up", async () => {
    const requests: Array<{ key: string | null; agent: string | null; events: Array<Record<string, unknown>> }> = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const body = (await request.json()) as { events: Array<Record<string, unknown>> };
        requests.push({
          key: request.headers.get("x-api-key"),
          agent: request.headers.get("user-agent"),
          events: body.events,
        });
        return Response.json(
          { accepted: body.events.length - 1, rejected: [{ index: 0, reason: "test rejection" }] },
          { status: 202 },
        );
      },
    });
    try {
      const result = await runSeed([
        "--api-key",
        "proj_test",
        "--url",
        `http://127.0.0.1:${server.port}`,
        "--count",
        "450",
        "--days",
        "2",
      ]);
      expect(result.code).toBe(0);
      const events = requests.flatMap((r) => r.events);
      expect(events).toHaveLength(450);
      expect(
        requests.every((r) => r.key === "proj_test" && r.events.length <= 100 && r.agent?.startsWith("Mozilla/5.0")),
      ).toBe(true);
      expect(new Set(requests.map((r) => r.agent)).size).toBeGreaterThan(3);
      expect(new Set(events.map((e) => e.insert_id)).size).toBe(450);
      for (const event of events) {
        expect(Date.parse(String(event.timestamp))).toBeGreaterThan(Date.now() - 2 * 86_400_000 - 60_000);
        expect(String(event.page_url)).toStartWith("https://");
      }
      expect(result.stdout).toContain(`${450 - requests.length} accepted, ${requests.length} rejected`);
      expect(result.stderr).toContain("100.0%");
    } finally {
      server.stop(true);
    }
  }, 60_000);

  it("explains what is missing", async () => {
    const result = await runSeed([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--api-key is required");
  });
});
