/**
 * Goals (README.md, "Goals") on PostgreSQL (through the tRPC caller: CRUD, tenancy, refusals) and PGlite (the same
 * figures over its own engine), checked against plain SQL over raw events: each goal's condition written by hand
 * (path patterns as literal POSIX regular expressions, not through pathPatternRegExp), the dashboard's filters by
 * test-support/filter-oracle.ts, people through analytics_users and the alias links. A goal as a funnel step is
 * checked against the funnel of the equivalent event step.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import type { ZodError } from "zod";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import type { FunnelInput, FunnelResult } from "../../../shared/funnel.ts";
import { funnelInputSchema } from "../../../shared/funnel.ts";
import { type CreateGoalInput, createGoalInputSchema, type GoalsReport } from "../../../shared/goals.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { createGoal } from "../../queries/goals/create-goal.ts";
import { generateTestEvents, shuffled, storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn } from "../../test-support/auth.ts";
import { type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { oracleFilterSql } from "../../test-support/filter-oracle.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import { QueryEngine } from "../engine/query-engine.ts";
import { getFunnel } from "../funnels/get-funnel.ts";
import { getGoalStats } from "./get-goal-stats.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 2, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const FROM = iso(BASE);
const TO = iso(BASE + 6 * DAY);

/** Paths that tell the patterns apart: segments, trailing slashes, a dot that must stay literal. */
const TRICKY_PATHS = [
  "/blog",
  "/blog/",
  "/blog/a",
  "/blog/a/b",
  "/docs/x/y/z",
  "/shop/item-1/buy",
  "/shop/item-1/x/buy",
  "/shop//buy",
  "/a.b",
  "/axb",
  "/(x)",
];

function handmade(projectId: string) {
  return TRICKY_PATHS.flatMap((path, i) =>
    [0, 1, 2].map((k) =>
      testEvent(projectId, {
        at: BASE + DAY + i * 13 * MINUTE + k * MINUTE,
        sessionId: `tricky-${i}-${k % 2}`,
        distinctId: k === 2 ? null : `tricky-user-${(i + k) % 5}`,
        path,
      }),
    ),
  );
}

interface GoalCase {
  goal: Omit<CreateGoalInput, "projectId">;
  /** The goal's condition over `events`, by hand. */
  oracle: SQL;
}

const pageViewWhere = (regex: string) => sql`event_name = 'page_view' and path ~ ${regex}::text`;
const GOALS: GoalCase[] = [
  { goal: { name: "Signed up", event: "signup" }, oracle: sql`event_name = 'signup'` },
  {
    goal: {
      name: "Pro signup on Chrome",
      event: "signup",
      filters: [
        { dimension: "property:plan", op: "eq", value: "pro" },
        { dimension: "browser", op: "eq", value: "Chrome" },
      ],
    },
    oracle: sql`event_name = 'signup' and properties ->> 'plan' = 'pro' and browser = 'Chrome'`,
  },
  { goal: { name: "Pricing", pathPattern: "/pricing" }, oracle: pageViewWhere("^/pricing$") },
  { goal: { name: "A blog post", pathPattern: "/blog/*" }, oracle: pageViewWhere("^/blog/[^/]*$") },
  { goal: { name: "Docs, any depth", pathPattern: "/docs/**" }, oracle: pageViewWhere("^/docs/.*$") },
  { goal: { name: "Buy an item", pathPattern: "/shop/*/buy" }, oracle: pageViewWhere("^/shop/[^/]*/buy$") },
  { goal: { name: "Literal dot", pathPattern: "/a.b" }, oracle: pageViewWhere("^/a\\.b$") },
  { goal: { name: "Parentheses", pathPattern: "/(x)" }, oracle: pageViewWhere("^/\\(x\\)$") },
  { goal: { name: "Any page", pathPattern: "/**" }, oracle: pageViewWhere("^/.*$") },
];

const DASHBOARD_FILTERS: AnalyticsFilter[][] = [
  [],
  [{ dimension: "browser", op: "eq", value: "Chrome" }],
  [{ dimension: "path", op: "neq", value: "/pricing" }],
  [{ dimension: "property:plan", op: "eq", value: "pro" }],
  [
    { dimension: "path", op: "contains", value: "o" },
    { dimension: "country", op: "in", values: ["US", "DE"] },
  ],
];

/** The person an event's distinct id belongs to (its canonical user num), as SQL over `e`. */
const PERSON = sql`coalesce(l.person_num, u.num)`;

