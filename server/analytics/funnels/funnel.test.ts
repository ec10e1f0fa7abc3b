/**
 * Funnels (README.md, "Funnels") on PostgreSQL (through the tRPC caller) and PGlite (getFunnel over its own
 * engine), checked against the funnel oracle (test-support/funnel-oracle.ts: the raw events with the alias map
 * applied, walked by a deliberately naive JS windowFunnel). A hand-built scenario states the tricky cases and their
 * levels by hand too (ties, repeats, the window edge, a later step-1 event reaching further, linked people, sessions,
 * a breakdown with "" and $other), and the generated data gives volume.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { ZodError } from "zod";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import {
  type FunnelInput,
  type FunnelPeopleInput,
  type FunnelPeoplePage,
  type FunnelResult,
  funnelInputSchema,
  funnelPeopleInputSchema,
} from "../../../shared/funnel.ts";
import { type Database, type DatabaseHandle, openDatabase } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { projects, users } from "../../db/schema/index.ts";
import { ensurePersonalTeam } from "../../queries/teams/ensure-personal-team.ts";
import {
  generateTestEvents,
  shuffled,
  storeTestEvents,
  TEST_USER_AGENTS,
  type TestEvent,
  testEvent,
} from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn } from "../../test-support/auth.ts";
import { oracleFunnel, oraclePeople } from "../../test-support/funnel-oracle.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import { QueryEngine } from "../engine/query-engine.ts";
import { getFunnel, getFunnelPeople } from "./get-funnel.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BASE = Date.UTC(2026, 2, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const FROM = iso(BASE);
const TO = iso(BASE + 10 * DAY);
/** The scenario's day only (the generated data starts on day 2). */
const SCENARIO_TO = iso(BASE + 2 * DAY);
const CHROME = TEST_USER_AGENTS[0]!;
const FIREFOX = TEST_USER_AGENTS[3]!;

// The scenario -------------------------------------------------------------------------------------------------------

function scenario(projectId: string): { first: TestEvent[]; identifies: TestEvent[] } {
  const T = BASE + DAY + 9 * HOUR;
  const first: TestEvent[] = [];
  const ev = (
    who: string,
    eventName: string,
    at: number,
    fields: { session?: string; path?: string; plan?: string; agent?: string } = {},
  ) =>
    first.push(
      testEvent(projectId, {
        eventName,
        at,
        distinctId: who,
        sessionId: fields.session ?? `s-${who}`,
        path: fields.path ?? "/",
        userAgent: fields.agent ?? CHROME,
        properties: fields.plan === undefined ? {} : { plan: fields.plan },
      }),
    );
  // full: 3 steps, 10 and 10 minutes apart.
  ev("full", "signup", T, { plan: "pro" });
  ev("full", "checkout", T + 10 * MINUTE, { path: "/checkout" });
  ev("full", "purchase", T + 20 * MINUTE);
  // ties: all three at the same instant (consecutive steps may share a time).
  ev("ties", "purchase", T);
  ev("ties", "checkout", T, { path: "/checkout" });
  ev("ties", "signup", T, { plan: "pro" });
  // edge: the last step exactly at the window's end (inclusive) ...
  ev("edge", "signup", T, { plan: "free" });
  ev("edge", "checkout", T + 59 * MINUTE, { path: "/checkout" });
  ev("edge", "purchase", T + HOUR);
  // ... and just past it.
  ev("late", "signup", T, { plan: "free" });
  ev("late", "checkout", T + 30 * MINUTE, { path: "/checkout" });
  ev("late", "purchase", T + HOUR + 1);
  // again: the first signup stalls, a later one (another session) completes; its chain gives the medians.
  ev("again", "signup", T, { plan: "free", session: "s-again-1" });
  ev("again", "checkout", T + 30 * MINUTE, { path: "/checkout", session: "s-again-1" });
  ev("again", "signup", T + 3 * HOUR, { plan: "pro", session: "s-again-2" });
  ev("again", "signup", T + 3 * HOUR + MINUTE, { plan: "team", session: "s-again-2" });
  ev("again", "checkout", T + 3 * HOUR + 2 * MINUTE, { path: "/checkout", session: "s-again-2" });
  ev("again", "purchase", T + 3 * HOUR + 5 * MINUTE, { session: "s-again-2" });
  // backwards: checkout before signup only reaches step 1; purchase without checkout does not count.
  ev("backwards", "checkout", T, { path: "/checkout" });
  ev("backwards", "signup", T + MINUTE);
  ev("backwards", "purchase", T + 2 * MINUTE);
  // wrongpath: step 2's filter (path /checkout) fails.
  ev("wrongpath", "signup", T, { plan: "pro" });
  ev("wrongpath", "checkout", T + MINUTE, { path: "/cart" });
  ev("wrongpath", "purchase", T + 2 * MINUTE);
  // firefox: filtered out by the global filter browser = Chrome.
  ev("firefox", "signup", T, { agent: FIREFOX });
  ev("firefox", "checkout", T + MINUTE, { path: "/checkout", agent: FIREFOX });
  // anon signs up, later identifies as "linked", who checks out: one person with two steps.
  ev("anon-1", "signup", T, { plan: "pro", session: "s-linked" });
  // breakdown spread: 12 more plans (top 10 by step-1 count, then $other) and one without a plan ("").
  for (let i = 0; i < 12; i++) {
    for (let j = 0; j <= i % 3; j++) ev(`spread-${i}-${j}`, "signup", T + i * MINUTE, { plan: `plan-${i}` });
  }
  ev("noplan", "signup", T);
  ev("noplan", "checkout", T + MINUTE, { path: "/checkout" });
  // Outside the range: never counted.
  ev("early", "signup", BASE - MINUTE);
  ev("early", "checkout", BASE + MINUTE, { path: "/checkout" });
  const identifies = [
    testEvent(projectId, {
      eventName: "$identify",
      at: T + 5 * MINUTE,
      distinctId: "linked",
      sessionId: "s-linked",
      properties: { $anon_distinct_id: "anon-1" },
    }),
    testEvent(projectId, {
      eventName: "checkout",
      at: T + 6 * MINUTE,
      distinctId: "linked",
      sessionId: "s-linked",
      path: "/checkout",
    }),
  ];
  return { first, identifies };
}

