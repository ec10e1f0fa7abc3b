/**
 * The filter oracle of server/test-support/filter-oracle.ts in embedded mode: the same procedures, through the tRPC
 * caller, on PGlite (its PostgreSQL twin is server/http/trpc/routers/analytics-filters.test.ts). The data stays
 * under the embedded cost bound (server/http/trpc/analytics-limits.ts), so every filtered read runs.
 */
import { afterAll, beforeAll } from "bun:test";
import type { Services } from "../services.ts";
import { storeTestEvents } from "../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../test-support/auth.ts";
import { COHORT_CASES, prepareOracleCohorts } from "../test-support/cohort-oracle.ts";
import { openEitherServices } from "../test-support/either-database.ts";
import { describeFilterOracle, EDGE_CASES, filterOracleEvents, OP_CASES } from "../test-support/filter-oracle.ts";

let services: Services;
let close: () => Promise<void>;
let owner: SignedInUser;
let projectId: string;

beforeAll(async () => {
  ({ services, close } = await openEitherServices("pglite"));
  owner = await registerAndSignIn(services);
  projectId = (await owner.caller.projects.create({ name: "Embedded filters" })).project.id;
  await storeTestEvents(services.db, filterOracleEvents(projectId), 97);
  await prepareOracleCohorts(services.db, projectId);
}, 120_000);

afterAll(async () => {
  await close();
});

describeFilterOracle("PGlite", () => ({ db: services.db, projectId, caller: owner.caller }), [
  ...OP_CASES,
  ...EDGE_CASES,
  ...COHORT_CASES,
]);
