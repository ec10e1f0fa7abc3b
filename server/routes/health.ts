/**
 * Liveness (`/api/v1/health`: the process answers, nothing else touched) and readiness (`/api/v1/health/ready`:
 * the database and, when configured, Redis answer within 2 s; otherwise 503 naming what is down).
 */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Services } from "../services.ts";

const CHECK_TIMEOUT_MS = 2_000;

async function check(name: string, probe: () => Promise<unknown>): Promise<{ name: string; ok: boolean; error?: string }> {
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
      const results = await Promise.all(checks);
      const down = results.filter((r) => !r.ok);
      const body = {
        status: down.length ? "unavailable" : "ok",
        checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? "ok" : `down: ${r.error}`])),
        ...(down.length ? { down: down.map((r) => r.name) } : {}),
      };
      if (down.length) services.logger.warn("readiness check failed", { down: body.down });
      return c.json(body, down.length ? 503 : 200);
    });
}
