import { describe, expect, it } from "bun:test";
import { type BenchOptions, PARTS, parseBenchArgs } from "./args.ts";

const parse = (...argv: string[]) => parseBenchArgs(argv) as BenchOptions;

describe("parseBenchArgs", () => {
  it("defaults to the full run, and --quick shortens every phase", () => {
    expect(parse()).toEqual({
      quick: false,
      parts: [...PARTS],
      postgresUrl: "postgres://postgres@127.0.0.1:5432/postgres",
      redisUrl: "redis://127.0.0.1:6379",
      out: "bench/results/latest.json",
      durationS: 10,
      connections: 50,
      threads: 2,
      queryEvents: 10_000_000,
      querySamples: 20,
      liveDurationS: 15,
      liveRate: 5_000,
      keepDatabase: false,
      dataset: null,
      keepLogs: false,
      logStatements: false,
      cpuProfile: false,
      filterCases: [],
      namePrefix: "ad_bench",
      ports: null,
      productEnv: {},
      retention: { template: null, database: null, days: 60, rate: 5_000, maxS: 1_200 },
    });
    expect(
      parse("--retention-template", "seed10m", "--retention-days", "45", "--retention-max", "300").retention,
    ).toEqual({ template: "seed10m", database: null, days: 45, rate: 5_000, maxS: 300 });
    expect(parse("--retention-database", "h5_10m").retention.database).toBe("h5_10m");
    expect(() => parse("--retention-database", "a", "--retention-template", "b")).toThrow("one or the other");
    expect(() => parse("--retention-template", "Bad-Name")).toThrow("--retention-template");
    expect(parse("--quick")).toMatchObject({
      quick: true,
      durationS: 4,
      queryEvents: 1_000_000,
      querySamples: 7,
      liveDurationS: 5,
    });
  });

  it("reads every option, after --quick too", () => {
    const options = parse(
      "--duration",
      "2",
      "--quick",
      "--events",
      "50000",
      "--out",
      "/tmp/x.json",
      "--connections",
      "10.4",
      "--threads",
      "1",
      "--postgres-url",
      "postgresql://u@h/db",
      "--redis-url",
      "rediss://r:1",
      "--keep-database",
      "--keep-logs",
      "--log-statements",
      "--cpu-prof",
      "--env",
      "WORKER_BATCH_SIZE=20",
      "--env",
      "A=b=c",
    );
    expect(options).toMatchObject({
      quick: true,
      durationS: 2,
      queryEvents: 50_000,
      out: "/tmp/x.json",
      connections: 10,
      threads: 1,
      postgresUrl: "postgresql://u@h/db",
      redisUrl: "rediss://r:1",
      keepDatabase: true,
      keepLogs: true,
      logStatements: true,
      cpuProfile: true,
      productEnv: { WORKER_BATCH_SIZE: "20", A: "b=c" },
    });
  });

  it("applies --only and --skip in the order given, and keeps the parts in their fixed order", () => {
    expect(parse("--only", "queries,ingest").parts).toEqual(["ingest", "queries"]);
    expect(parse("--skip", "live", "--skip", "footprint").parts).toEqual([
      "ceilings",
      "ingest",
      "pipeline",
      "queries",
      "filtered",
      "analyses",
      "cohorts",
      "privacy",
      "retention",
    ]);
    // A kept database instead of a new one: never dropped, whatever --keep-database says.
    expect(parse("--only", "cohorts", "--dataset", "seed_10m")).toMatchObject({
      parts: ["cohorts"],
      dataset: "seed_10m",
      keepDatabase: true,
    });
    expect(parse("--only", "filtered", "--cases", "path_eq, neq_20", "--name-prefix", "bench_h3")).toMatchObject({
      parts: ["filtered"],
      filterCases: ["path_eq", "neq_20"],
      namePrefix: "bench_h3",
    });
    expect(() => parse("--name-prefix", "Bad-Name")).toThrow("--name-prefix");
    expect(parse("--ports", "55500-55699").ports).toEqual({ from: 55500, to: 55699 });
    expect(() => parse("--ports", "9-8")).toThrow("--ports");
    expect(parse("--only", "ingest,live", "--skip", "live").parts).toEqual(["ingest"]);
    expect(parse("--skip", "live", "--only", "ingest,live").parts).toEqual(["ingest", "live"]);
  });

  it("answers --help and -h with the usage", () => {
    for (const flag of ["--help", "-h"]) {
      const result = parseBenchArgs([flag]);
      expect(result).toHaveProperty("help");
      expect((result as { help: string }).help).toContain("--only a,b");
    }
  });

  it("refuses bad input with a message naming the option", () => {
    expect(() => parse("--nope")).toThrow("--nope");
    expect(() => parse("--nope")).toThrow("Usage: bun run bench");
    expect(() => parse("--only", "ingest,bogus")).toThrow('--only: unknown part "bogus"');
    expect(() => parse("--skip")).toThrow("--skip");
    expect(() => parse("--duration", "0")).toThrow("--duration needs a positive number");
    expect(() => parse("--events", "many")).toThrow("--events needs a positive number");
    expect(() => parse("--env", "NOEQUALS")).toThrow("--env needs NAME=value");
    expect(() => parse("--env", "=x")).toThrow("--env needs NAME=value");
    expect(() => parse("--postgres-url", "mysql://x")).toThrow("--postgres-url must be a postgres:// URL");
    expect(() => parse("--redis-url", "http://x")).toThrow("--redis-url must be a redis:// URL");
    expect(() => parse("--out", "")).toThrow("--out needs a file name");
    expect(() => parse("stray")).toThrow("stray");
  });
});