// The suite, on both databases ---------------------------------------------------------------------------------------

interface Target {
  db: Database;
  projectId: string;
  funnel(input: FunnelInput): Promise<FunnelResult>;
  people(input: FunnelPeopleInput): Promise<FunnelPeoplePage>;
}

const STEPS = [
  { event: "signup" },
  { event: "checkout", filters: [{ dimension: "path", op: "eq", value: "/checkout" }] as AnalyticsFilter[] },
  { event: "purchase" },
];
const CHROME_ONLY: AnalyticsFilter[] = [{ dimension: "browser", op: "eq", value: "Chrome" }];

function funnelSuite(target: () => Target) {
  const base = (): FunnelInput => ({ projectId: target().projectId, from: FROM, to: SCENARIO_TO, steps: STEPS });
  const all = (): FunnelInput => ({ ...base(), to: TO });

  it("reaches the levels the scenario states by hand, and the oracle's figures", async () => {
    const input = { ...base(), windowSeconds: 3600, filters: CHROME_ONLY };
    const result = await target().funnel(input);
    // full, ties, edge, again complete; late, linked, noplan reach step 2; backwards, wrongpath and the 24 spread
    // people (4 x (1 + 2 + 3)) only step 1; firefox is filtered out, early's signup is before the range.
    expect(result.steps.map((s) => s.count)).toEqual([9 + 24, 7, 4]);
    expect(result).toEqual(await oracleFunnel(target().db, target().projectId, input));
    // Median checkout -> purchase over full (600 s), ties (0), edge (60), again (180): (60 + 180) / 2.
    expect(result.steps[2]!.medianSecondsFromPrevious).toBe(120);
  });

  it("counts sessions: a later session completes on its own", async () => {
    const input: FunnelInput = { ...base(), windowSeconds: 3600, countBy: "sessions", filters: CHROME_ONLY };
    const result = await target().funnel(input);
    expect(result).toEqual(await oracleFunnel(target().db, target().projectId, input));
    // Sessions: the anonymous signup and the linked checkout share s-linked; again's two sessions count apart.
    expect(result.steps[0]!.count).toBe(34);
  });

  it("needs two events for two equal steps, and windows to the millisecond", async () => {
    const repeat: FunnelInput = { ...base(), steps: [{ event: "signup" }, { event: "signup" }] };
    const result = await target().funnel(repeat);
    expect(result).toEqual(await oracleFunnel(target().db, target().projectId, repeat));
    // Only again has two signups.
    expect(result.steps[1]!.count).toBe(1);
    for (const windowSeconds of [1, 60, 3599, 3600, 86_400 * 90]) {
      const input = { ...base(), windowSeconds };
      expect(await target().funnel(input)).toEqual(await oracleFunnel(target().db, target().projectId, input));
    }
  });

  it("breaks down by the chain's step-1 value, with the top 10, '' and $other", async () => {
    const input: FunnelInput = { ...base(), windowSeconds: 3600, breakdown: "property:plan" };
    const result = await target().funnel(input);
    expect(result).toEqual(await oracleFunnel(target().db, target().projectId, input));
    const values = result.breakdown!.map((row) => row.value);
    expect(values).toContain("");
    expect(values.at(-1)).toBe("$other");
    expect(values.length).toBe(11);
    // again completes through its 15:00 signup (plan pro), the earliest step-1 event reaching level 3.
    expect(result.breakdown!.find((row) => row.value === "team")).toBeUndefined();
  });

  it("agrees with the oracle on the generated data, by users and sessions, with breakdowns and filters", async () => {
    const cases: Array<Partial<FunnelInput>> = [
      { steps: [{ event: "page_view" }, { event: "signup" }, { event: "purchase" }] },
      { steps: [{ event: "page_view" }, { event: "page_view" }], countBy: "sessions", breakdown: "browser" },
      {
        steps: [
          { event: "page_view", filters: [{ dimension: "path", op: "eq", value: "/pricing" }] },
          { event: "signup" },
        ],
        windowSeconds: 1800,
        breakdown: "path",
        filters: [{ dimension: "property:plan", op: "neq", value: "pro" }],
      },
      { steps: [{ event: "button_click" }, { event: "form_submit" }, { event: "button_click" }], windowSeconds: 600 },
      // The bench's shape: one event name on two steps told apart by their filters, filters on two columns of one
      // step, a property no event carries (its step matches nothing, or everything for neq).
      {
        steps: [
          { event: "page_view", filters: [{ dimension: "path", op: "neq", value: "/docs" }] },
          {
            event: "page_view",
            filters: [
              { dimension: "path", op: "in", values: ["/pricing", "/docs"] },
              { dimension: "property:plan", op: "is_set" },
            ],
          },
          { event: "page_view", filters: [{ dimension: "property:no_such_key", op: "neq", value: "x" }] },
          { event: "signup", filters: [{ dimension: "property:no_such_key", op: "eq", value: "x" }] },
        ],
        windowSeconds: 3600,
      },
    ];
    for (const c of cases) {
      const input = { ...all(), ...c };
      expect(await target().funnel(input)).toEqual(await oracleFunnel(target().db, target().projectId, input));
    }
  });

  it("lists people by level and drop-off, 50 a page", async () => {
    const input: FunnelPeopleInput = { ...base(), windowSeconds: 3600, filters: CHROME_ONLY, step: 2 };
    const page = await target().people(input);
    expect(page.items.map((i) => i.distinctId).sort()).toEqual(
      await oraclePeople(target().db, target().projectId, input),
    );
    expect(page.items.map((i) => i.distinctId)).toContain("linked");
    expect(page.nextCursor).toBeNull();
    const full = page.items.find((i) => i.distinctId === "full")!;
    expect(full.reachedAt).toBe(iso(BASE + DAY + 9 * HOUR + 10 * MINUTE));
    const dropped = { ...input, step: 3, dropped: true };
    const droppedPage = await target().people(dropped);
    expect(droppedPage.items.map((i) => i.distinctId).sort()).toEqual(["late", "linked", "noplan"]);
    // Paging: the generated data's page_view people over 50, walked by cursor, each once.
    const many: FunnelPeopleInput = {
      ...all(),
      steps: [{ event: "page_view" }, { event: "button_click" }],
      step: 1,
    };
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const next = await target().people({ ...many, cursor });
      expect(next.items.length).toBeLessThanOrEqual(50);
      seen.push(...next.items.map((i) => i.distinctId));
      if (!next.nextCursor) break;
      cursor = next.nextCursor;
    }
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.sort()).toEqual(await oraclePeople(target().db, target().projectId, many));
  });
}