async function oracleReport(
  db: Database,
  projectId: string,
  goalIds: string[],
  filters: AnalyticsFilter[],
): Promise<GoalsReport> {
  const where = sql.join(
    [
      sql`e.project_id = ${projectId}::uuid`,
      sql`e.timestamp >= ${FROM}::timestamptz`,
      sql`e.timestamp < ${TO}::timestamptz`,
      ...filters.map(oracleFilterSql),
    ],
    sql` and `,
  );
  const from = sql`from events e
    left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
    left join analytics_person_links l on l.project_id = e.project_id and l.alias_num = u.num`;
  const [visitors] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(distinct ${PERSON}) as n ${from} where ${where} and e.distinct_id is not null`,
  );
  const goals = [];
  for (const [g, c] of GOALS.entries()) {
    const [row] = await queryRows<{ conversions: string | number; uniques: string | number }>(
      db,
      sql`select count(*) as conversions, count(distinct ${PERSON}) filter (where e.distinct_id is not null) as uniques
            ${from} where ${where} and (${c.oracle})`,
    );
    const uniques = Number(row!.uniques);
    goals.push({
      goalId: goalIds[g]!,
      name: c.goal.name,
      uniques,
      conversions: Number(row!.conversions),
      conversionRate: Number(visitors!.n) === 0 ? 0 : uniques / Number(visitors!.n),
    });
  }
  return { visitors: Number(visitors!.n), goals };
}

async function seed(db: Database, projectId: string) {
  await storeTestEvents(db, shuffled([...handmade(projectId), ...generateTestEvents(projectId, BASE, 5, 41)]), 200);
  // An anonymous visitor who identifies later: one person, whatever id their events carry.
  await storeTestEvents(db, [
    testEvent(projectId, {
      eventName: "$identify",
      at: BASE + 2 * DAY,
      distinctId: "user-3",
      sessionId: "sess-link",
      properties: { $anon_distinct_id: "tricky-user-1" },
    }),
  ]);
}

const stripSteps = (steps: FunnelResult["steps"]) => steps.map(({ goal: _goal, ...step }) => step);
const stripGoals = (result: FunnelResult) => ({
  steps: stripSteps(result.steps),
  breakdown: result.breakdown?.map((row) => ({ value: row.value, steps: stripSteps(row.steps) })),
});

interface Target {
  db: Database;
  projectId: string;
  goalIds: string[];
  report(filters: AnalyticsFilter[]): Promise<GoalsReport>;
  funnel(input: FunnelInput): Promise<FunnelResult>;
}

function goalSuite(target: () => Target) {
  it("matches plain SQL for every goal, with and without the dashboard's filters", async () => {
    const t = target();
    for (const filters of DASHBOARD_FILTERS) {
      const report = await t.report(filters);
      expect({ filters, report }).toEqual({
        filters,
        report: await oracleReport(t.db, t.projectId, t.goalIds, filters),
      });
    }
  });

  it("tells * (one segment) from ** (any) and keeps other characters literal", async () => {
    const report = await target().report([]);
    const byName = new Map(report.goals.map((g) => [g.name, g]));
    // /blog/ and /blog/a (not /blog, not /blog/a/b) plus the generated /blog/launch: handmade ones 3 events each.
    expect(byName.get("A blog post")!.conversions).toBeGreaterThanOrEqual(6);
    expect(byName.get("Buy an item")!.conversions).toBe(6); // /shop/item-1/buy and /shop//buy
    expect(byName.get("Literal dot")!.conversions).toBe(3);
    expect(byName.get("Parentheses")!.conversions).toBe(3);
    expect(report.visitors).toBeGreaterThan(0);
    for (const goal of report.goals) expect(goal.conversionRate).toBeLessThanOrEqual(1);
  });

  it("counts a goal step in a funnel as the equivalent event step", async () => {
    const t = target();
    const base = { projectId: t.projectId, from: FROM, to: TO };
    const [signup, proSignup, pricing, blog, docs] = t.goalIds;
    const blogPaths = await queryRows<{ path: string }>(
      t.db,
      sql`select distinct path from events where project_id = ${t.projectId}::uuid and path ~ '^/blog/[^/]*$'`,
    );
    const docsPaths = await queryRows<{ path: string }>(
      t.db,
      sql`select distinct path from events where project_id = ${t.projectId}::uuid and path ~ '^/docs/.*$'`,
    );
    const pathStep = (paths: Array<{ path: string }>) => ({
      event: "page_view",
      filters: [
        paths.length === 1
          ? { dimension: "path", op: "eq", value: paths[0]!.path }
          : { dimension: "path", op: "in", values: paths.map((p) => p.path) },
      ] as AnalyticsFilter[],
    });
    const pairs: Array<[FunnelInput["steps"], FunnelInput["steps"], Partial<FunnelInput>]> = [
      [
        [{ goalId: pricing! }, { goalId: signup! }],
        [{ event: "page_view", filters: [{ dimension: "path", op: "eq", value: "/pricing" }] }, { event: "signup" }],
        {},
      ],
      [
        [{ event: "page_view" }, { goalId: proSignup! }, { event: "purchase" }],
        [{ event: "page_view" }, { event: "signup", filters: GOALS[1]!.goal.filters }, { event: "purchase" }],
        { countBy: "sessions" },
      ],
      [[{ goalId: blog! }, { goalId: docs! }], [pathStep(blogPaths), pathStep(docsPaths)], { windowSeconds: 3600 }],
      [
        [{ goalId: docs! }, { goalId: signup! }],
        [pathStep(docsPaths), { event: "signup" }],
        { filters: [{ dimension: "browser", op: "eq", value: "Chrome" }], breakdown: "browser" },
      ],
    ];
    for (const [goalSteps, eventSteps, extra] of pairs) {
      const withGoals = await t.funnel({ ...base, ...extra, steps: goalSteps });
      const withEvents = await t.funnel({ ...base, ...extra, steps: eventSteps });
      expect(stripGoals(withGoals)).toEqual(stripGoals(withEvents));
      expect(withGoals.steps[0]!.count).toBeGreaterThan(0);
      // Each goal step names its goal; event steps name none.
      expect(withGoals.steps.map((step) => step.goal?.id)).toEqual(
        goalSteps.map((step) => ("goalId" in step ? step.goalId : undefined)),
      );
    }
  });
}

describe("goals on PostgreSQL (tRPC)", () => {
  let t: TestServices;
  let projectId: string;
  let goalIds: string[];
  let caller: Awaited<ReturnType<typeof registerAndSignIn>>["caller"];
  beforeAll(async () => {
    t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
    caller = (await registerAndSignIn(t.services)).caller;
    projectId = (await caller.projects.create({ name: "Goals" })).project.id;
    await seed(t.services.db, projectId);
    goalIds = [];
    for (const c of GOALS) goalIds.push((await caller.goals.create({ projectId, ...c.goal })).id);
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  goalSuite(() => ({
    db: t.services.db,
    projectId,
    goalIds,
    report: (filters) => withoutRawDataFrom(caller.analytics.goals({ projectId, from: FROM, to: TO, filters })),
    funnel: (input) => withoutRawDataFrom(caller.analytics.funnel(input)),
  }));

  it("lists goals oldest first with what was created, and deletes them", async () => {
    const listed = await caller.goals.list({ projectId });
    expect(listed.map((g) => g.id)).toEqual(goalIds);
    expect(listed[1]).toMatchObject({ name: "Pro signup on Chrome", event: "signup", pathPattern: null });
    expect(listed[3]).toMatchObject({ name: "A blog post", event: null, filters: [], pathPattern: "/blog/*" });
    const extra = await caller.goals.create({ projectId, name: "  Temporary  ", event: "x" });
    expect(extra.name).toBe("Temporary");
    expect(await caller.goals.delete({ projectId, goalId: extra.id })).toEqual({ deleted: true });
    expect((await failure(caller.goals.delete({ projectId, goalId: extra.id }))).code).toBe("NOT_FOUND");
    expect((await caller.goals.list({ projectId })).length).toBe(GOALS.length);
  });

  it("refuses bad input naming the field", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "no target" }, "event"],
      [{ name: "both", event: "a", pathPattern: "/a" }, "pathPattern"],
      [{ name: "", event: "a" }, "name"],
      [{ name: "x".repeat(101), event: "a" }, "name"],
      [{ name: "rel", pathPattern: "blog/*" }, "pathPattern"],
      [{ name: "stars", pathPattern: "/a/***" }, "pathPattern"],
      [{ name: "path filters", pathPattern: "/a", filters: [] }, "filters"],
      [{ name: "bad op", event: "a", filters: [{ dimension: "path", op: "like", value: "x" }] }, "filters.0.op"],
      [{ name: "extra", event: "a", colour: "red" }, ""],
      [{ name: "empty event", event: "" }, "event"],
    ];
    for (const [change, field] of cases) {
      const error = await failure(caller.goals.create({ projectId, ...change } as CreateGoalInput));
      expect(error.code).toBe("BAD_REQUEST");
      expect({ change, fields: (error.cause as ZodError).issues.map((i) => i.path.join(".")) }).toEqual({
        change,
        fields: [field],
      });
    }
    const badStep = await failure(
      caller.analytics.funnel({ projectId, from: FROM, to: TO, steps: [{ goalId: "nope" }, { event: "a" }] }),
    );
    expect(badStep.code).toBe("BAD_REQUEST");
    expect((badStep.cause as ZodError).issues.map((i) => i.path.join("."))).toEqual(["steps.0.goalId"]);
    const both = await failure(
      caller.analytics.funnel({
        projectId,
        from: FROM,
        to: TO,
        steps: [{ goalId: goalIds[0]!, event: "a" }, { event: "a" }],
      }),
    );
    expect((both.cause as ZodError).issues.map((i) => i.path.join("."))).toEqual(["steps.0.goalId"]);
    const unknown = await failure(
      caller.analytics.funnel({
        projectId,
        from: FROM,
        to: TO,
        steps: [{ goalId: Bun.randomUUIDv7() }, { event: "a" }],
      }),
    );
    expect(unknown.code).toBe("NOT_FOUND");
  });

  it("keeps goals to their project: others see NOT_FOUND and cannot use or delete them", async () => {
    const stranger = await registerAndSignIn(t.services);
    const theirs = (await stranger.caller.projects.create({ name: "Theirs" })).project.id;
    const theirGoal = await stranger.caller.goals.create({ projectId: theirs, name: "Theirs", event: "signup" });
    for (const call of [
      () => stranger.caller.goals.list({ projectId }),
      () => stranger.caller.goals.create({ projectId, name: "x", event: "x" }),
      () => stranger.caller.goals.delete({ projectId, goalId: goalIds[0]! }),
      () => stranger.caller.analytics.goals({ projectId, from: FROM, to: TO }),
    ]) {
      expect((await failure(call())).code).toBe("NOT_FOUND");
    }
    // Their goal id through our project: not ours, so not found, and theirs is untouched.
    expect((await failure(caller.goals.delete({ projectId, goalId: theirGoal.id }))).code).toBe("NOT_FOUND");
    const foreignStep = await failure(
      caller.analytics.funnel({ projectId, from: FROM, to: TO, steps: [{ goalId: theirGoal.id }, { event: "a" }] }),
    );
    expect(foreignStep.code).toBe("NOT_FOUND");
    expect((await stranger.caller.goals.list({ projectId: theirs })).map((g) => g.id)).toEqual([theirGoal.id]);
    expect((await caller.analytics.goals({ projectId, from: FROM, to: TO })).goals.map((g) => g.goalId)).toEqual(
      goalIds,
    );
    // Deleting the project deletes its goals (no foreign key: deleteProjectData).
    await stranger.caller.projects.delete({ id: theirs });
    const left = await queryRows<{ n: string | number }>(
      t.services.db,
      sql`select count(*) as n from analytics_goals where project_id = ${theirs}::uuid`,
    );
    expect(Number(left[0]!.n)).toBe(0);
  });

  it("answers PRECONDITION_FAILED while the project's upgrade backfill runs", async () => {
    await t.services.db.execute(
      sql`insert into analytics_engine_state (project_id, status) values (${projectId}::uuid, 'backfilling')
          on conflict (project_id) do update set status = 'backfilling'`,
    );
    try {
      const error = await failure(caller.analytics.goals({ projectId, from: FROM, to: TO }));
      expect(error.code).toBe("PRECONDITION_FAILED");
    } finally {
      await t.services.db.execute(sql`delete from analytics_engine_state where project_id = ${projectId}::uuid`);
    }
  });
});

describe("goals on PGlite", () => {
  let either: EitherDatabase;
  let projectId: string;
  const goalIds: string[] = [];
  const engine = new QueryEngine({ cacheBytes: 32 << 20 });
  beforeAll(async () => {
    either = await openEitherDatabase("pglite");
    projectId = await either.createProject("goals");
    await seed(either.db, projectId);
    for (const c of GOALS) {
      goalIds.push((await createGoal(either.db, createGoalInputSchema.parse({ projectId, ...c.goal }))).id);
    }
  }, 120_000);
  afterAll(async () => {
    await either?.close();
  });

  goalSuite(() => ({
    db: either.db,
    projectId,
    goalIds,
    report: (filters) => getGoalStats(either.db, engine, { projectId, from: FROM, to: TO, filters }),
    funnel: (input) => getFunnel(either.db, engine, funnelInputSchema.parse(input)),
  }));
});

/** A tRPC answer without its rawDataFrom, null here (no retention), so it compares with the query module's. */
async function withoutRawDataFrom<T extends { rawDataFrom: string | null }>(answer: Promise<T>) {
  const { rawDataFrom, ...rest } = await answer;
  expect(rawDataFrom).toBeNull();
  return rest;
}
