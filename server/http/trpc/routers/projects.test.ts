import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { ZodError } from "zod";
import { API_KEY_CHANGES_CHANNEL, apiKeyChangedKey, hashApiKey } from "../../../auth/api-keys.ts";
import { queryRows } from "../../../db/client.ts";
import { projects } from "../../../db/schema/index.ts";
import { type EventRow, storeEvents } from "../../../pipeline/store/store-events.ts";
import { findProjectByApiKeyHash } from "../../../queries/projects/find-project-by-api-key-hash.ts";
import { anonymousCaller, registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

let t: TestServices;
let owner: SignedInUser;
let stranger: SignedInUser;

beforeAll(async () => {
  t = await createTestServices();
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

describe("projects.create", () => {
  it("returns the project and a full API key that is stored only as its SHA-256", async () => {
    const { project, apiKey } = await owner.caller.projects.create({ name: "  Shop  ", domain: "Shop.Example.COM." });
    expect(apiKey).toMatch(/^proj_[A-Za-z0-9_-]{43}$/);
    expect(project.name).toBe("Shop");
    expect(project.domain).toBe("shop.example.com");
    expect(project.apiKeyPrefix).toBe(apiKey.slice(0, 13));
    expect(Object.keys(project).sort()).toEqual([
      "apiKeyPrefix",
      "botFiltering",
      "createdAt",
      "domain",
      "id",
      "keepAggregatesPastRetention",
      "name",
      "retentionDays",
      "role",
      "teamId",
      "updatedAt",
    ]);
    const [row] = await t.services.db.select().from(projects).where(eq(projects.id, project.id));
    expect(row!.apiKeyHash).toBe(hashApiKey(apiKey));
    expect(JSON.stringify(row)).not.toContain(apiKey);
    expect((await findProjectByApiKeyHash(t.services.db, hashApiKey(apiKey)))?.id).toBe(project.id);
  });

  it("refuses a domain with a scheme, a path or bad characters, with zod issues", async () => {
    for (const domain of ["https://example.com", "example.com/path", "exa mple.com", "-bad.com", "example.com:8080"]) {
      const error = await failure(owner.caller.projects.create({ name: "Bad", domain }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.cause).toBeInstanceOf(ZodError);
      expect((error.cause as ZodError).issues.length).toBeGreaterThan(0);
    }
  });

  it("refuses a caller without a token", async () => {
    expect((await failure(anonymousCaller(t.services).caller.projects.create({ name: "x" }))).code).toBe(
      "UNAUTHORIZED",
    );
  });
});

describe("projects.list", () => {
  it("lists only the caller's projects", async () => {
    const mine = await owner.caller.projects.create({ name: "Mine" });
    const theirs = await stranger.caller.projects.create({ name: "Theirs" });
    const ids = (await owner.caller.projects.list()).map((p) => p.id);
    expect(ids).toContain(mine.project.id);
    expect(ids).not.toContain(theirs.project.id);
  });

  it("refuses a caller without a token", async () => {
    expect((await failure(anonymousCaller(t.services).caller.projects.list())).code).toBe("UNAUTHORIZED");
  });
});

describe("projects.get", () => {
  it("returns the caller's project", async () => {
    const { project } = await owner.caller.projects.create({ name: "Get" });
    expect(await owner.caller.projects.get({ id: project.id })).toEqual(project);
  });

  it("answers NOT_FOUND for another user's project exactly as for a missing one", async () => {
    const { project } = await owner.caller.projects.create({ name: "Secret" });
    const foreign = await failure(stranger.caller.projects.get({ id: project.id }));
    const missing = await failure(stranger.caller.projects.get({ id: crypto.randomUUID() }));
    expect([foreign.code, foreign.message]).toEqual([missing.code, missing.message]);
    expect(foreign.code).toBe("NOT_FOUND");
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(anonymousCaller(t.services).caller.projects.get({ id: crypto.randomUUID() }));
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("projects.update", () => {
  it("renames, sets and clears the domain", async () => {
    const { project } = await owner.caller.projects.create({ name: "Old", domain: "old.example" });
    const renamed = await owner.caller.projects.update({ id: project.id, name: "New" });
    expect([renamed.name, renamed.domain]).toEqual(["New", "old.example"]);
    const moved = await owner.caller.projects.update({ id: project.id, domain: "NEW.example" });
    expect(moved.domain).toBe("new.example");
    const cleared = await owner.caller.projects.update({ id: project.id, domain: null });
    expect(cleared.domain).toBeNull();
    expect(new Date(cleared.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(project.updatedAt).getTime());
  });

  it("filters bots by default and turns filtering off and on, leaving the other settings as they were", async () => {
    const { project } = await owner.caller.projects.create({ name: "Bots", domain: "bots.example" });
    expect(project.botFiltering).toBe(true);
    const off = await owner.caller.projects.update({ id: project.id, botFiltering: false });
    expect([off.botFiltering, off.name, off.domain]).toEqual([false, "Bots", "bots.example"]);
    expect((await owner.caller.projects.get({ id: project.id })).botFiltering).toBe(false);
    expect((await owner.caller.projects.update({ id: project.id, name: "Renamed" })).botFiltering).toBe(false);
    expect((await owner.caller.projects.update({ id: project.id, botFiltering: true })).botFiltering).toBe(true);
  });

  it("refuses a botFiltering that is not a boolean, naming the field", async () => {
    const { project } = await owner.caller.projects.create({ name: "Bots typed" });
    const error = await failure(
      owner.caller.projects.update({ id: project.id, botFiltering: "no" as unknown as boolean }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("botFiltering");
  });

  it("sets and clears the retention, and refuses a retention outside the list naming the field", async () => {
    const { project } = await owner.caller.projects.create({ name: "Retained" });
    expect([project.retentionDays, project.keepAggregatesPastRetention]).toEqual([null, false]);
    const set = await owner.caller.projects.update({
      id: project.id,
      retentionDays: 90,
      keepAggregatesPastRetention: true,
    });
    expect([set.retentionDays, set.keepAggregatesPastRetention]).toEqual([90, true]);
    const cleared = await owner.caller.projects.update({ id: project.id, retentionDays: null });
    expect([cleared.retentionDays, cleared.keepAggregatesPastRetention]).toEqual([null, true]);
    const refused = await failure(owner.caller.projects.update({ id: project.id, retentionDays: 45 as unknown as 30 }));
    expect(refused.code).toBe("BAD_REQUEST");
    expect((refused.cause as ZodError).issues.map((issue) => issue.path.join("."))).toEqual(["retentionDays"]);
  });

  it("answers NOT_FOUND for another user's project and changes nothing", async () => {
    const { project } = await owner.caller.projects.create({ name: "Keep" });
    expect((await failure(stranger.caller.projects.update({ id: project.id, name: "Stolen" }))).code).toBe("NOT_FOUND");
    expect((await failure(stranger.caller.projects.update({ id: project.id, botFiltering: false }))).code).toBe(
      "NOT_FOUND",
    );
    expect(await owner.caller.projects.get({ id: project.id })).toMatchObject({ name: "Keep", botFiltering: true });
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(
      anonymousCaller(t.services).caller.projects.update({ id: crypto.randomUUID(), name: "x" }),
    );
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("projects.rotateKey", () => {
  it("returns a new key, invalidates the old one at once and announces the change", async () => {
    const { project, apiKey: oldKey } = await owner.caller.projects.create({ name: "Rotate" });
    const messages: string[] = [];
    const unsubscribe = await t.services.pubsub.subscribe(API_KEY_CHANGES_CHANNEL, (message) => messages.push(message));
    try {
      const rotated = await owner.caller.projects.rotateKey({ id: project.id });
      expect(rotated.apiKey).not.toBe(oldKey);
      expect(rotated.project.apiKeyPrefix).toBe(rotated.apiKey.slice(0, 13));
      expect(await findProjectByApiKeyHash(t.services.db, hashApiKey(oldKey))).toBeNull();
      expect((await findProjectByApiKeyHash(t.services.db, hashApiKey(rotated.apiKey)))?.id).toBe(project.id);
      expect(await t.services.kv.get(apiKeyChangedKey(project.id))).not.toBeNull();
      const deadline = Date.now() + 2_000;
      while (messages.length === 0 && Date.now() < deadline) await Bun.sleep(10);
      expect(messages.map((m) => JSON.parse(m))).toEqual([
        { projectId: project.id, oldApiKeyHash: hashApiKey(oldKey), reason: "rotated" },
      ]);
    } finally {
      await unsubscribe();
    }
  });

  it("answers NOT_FOUND for another user's project and keeps its key", async () => {
    const { project, apiKey } = await owner.caller.projects.create({ name: "Keyed" });
    expect((await failure(stranger.caller.projects.rotateKey({ id: project.id }))).code).toBe("NOT_FOUND");
    expect((await findProjectByApiKeyHash(t.services.db, hashApiKey(apiKey)))?.id).toBe(project.id);
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(anonymousCaller(t.services).caller.projects.rotateKey({ id: crypto.randomUUID() }));
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("projects.delete", () => {
  it("deletes the project with its events and everything derived from them", async () => {
    const { project, apiKey } = await owner.caller.projects.create({ name: "Doomed" });
    const { project: kept } = await owner.caller.projects.create({ name: "Kept" });
    const now = Date.now();
    const event = (projectId: string, i: number): EventRow => ({
      projectId,
      insertId: `e${i}`,
      // Event 4 identifies u0 as known-user (a person link, with a trait); the others are page views.
      eventName: i === 4 ? "$identify" : "pageview",
      distinctId: i === 4 ? "known-user" : `u${i % 2}`,
      sessionId: `s${i % 3}`,
      properties: i === 4 ? { $anon_distinct_id: "u0", plan: "pro" } : {},
      pageUrl: "https://example.com/a?utm_source=x",
      path: "/a",
      host: "example.com",
      referrer: "https://ref.example/",
      referrerHost: "ref.example",
      utmSource: "x",
      utmMedium: null,
      utmCampaign: null,
      userAgent: null,
      browser: "Chrome",
      os: "macOS",
      device: "desktop",
      ipHash: null,
      country: null,
      timestamp: new Date(now - i * 60_000),
      receivedAt: new Date(now),
    });
    for (const projectId of [project.id, kept.id]) {
      await storeEvents(
        t.services.db,
        [0, 1, 2, 3, 4].map((i) => event(projectId, i)),
      );
      // A crawler's event: dropped by the bot filter and counted in bot_filtered_events.
      await storeEvents(t.services.db, [
        {
          ...event(projectId, 5),
          userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        },
      ]);
      // As an install upgraded to the query engine has for its older projects.
      await t.services.db.execute(
        sql`insert into analytics_engine_state (project_id, status) values (${projectId}::uuid, 'ready')`,
      );
      // The read access given on it: a share link and a read key.
      await owner.caller.shares.create({ projectId });
      await owner.caller.apiKeys.create({ projectId, name: "ci", scopes: ["stats:read"] });
      // What its users set up: a goal.
      await owner.caller.goals.create({ projectId, name: "signed up", event: "signup" });
      // A saved cohort (a definition, kept when only the events are deleted, gone with the project).
      await t.services.db.execute(
        sql`insert into cohorts (project_id, name, definition)
            values (${projectId}::uuid, 'Everyone with a plan', '{"groups":[{"conditions":[{"type":"trait","key":"plan","op":"is_set"}]}]}')`,
      );
      // As a project where a person was deleted in the last 30 days has.
      await t.services.db.execute(
        sql`insert into analytics_suppressed_ids (project_id, distinct_id, expires_at)
            values (${projectId}::uuid, 'deleted-person', now() + interval '30 days')`,
      );
    }
    // The audit log keeps naming the project (who deleted it, when): history, never analytics data.
    const tables = await queryRows<{ table_name: string }>(
      t.services.db,
      sql`select table_name from information_schema.columns
           where table_schema = 'public' and column_name = 'project_id'
             and table_name not in ('bench_copy_ceiling', 'audit_log')`,
    );
    const rowsOf = async (projectId: string) => {
      const counts: Record<string, number> = {};
      for (const { table_name } of tables) {
        const [row] = await queryRows<{ n: number }>(
          t.services.db,
          sql`select count(*)::int as n from ${sql.identifier(table_name)} where project_id = ${projectId}`,
        );
        counts[table_name] = row!.n;
      }
      return counts;
    };
    // Every table that holds a project's rows has some for both projects (so the check below means something).
    const before = await rowsOf(project.id);
    // events, the session/user tables, the rollups, the person links and traits, the query engine's three tables.
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(12);
    for (const [table, n] of Object.entries(before)) expect({ table, n: n > 0 }).toEqual({ table, n: true });
    const keptBefore = await rowsOf(kept.id);

    expect(await owner.caller.projects.delete({ id: project.id })).toEqual({ id: project.id });
    expect((await failure(owner.caller.projects.get({ id: project.id }))).code).toBe("NOT_FOUND");
    expect(await findProjectByApiKeyHash(t.services.db, hashApiKey(apiKey))).toBeNull();
    for (const [table, n] of Object.entries(await rowsOf(project.id))) expect({ table, n }).toEqual({ table, n: 0 });
    expect(await rowsOf(kept.id)).toEqual(keptBefore);
    // A worker still holding events of the deleted project stores none of them.
    await expect(storeEvents(t.services.db, [event(project.id, 9)])).rejects.toThrow("does not exist");
  });

  it("answers NOT_FOUND for another user's project and deletes nothing", async () => {
    const { project } = await owner.caller.projects.create({ name: "Survivor" });
    expect((await failure(stranger.caller.projects.delete({ id: project.id }))).code).toBe("NOT_FOUND");
    expect((await owner.caller.projects.get({ id: project.id })).id).toBe(project.id);
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(anonymousCaller(t.services).caller.projects.delete({ id: crypto.randomUUID() }));
    expect(error.code).toBe("UNAUTHORIZED");
  });
});
