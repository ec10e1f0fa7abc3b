import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { EXPORT_CHUNK_ROWS, EXPORT_FIELDS } from "../../../shared/export.ts";
import { queryRows } from "../../db/client.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { createApp } from "../app.ts";
import { csvCell } from "../export/export-lines.ts";

const BASE = Date.UTC(2026, 9, 1);
const MINUTE = 60_000;
let t: TestServices;
let app: ReturnType<typeof createApp>;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
const TOTAL = EXPORT_CHUNK_ROWS * 2 + 17;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  app = createApp(t.services);
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Export" })).project.id;
  // More than two chunks, several events sharing a timestamp (the keyset must not skip or repeat any of them).
  const rows = Array.from({ length: TOTAL }, (_, i) =>
    testEvent(projectId, {
      at: BASE + Math.floor(i / 3) * MINUTE,
      sessionId: `s${i % 50}`,
      path: i % 2 ? "/pricing" : "/docs",
      country: i % 4 === 0 ? "DE" : null,
      properties: { i },
    }),
  );
  rows.push(
    testEvent(projectId, {
      at: BASE + 5 * MINUTE + 1,
      sessionId: "evil",
      eventName: '=HYPERLINK("https://evil.example","x")',
      path: "/a,b",
      properties: { note: 'say "hi"\nnow' },
    }),
  );
  await storeTestEvents(t.services.db, rows, 2_000);
}, 120_000);

afterAll(async () => {
  await t.cleanup();
});

function exportUrl(params: Record<string, string>) {
  return `http://localhost/api/v1/export/events?${new URLSearchParams(params)}`;
}
const RANGE = { from: new Date(BASE).toISOString(), to: new Date(BASE + 30 * 86_400_000).toISOString() };

async function get(params: Record<string, string>, user: SignedInUser | null = owner) {
  const headers: Record<string, string> = user ? { authorization: `Bearer ${user.login.accessToken}` } : {};
  return app.request(exportUrl(params), { headers });
}

describe("GET /api/v1/export/events", () => {
  it("streams every event of the range as NDJSON, oldest first, each once, across keyset chunks", async () => {
    const res = await get({ projectId, ...RANGE });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text()).trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const expected = await queryRows<{ n: number }>(
      t.services.db,
      sql`select count(*)::int as n from events where project_id = ${projectId}::uuid`,
    );
    expect(events).toHaveLength(expected[0]!.n);
    expect(events).toHaveLength(TOTAL + 1);
    expect(Object.keys(events[0]!)).toEqual([...EXPORT_FIELDS]);
    expect(new Set(events.map((e) => (e.properties as { i?: number }).i ?? -1)).size).toBe(TOTAL + 1);
    const times = events.map((e) => Date.parse(e.timestamp as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events[0]).toMatchObject({ event: "page_view", path: "/docs", country: "DE", properties: { i: 0 } });
  });

  it("applies the range and the filters like analytics", async () => {
    const filters = JSON.stringify([
      { dimension: "path", op: "eq", value: "/pricing" },
      { dimension: "country", op: "is_set" },
    ]);
    const res = await get({ projectId, ...RANGE, filters });
    const events = (await res.text())
      .trimEnd()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    // Odd i are /pricing, i % 4 === 0 are DE: never both.
    expect(events).toEqual([]);
    const de = await get({
      projectId,
      ...RANGE,
      filters: JSON.stringify([{ dimension: "country", op: "eq", value: "DE" }]),
    });
    const deLines = (await de.text()).trimEnd().split("\n");
    expect(deLines).toHaveLength(Math.ceil(TOTAL / 4));
    const narrow = await get({
      projectId,
      from: new Date(BASE).toISOString(),
      to: new Date(BASE + 2 * MINUTE).toISOString(),
    });
    expect((await narrow.text()).trimEnd().split("\n")).toHaveLength(6);
  });

  it("writes CSV with a header, quoting, and formula starts neutralised", async () => {
    const res = await get({
      projectId,
      from: new Date(BASE + 5 * MINUTE).toISOString(),
      to: new Date(BASE + 6 * MINUTE).toISOString(),
      format: "csv",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const text = await res.text();
    expect(text.startsWith(`${EXPORT_FIELDS.join(",")}\r\n`)).toBe(true);
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example"",""x"")"`);
    expect(text).toContain(`"/a,b"`);
    expect(text).toContain(`"{""note"": ""say \\""hi\\""\\nnow""}"`);
    // Header plus the three events of minute 5 and the evil one.
    expect(text.trimEnd().split("\r\n")).toHaveLength(5);
  });

  it("refuses without a login, for another user's project, and for a bad input, before reading any event", async () => {
    expect((await get({ projectId, ...RANGE }, null)).status).toBe(401);
    const foreign = await get({ projectId, ...RANGE }, stranger);
    expect(foreign.status).toBe(404);
    expect((await get({ projectId: crypto.randomUUID(), ...RANGE })).status).toBe(404);
    expect((await get({ projectId, ...RANGE, format: "xlsx" })).status).toBe(400);
    expect((await get({ projectId, ...RANGE, filters: "[{" })).status).toBe(400);
    expect(
      (await get({ projectId, ...RANGE, filters: JSON.stringify([{ dimension: "planet", op: "eq", value: "x" }]) }))
        .status,
    ).toBe(400);
    expect((await get({ projectId, from: RANGE.to, to: RANGE.from })).status).toBe(400);
    const body = (await foreign.json()) as { error: { code: string } };
    expect(body.error.code).toBeDefined();
  });

  it("needs the admin role on the project's team: editors and viewers get 403, admins the events", async () => {
    const [team] = await owner.caller.teams.list();
    for (const role of ["viewer", "editor", "admin"] as const) {
      const member = await registerAndSignIn(t.services);
      const { token } = await owner.caller.teams.invite({ teamId: team!.id, email: member.email, role });
      await member.caller.teams.acceptInvitation({ token });
      const res = await get({ projectId, ...RANGE }, member);
      expect({ role, status: res.status }).toEqual({ role, status: role === "admin" ? 200 : 403 });
      await res.body?.cancel();
    }
  });
});

describe("csvCell", () => {
  it("prefixes cells starting with = + - @ tab or CR, and leaves others alone", () => {
    for (const start of ["=", "+", "-", "@", "\t"]) expect(csvCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvCell("\r1")).toBe(`"'\r1"`);
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a-b")).toBe("a-b");
    expect(csvCell(null)).toBe("");
    expect(csvCell('a "b"')).toBe('"a ""b"""');
  });
});
