/**
 * Liveness (`/api/v1/health`: the process answers, nothing else touched) and readiness (`/api/v1/health/ready`:
 * the database and, when configured, Redis answer within 2 s; otherwise 503 naming what is down).
 *
 * With Redis, readiness also reports `checks.redis_durability` ("ok", "unsafe: appendonly=no", "unknown: CONFIG not
 * allowed"; the rule is in server/infra/redis-durability.ts), read afresh on each call so a fix shows without a
 * restart. It never makes readiness fail: a Redis without AOF still serves (CI's does), and REQUIRE_DURABLE_REDIS
 * is where an operator makes durability a condition, at start.
 */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { checkRedisDurability } from "../../infra/redis-durability.ts";
import type { Services } from "../../services.ts";

const CHECK_TIMEOUT_MS = 2_000;

async function check(
  name: string,
  probe: () => Promise<unknown>,
): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(services: Services) {
  return new Hono()
    .get("/", (c) => c.json({ status: "ok" }))
    .get("/ready", async (c) => {
      const checks = [check("database", () => services.db.execute(sql`select 1`))];
      if (services.redis) checks.push(check("redis", () => services.kv.ping()));
      const redis = services.redis;
      const [results, durability] = await Promise.all([
        Promise.all(checks),
        redis ? checkRedisDurability(redis).then((d) => d.summary) : undefined,
      ]);
      const down = results.filter((r) => !r.ok);
      const body = {
        status: down.length ? "unavailable" : "ok",
        checks: {
          ...Object.fromEntries(results.map((r) => [r.name, r.ok ? "ok" : `down: ${r.error}`])),
          ...(durability ? { redis_durability: durability } : {}),
        },
        ...(down.length ? { down: down.map((r) => r.name) } : {}),
      };
      if (down.length) services.logger.warn("readiness check failed", { down: body.down });
      return c.json(body, down.length ? 503 : 200);
    });
}
