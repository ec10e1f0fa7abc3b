/**
 * Where the tests find their services, from the variables server/env.ts reads (the one module that reads the
 * environment). Importing this file marks a test as service-backed for `bun run test:unit` (scripts/test-unit.ts).
 */
import { readTestEnvironment } from "../env.ts";

/** Where tests find the shared PostgreSQL server and Redis (each test makes its own database and key prefix). */
export function loadTestServiceUrls(): { postgres: string; redis: string } {
  const env = readTestEnvironment();
  return {
    postgres: env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redis: env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  };
}

/** How browser tests find Chromium (CHROMIUM_PATH) and whether a missing browser is a failure (CI). */
export function loadTestBrowserSettings(): { chromiumPath: string | undefined; inCi: boolean } {
  const env = readTestEnvironment();
  return { chromiumPath: env.CHROMIUM_PATH || undefined, inCi: Boolean(env.CI) };
}
