/**
 * `bun run test:unit`: the tests that need no PostgreSQL, Redis or Chromium, for the inner loop (`bun test` stays the
 * full suite). Extra arguments go to `bun test` (e.g. `-t pattern`); `--list` prints the selection instead.
 *
 * The rule, so a new test file lands on the right side without being listed anywhere:
 * - a `*.test.ts(x)` file is service-backed when it, or any file it reaches through local imports, is one of the
 *   service helpers below (`server/test-support/services.ts` for PostgreSQL/Redis, `private-redis.ts` for a
 *   redis-server of its own, `browser.ts` for Chromium, `test-environment.ts` whose readers say where the shared
 *   services are), or is one of the few that start services in a child process (`SPAWNS_SERVICES`);
 * - every other test file is a unit test. Embedded PGlite, temporary folders and loopback ports are fine.
 *
 * Component tests (those reaching `client/test-support/solid-dom.ts`) run in a second `bun test` of their own: after
 * happy-dom has been registered, loading vite in the same process fails ("First argument must be an Error object"
 * in scripts/build-client.test.ts), as STACK-NOTES warns for DOM tests and Bun.serve.
 *
 * The selection is checked each time it runs: the child `bun test` gets PostgreSQL and Redis URLs on a dead port
 * and a Chromium path that does not exist, with CI=1 so browser tests fail instead of skipping. A unit test that
 * needs a service by a path the rule does not see fails here at once, rather than hanging on someone's laptop.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Glob } from "bun";

const root = path.resolve(import.meta.dirname, "..");

/** Files whose import means "this test needs a service". Paths from the repository root. */
export const SERVICE_HELPERS = [
  "server/test-support/services.ts",
  "server/test-support/private-redis.ts",
  "server/test-support/browser.ts",
  "server/test-support/test-environment.ts",
];

/** Tests that reach this run in a `bun test` of their own (see above). */
export const DOM_HELPER = "client/test-support/solid-dom.ts";

/** Tests that reach services through a child process, where imports cannot show it. */
export const SPAWNS_SERVICES = [
  // `bun run bench -- --quick` against the shared PostgreSQL and Redis, with wrk (~50 s).
  "bench/bench.smoke.test.ts",
];

/** Where dead services point during `test:unit`: port 1 refuses connections at once. */
export const DEAD_SERVICES_ENV = {
  TEST_DATABASE_URL: "postgres://postgres@127.0.0.1:1/unit_tests_need_no_postgres",
  TEST_REDIS_URL: "redis://127.0.0.1:1",
  CHROMIUM_PATH: "/nonexistent/unit-tests-need-no-chromium",
  CI: "1",
};

const transpilers = {
  ts: new Bun.Transpiler({ loader: "ts" }),
  tsx: new Bun.Transpiler({ loader: "tsx" }),
};

const transpilerFor = (file: string) => (file.endsWith(".tsx") ? transpilers.tsx : transpilers.ts);

function localImports(file: string, source: string): string[] {
  return transpilerFor(file)
    .scanImports(source)
    .map((entry) => entry.path)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => path.resolve(path.dirname(file), specifier))
    .filter((resolved) => existsSync(resolved) && /\.tsx?$/.test(resolved));
}

/** True when `file` (absolute) or a file it reaches through local imports is one of `helpers`. */
function reachesServices(file: string, helpers: Set<string>, seen = new Set<string>()): boolean {
  if (helpers.has(file)) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  // Imports as the transpiler sees them, so an import named in a comment does not count.
  return localImports(file, readFileSync(file, "utf8")).some((imported) => reachesServices(imported, helpers, seen));
}

/**
 * Every test file of the repository (outside node_modules), split by the rule above: `unit` and `dom` together are
 * the unit tests; paths from the root, sorted.
 */
export function classifyTestFiles(rootDir = root): { unit: string[]; dom: string[]; serviceBacked: string[] } {
  const helpers = new Set(SERVICE_HELPERS.map((helper) => path.join(rootDir, helper)));
  const domHelper = new Set([path.join(rootDir, DOM_HELPER)]);
  const spawns = new Set(SPAWNS_SERVICES);
  const unit: string[] = [];
  const dom: string[] = [];
  const serviceBacked: string[] = [];
  for (const file of new Glob("**/*.test.{ts,tsx}").scanSync({ cwd: rootDir })) {
    if (file.split(path.sep).includes("node_modules")) continue;
    const relative = file.split(path.sep).join("/");
    const absolute = path.join(rootDir, file);
    if (spawns.has(relative) || reachesServices(absolute, helpers)) serviceBacked.push(relative);
    else if (reachesServices(absolute, domHelper)) dom.push(relative);
    else unit.push(relative);
  }
  return { unit: unit.sort(), dom: dom.sort(), serviceBacked: serviceBacked.sort() };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  // A helper moved or renamed would make every test look like a unit test.
  const missing = [...SERVICE_HELPERS, ...SPAWNS_SERVICES, DOM_HELPER].filter(
    (file) => !existsSync(path.join(root, file)),
  );
  if (missing.length) throw new Error(`scripts/test-unit.ts names files that do not exist: ${missing.join(", ")}`);
  const { unit, dom, serviceBacked } = classifyTestFiles();
  if (args.includes("--list")) {
    console.log(`unit (${unit.length}):\n  ${unit.join("\n  ")}`);
    console.log(`unit, with happy-dom, run apart (${dom.length}):\n  ${dom.join("\n  ")}`);
    console.log(`service-backed, \`bun test\` only (${serviceBacked.length}):\n  ${serviceBacked.join("\n  ")}`);
    process.exit(0);
  }
  const env: Record<string, string | undefined> = { ...process.env, ...DEAD_SERVICES_ENV };
  // The product's own variables too: nothing in a unit test may reach a configured server.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  let failed = 0;
  for (const files of [unit, dom]) {
    // `./` makes bun treat each as a path, not a name filter.
    const proc = Bun.spawn([process.execPath, "test", ...args, ...files.map((file) => `./${file}`)], {
      cwd: root,
      env,
      stdio: ["inherit", "inherit", "inherit"],
    });
    failed ||= await proc.exited;
  }
  process.exit(failed);
}
