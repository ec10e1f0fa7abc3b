/**
 * Smoke test of the benchmark: `bun run bench -- --quick` runs end to end against the shared PostgreSQL and Redis
 * (its own database and key prefix) and writes a results file with every key the benchmark issue requires. It
 * asserts nothing about speed. To keep the suite short it shrinks the quick run further (2 s wrk runs, 50,000
 * query events, three filter cases of the filtered part: one through tRPC, the OR group, 20 neq filters).
 *
 * It runs in every `bun test` (about 50 s on 2 cores) and needs wrk (`apt-get install -y wrk`). Without wrk it is
 * SKIPPED with a warning naming the package (CI must install it, or the benchmark goes untested there);
 * SKIP_BENCH_SMOKE=1 skips it on purpose. BENCH_SMOKE_POSTGRES_URL and BENCH_SMOKE_PORTS (e.g. 55500-55699) pass
 * --postgres-url and --ports, for a machine shared with other work.
 */
import { describe, expect, it } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateResults } from "./lib/report.ts";

const wrkMissing = Bun.which("wrk") === null;
const skip = process.env.SKIP_BENCH_SMOKE === "1" || wrkMissing;
if (wrkMissing) console.warn("bench smoke test SKIPPED: wrk is not installed (apt-get install -y wrk)");
else if (skip) console.warn("bench smoke test skipped (SKIP_BENCH_SMOKE=1)");

describe("bench", () => {
  it.skipIf(skip)(
    "runs with --quick and writes a valid results file",
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "ad-bench-smoke-"));
      const out = path.join(dir, "latest.json");
      try {
        const proc = Bun.spawn(
          [
            process.execPath,
            "run",
            "bench",
            "--",
            "--quick",
            "--duration",
            "2",
            "--events",
            "50000",
            "--cases",
            "path_contains_tail,path_in_3,neq_20",
            "--out",
            out,
            ...(process.env.BENCH_SMOKE_POSTGRES_URL ? ["--postgres-url", process.env.BENCH_SMOKE_POSTGRES_URL] : []),
            ...(process.env.BENCH_SMOKE_PORTS ? ["--ports", process.env.BENCH_SMOKE_PORTS] : []),
          ],
          { cwd: path.resolve(import.meta.dirname, ".."), stdout: "pipe", stderr: "pipe" },
        );
        const [stdout, stderr, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        if (code !== 0) console.error(stdout.slice(-4000), stderr.slice(-4000));
        const results = JSON.parse(await readFile(out, "utf8")) as {
          errors: unknown[];
          mode: string;
          filtered: { cases: Array<{ id: string }>; checks: { passed: number; failed: number } };
          analyses: Array<{ id: string; correct: boolean | null }>;
        };
        // The parts that failed, with their reasons, before the exit code: the first thing to read on a failure.
        expect(results.errors).toEqual([]);
        expect(code).toBe(0);
        expect(validateResults(results)).toEqual([]);
        expect(results.mode).toBe("quick");
        expect(stdout).toContain("| what | measured | of ceiling | target |");
        // The filtered part: its cases ran, and every answer checked equals the baseline's.
        expect(results.filtered.cases.map((c) => c.id)).toEqual(["path_contains_tail", "path_in_3", "neq_20"]);
        expect(results.filtered.checks.failed).toBe(0);
        expect(results.filtered.checks.passed).toBeGreaterThanOrEqual(30);
        expect(stdout).toContain("| filter case | range |");
        // The analyses part: funnels, retention, paths and the person timeline, each equal to its baseline.
        expect(results.analyses.map((a) => [a.id, a.correct])).toEqual([
          ["funnel_30d", true],
          ["funnel_90d", true],
          ["retention_8w", true],
          ["paths_3", true],
          ["person_events", true],
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    600_000,
  );
});
