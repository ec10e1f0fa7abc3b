/**
 * Fixtures shared by the pipeline's tests (ingest, worker, live): a user with a project and its API key, written
 * straight to the database, and helpers to post batches and wait for rows.
 */
import { sql } from "drizzle-orm";
import { ALL_DIMENSION, HOUR } from "../analytics/rollup-layout.ts";
import { generateApiKey } from "../auth/api-keys.ts";
import { type Database, queryRows } from "../db/client.ts";
import { projects, users } from "../db/schema/index.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";

export interface TestProject {
  projectId: string;
  userId: string;
  apiKey: string;
}

/** A user owning one project (optionally with a domain); returns the plain API key. */
export async function createTestProject(db: Database, options: { domain?: string } = {}): Promise<TestProject> {
  const [user] = await db
    .insert(users)
    .values({ email: `owner-${Bun.randomUUIDv7()}@example.com`, passwordHash: "not-a-real-hash" })
    .returning({ id: users.id });
  const key = generateApiKey();
  const [project] = await db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(db, user!.id),
      name: "Test project",
      domain: options.domain ?? null,
      apiKeyHash: key.apiKeyHash,
      apiKeyPrefix: key.apiKeyPrefix,
    })
    .returning({ id: projects.id });
  return { projectId: project!.id, userId: user!.id, apiKey: key.apiKey };
}

/** `count` page views with insert ids `<prefix>-<i>` (so resending the same batch is a retry). */
export function makeEvents(count: number, prefix = Bun.randomUUIDv7()): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    event: "page_view",
    insert_id: `${prefix}-${i}`,
    distinct_id: `user-${i % 7}`,
    session_id: `session-${i % 13}`,
    page_url: `https://shop.example.com/products/${i % 5}?utm_source=newsletter`,
    referrer: "https://www.google.com/search?q=x",
    properties: { i, plan: "pro" },
  }));
}

export async function countEvents(db: Database, projectId: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    db,
    sql`select count(*)::text as n from events where project_id = ${projectId}`,
  );
  return Number(row?.n ?? 0);
}

/** The total of the hourly event counts the rollups hold for the project (the "all" dimension). */
export async function sumRollupCounts(db: Database, projectId: string): Promise<number> {
  const [row] = await queryRows<{ n: string | null }>(
    db,
    sql`select coalesce(sum(events), 0)::text as n from analytics_rollups
        where project_id = ${projectId} and dimension = ${ALL_DIMENSION} and size = ${HOUR}`,
  );
  return Number(row?.n ?? 0);
}

/** Polls until `check` returns true or the time is up (a check that throws counts as false). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await Bun.sleep(everyMs);
  }
}
