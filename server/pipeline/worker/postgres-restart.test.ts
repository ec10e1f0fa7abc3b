/**
 * Real restarts on private servers (a private PostgreSQL cluster and redis-server; the shared ones are never
 * touched): `bun run server` and two `bun run worker` processes under a steady load while PostgreSQL is stopped with
 * `pg_ctl stop -m immediate` and started again 20 s later. postgres.js 3.4.9 killed every process with a TypeError
 * from `nextWrite` there (patches/postgres@3.4.9.patch). The load here is 1,000 events/s (50 every 50 ms), half the
 * issue's reproduction, so the test stays reliable on a busy 2-core machine; the full rate was measured by hand.
 */
import { describe, expect, it } from "bun:test";
import { runOutageScenario, type ScenarioReport } from "../../test-support/outage-scenario.ts";

const log = (line: string) => {
  if (process.env.OUTAGE_LOG === "1") console.log(line);
};

function expectEveryAcceptedEventStoredOnce(report: ScenarioReport) {
  expect(report.crashLines).toEqual([]);
  expect(report.exited).toEqual([]);
  expect(report.accepted).toBeGreaterThan(0);
  expect(report.drainedAfterSeconds).not.toBeNull();
  expect(report.storedAccepted).toBe(report.accepted);
  expect(report.rollupTotal).toBe(report.storedTotal);
}

describe("the pipeline across a PostgreSQL restart", () => {
  it("stores every accepted event exactly once while a worker is frozen, and no process exits", async () => {
    const report = await runOutageScenario({
      loadSeconds: 45,
      batchSize: 50,
      intervalMs: 50,
      faults: [
        { at: 2, fault: "freezeWorker" },
        { at: 4, fault: "stopPostgres" },
        { at: 24, fault: "startPostgres" },
        { at: 42, fault: "thawWorker" },
      ],
      drainSeconds: 60,
      log,
    });
    log(JSON.stringify(report));
    // Redis stayed up, so every request was answered 202 from the stream, PostgreSQL or not.
    expect(report.statuses).toEqual({ "202": expect.any(Number) });
    expectEveryAcceptedEventStoredOnce(report);
  }, 150_000);

  it("answers 503 with Retry-After while Redis is down too, and stores every accepted event exactly once", async () => {
    const report = await runOutageScenario({
      loadSeconds: 32,
      batchSize: 50,
      intervalMs: 50,
      faults: [
        // Redis first: ingest writes to PostgreSQL directly, then neither can take events for 20 s.
        { at: 2, fault: "stopRedis" },
        { at: 4, fault: "stopPostgres" },
        { at: 24, fault: "startPostgres" },
        { at: 28, fault: "startRedis" },
      ],
      drainSeconds: 60,
      log,
    });
    log(JSON.stringify(report));
    expect(Object.keys(report.statuses).sort()).toEqual(["202", "503"]);
    expect(Object.keys(report.statusesWhileBothDown)).toEqual(["503"]);
    expect(report.statusesWhileBothDown["503"]).toBeGreaterThan(100);
    expect(report.unavailableWithoutRetryAfter).toBe(0);
    expectEveryAcceptedEventStoredOnce(report);
  }, 150_000);
});