async function seed(db: Database, projectId: string) {
  const { first, identifies } = scenario(projectId);
  const generated = shuffled(generateTestEvents(projectId, BASE + 2 * DAY, 5, 31));
  await storeTestEvents(db, [...first, ...generated], 200);
  await storeTestEvents(db, identifies, 10);
}

describe("funnels on PostgreSQL (tRPC)", () => {
  let t: TestServices;
  let projectId: string;
  let caller: Awaited<ReturnType<typeof registerAndSignIn>>["caller"];
  beforeAll(async () => {
    t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
    const owner = await registerAndSignIn(t.services);
    caller = owner.caller;
    projectId = (await caller.projects.create({ name: "Funnels" })).project.id;
    await seed(t.services.db, projectId);
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  funnelSuite(() => ({
    db: t.services.db,
    projectId,
    funnel: (input) => withoutRawDataFrom(caller.analytics.funnel(input)),
    people: (input) => withoutRawDataFrom(caller.analytics.funnelPeople(input)),
  }));

  it("refuses bad input naming the field, and other tenants' projects", async () => {
    const input = { projectId, from: FROM, to: TO, steps: STEPS };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ steps: [{ event: "signup" }] }, "steps"],
      [{ steps: Array.from({ length: 11 }, () => ({ event: "a" })) }, "steps"],
      [{ steps: [{ event: "" }, { event: "b" }] }, "steps.0.event"],
      [{ steps: [{ event: "a", colour: "red" }, { event: "b" }] }, "steps.0"],
      [{ windowSeconds: 90 * 86_400 + 1 }, "windowSeconds"],
      [{ countBy: "devices" }, "countBy"],
      [{ breakdown: "nope" }, "breakdown"],
    ];
    for (const [change, field] of cases) {
      const error = await failure(caller.analytics.funnel({ ...input, ...change } as FunnelInput));
      expect(error.code).toBe("BAD_REQUEST");
      expect({ change, fields: (error.cause as ZodError).issues.map((issue) => issue.path.join(".")) }).toEqual({
        change,
        fields: [field],
      });
    }
    for (const [change, field] of [
      [{ step: 1, dropped: true }, "step"],
      [{ step: 4 }, "step"],
      [{ step: 1, countBy: "sessions" }, "countBy"],
      [{ step: 1, cursor: "nope" }, "cursor"],
    ] as const) {
      const error = await failure(caller.analytics.funnelPeople({ ...input, ...change }));
      expect(error.code).toBe("BAD_REQUEST");
      expect((error.cause as ZodError).issues.map((issue) => issue.path.join("."))).toEqual([field]);
    }
    const stranger = await registerAndSignIn(t.services);
    expect((await failure(stranger.caller.analytics.funnel(input))).code).toBe("NOT_FOUND");
  });

  it("answers PRECONDITION_FAILED while the project's upgrade backfill runs", async () => {
    await t.services.db.execute(
      sql`insert into analytics_engine_state (project_id, status) values (${projectId}::uuid, 'backfilling')
          on conflict (project_id) do update set status = 'backfilling'`,
    );
    try {
      const error = await failure(caller.analytics.funnel({ projectId, from: FROM, to: TO, steps: STEPS }));
      expect(error.code).toBe("PRECONDITION_FAILED");
      expect(error.message).toContain("upgrade backfill finishes");
    } finally {
      await t.services.db.execute(sql`delete from analytics_engine_state where project_id = ${projectId}::uuid`);
    }
  });
});

