/**
 * Every analytics procedure x every filter op, on PostgreSQL, through the tRPC caller: the filter oracle of
 * server/test-support/filter-oracle.ts (its PGlite twin is server/analytics/analytics-filters-pglite.test.ts). Also
 * what a refused filter answers over HTTP: a 400 naming the field, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { storeTestEvents } from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { COHORT_CASES, prepareOracleCohorts } from "../../../test-support/cohort-oracle.ts";
import { describeFilterOracle, EDGE_CASES, filterOracleEvents, OP_CASES } from "../../../test-support/filter-oracle.ts";
import { createTestServices, startTestServer, type TestServices } from "../../../test-support/services.ts";
import type { RunningServer } from "../../serve.ts";

let t: TestServices;
let server: RunningServer;
let owner: SignedInUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  server = startTestServer(t.services);
  owner = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Filters" })).project.id;
  await storeTestEvents(t.services.db, filterOracleEvents(projectId), 97);
  await prepareOracleCohorts(t.services.db, projectId);
}, 120_000);

afterAll(async () => {
  await server.stop();
  await t.cleanup();
});

describeFilterOracle("PostgreSQL", () => ({ db: t.services.db, projectId, caller: owner.caller }), [
  ...OP_CASES,
  ...EDGE_CASES,
  ...COHORT_CASES,
]);

describe("refused filters over HTTP", () => {
  const get = (procedure: string, input: object) =>
    fetch(
      `${server.url}/api/trpc/analytics.${procedure}?input=${encodeURIComponent(JSON.stringify({ projectId, ...input }))}`,
      { headers: { authorization: `Bearer ${owner.login.accessToken}` } },
    );
  const refusals: Array<[string, unknown[], string]> = [
    ["an empty value", [{ dimension: "path", op: "eq", value: "" }], "filters.0.value"],
    ["a value given to is_set", [{ dimension: "path", op: "is_set", value: "/a" }], "filters.0.value"],
    ["an empty value in an in group", [{ dimension: "path", op: "in", values: ["/a", ""] }], "filters.0.values.1"],
    ["an in group of one value", [{ dimension: "path", op: "in", values: ["/a"] }], "filters.0.values"],
    [
      "a second in group",
      [
        { dimension: "path", op: "in", values: ["/a", "/b"] },
        { dimension: "os", op: "in", values: ["iOS", "Linux"] },
      ],
      "filters.1.op",
    ],
    ["an unknown op", [{ dimension: "path", op: "like", value: "/a" }], "filters.0.op"],
    ["an unknown dimension", [{ dimension: "planet", op: "eq", value: "Mars" }], "filters.0.dimension"],
    ["an oversized value", [{ dimension: "path", op: "contains", value: "x".repeat(1001) }], "filters.0.value"],
    ["21 filters", Array.from({ length: 21 }, (_, i) => ({ dimension: "path", op: "neq", value: `/${i}` })), "filters"],
  ];
  for (const [name, filters, field] of refusals) {
    it(`answers 400 BAD_REQUEST on ${field} for ${name}, on every procedure`, async () => {
      for (const [procedure, extra] of [
        ["overview", {}],
        ["timeseries", {}],
        ["topEvents", {}],
        ["breakdown", { dimension: "path" }],
        ["sessions", {}],
        ["users", {}],
      ] as const) {
        const response = await get(procedure, { ...extra, filters });
        expect([procedure, response.status]).toEqual([procedure, 400]);
        const body = (await response.json()) as {
          error: { data: { code: string; zodIssues: Array<{ path: unknown[] }> } };
        };
        expect(body.error.data.code).toBe("BAD_REQUEST");
        expect(body.error.data.zodIssues.map((issue) => issue.path.join("."))).toContain(field);
      }
    });
  }
});