describe("funnels on PGlite", () => {
  let dataDir: string;
  let handle: DatabaseHandle;
  let projectId: string;
  const engine = new QueryEngine({ cacheBytes: 32 << 20 });
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ad-pglite-funnels-"));
    handle = await openDatabase({ dataDir, poolSize: 1 });
    await migrateDatabase(handle);
    const [user] = await handle.db
      .insert(users)
      .values({ email: "funnels@example.test", passwordHash: "x" })
      .returning();
    const [project] = await handle.db
      .insert(projects)
      .values({
        teamId: await ensurePersonalTeam(handle.db, user!.id),
        name: "embedded",
        apiKeyHash: "h",
        apiKeyPrefix: "proj_f",
      })
      .returning();
    projectId = project!.id;
    await seed(handle.db, projectId);
  }, 120_000);
  afterAll(async () => {
    await handle.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  funnelSuite(() => ({
    db: handle.db,
    projectId,
    funnel: (input) => getFunnel(handle.db, engine, funnelInputSchema.parse(input)),
    people: (input) => getFunnelPeople(handle.db, engine, funnelPeopleInputSchema.parse(input)),
  }));
});

/** A tRPC answer without its rawDataFrom, null here (no retention), so it compares with the query module's. */
async function withoutRawDataFrom<T extends { rawDataFrom: string | null }>(answer: Promise<T>) {
  const { rawDataFrom, ...rest } = await answer;
  expect(rawDataFrom).toBeNull();
  return rest;
}
