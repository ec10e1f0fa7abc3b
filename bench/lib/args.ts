/**
 * Command-line options of `bun run bench`. Every default is the full run the README's table comes from; `--quick`
 * shortens every phase (and loads 1 M instead of 10 M events) so the smoke test and development runs take minutes.
 * Parsed by node:util's parseArgs, as the scripts' options are.
 */
import { parseArgs } from "node:util";
export const PARTS = [
  "ceilings",
  "ingest",
  "pipeline",
  "live",
  "queries",
  "filtered",
  "analyses",
  "cohorts",
  "privacy",
  "footprint",
  "retention",
] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Parts to run, in the fixed order of PARTS. */
  parts: Part[];
  /** Admin URL of the shared PostgreSQL server; the bench creates (and drops) its own database there. */
  postgresUrl: string;
  redisUrl: string;
  /** Where the results JSON goes. */
  out: string;
  /** Seconds of each wrk run. */
  durationS: number;
  connections: number;
  /** wrk threads; both cores, since the bench measures the whole box. */
  threads: number;
  /** Events loaded for the query phase. */
  queryEvents: number;
  /** Timed samples per procedure and period (after warm-up). */
  querySamples: number;
  /** Seconds of the live-feed measurement at `liveRate` events/s. */
  liveDurationS: number;
  liveRate: number;
  /** Keep the bench database after the run (to inspect plans); it is dropped by default. */
  keepDatabase: boolean;
  /**
   * A database a earlier run kept (--keep-database) to run in instead of a new one: its "Benchmark queries"
   * project is the query dataset (no seeding), and it is never dropped. Destructive parts (privacy, retention
   * without a template) change it: run those on a copy.
   */
  dataset: string | null;
  /** Keep the scratch folder with the server and worker logs (kept anyway when a part failed). */
  keepLogs: boolean;
  /** Log every statement of the run's database and print the costliest statement shapes (profiling). */
  logStatements: boolean;
  /** Run server and worker under `bun --cpu-prof` and print their hottest functions (profiling). */
  cpuProfile: boolean;
  /** Filter cases of the filtered part to run (ids of bench/lib/filtered-queries.ts; all when empty). */
  filterCases: string[];
  /** Prefix of the run's database name and Redis key prefix (`<prefix>_<id>`, `<prefix>:<id>:`). */
  namePrefix: string;
  /** Ports the run's servers may listen on (--ports 55500-55699); null: any free port. */
  ports: { from: number; to: number } | null;
  /** Extra environment for the product's processes (experiments such as WORKER_BATCH_SIZE=20). */
  productEnv: Record<string, string>;
  /** The retention part (bench/lib/retention.ts): a database to copy (null: the run's query dataset), the days
   * kept, the offered events/s and the longest the removal may take (s). */
  retention: { template: string | null; database: string | null; days: number; rate: number; maxS: number };
}

const USAGE = `Usage: bun run bench [-- options]
  --quick                 short phases, 1 M query events (minutes)
  --only a,b              run only these parts (${PARTS.join(", ")})
  --skip a,b              run all but these parts
  --postgres-url <url>    admin URL of PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres)
  --redis-url <url>       Redis (default redis://127.0.0.1:6379)
  --out <file>            results file (default bench/results/latest.json)
  --duration <s>          seconds per wrk run
  --connections <n>       wrk connections (default 50)
  --threads <n>           wrk threads (default 2)
  --events <n>            events loaded for the query phase
  --cases a,b             filter cases of the filtered part (default: all; ids in bench/lib/filtered-queries.ts)
  --name-prefix <p>       the run's database is <p>_<id>, its Redis prefix <p>:<id>: (default ad_bench)
  --ports <from>-<to>     listen only on ports in this range (default: any free port)
  --keep-database         do not drop the bench database at the end
  --dataset <db>          run in this kept bench database (its query dataset, no seeding; never dropped;
                          privacy and retention change it, so give them a copy)
  --keep-logs             keep the scratch folder with the server/worker logs
  --log-statements        log the run database's statements and print where PostgreSQL time went (profiling)
  --cpu-prof              run server and worker under bun --cpu-prof and print their hottest functions (profiling)
  --env NAME=value        extra environment for the product's server and worker (repeatable; for experiments)
  --retention-template <db>  retention part: copy this database (e.g. a kept 10 M bench database) instead of
                          using the run's query dataset
  --retention-database <db>  retention part: cut this database in place (a copy made for it; kept afterwards)
  --retention-days <n>    retention part: days kept (default 60: a month of the 90-day seed falls outside)
  --retention-rate <n>    retention part: events/s offered while it removes (default 5000)
  --retention-max <s>     retention part: longest the removal may run (default 1200)`;

/** The flags, for node:util's parseArgs; numbers are read as strings and checked below. */
const FLAGS = {
  quick: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  only: { type: "string" },
  skip: { type: "string" },
  "postgres-url": { type: "string" },
  "redis-url": { type: "string" },
  out: { type: "string" },
  duration: { type: "string" },
  connections: { type: "string" },
  threads: { type: "string" },
  events: { type: "string" },
  cases: { type: "string" },
  ports: { type: "string" },
  "name-prefix": { type: "string" },
  "keep-database": { type: "boolean" },
  dataset: { type: "string" },
  "keep-logs": { type: "boolean" },
  "log-statements": { type: "boolean" },
  "cpu-prof": { type: "boolean" },
  env: { type: "string", multiple: true },
  "retention-template": { type: "string" },
  "retention-database": { type: "string" },
  "retention-days": { type: "string" },
  "retention-rate": { type: "string" },
  "retention-max": { type: "string" },
} as const;

function parseList(value: string | undefined, flag: string): Part[] {
  if (!value) throw new Error(`${flag} needs a comma-separated list of parts`);
  const parts = value.split(",").map((p) => p.trim());
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part))
      throw new Error(`${flag}: unknown part "${part}" (${PARTS.join(", ")})`);
  }
  return parts as Part[];
}

function parsePositive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
  return n;
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
}

function parsePorts(value: string): { from: number; to: number } {
  const match = /^(\d+)-(\d+)$/.exec(value);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || from < 1024 || to > 65_535 || from > to) throw new Error("--ports needs <from>-<to> within 1024-65535");
  return { from, to };
}

/** Parses argv (without the runtime and script); throws with the usage text on a bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | { help: string } {
  const { values, tokens } = parseFlags(argv);
  if (values.help) return { help: USAGE };
  const quick = values.quick ?? false;
  let parts: Part[] = [...PARTS];
  // --only replaces the list and --skip removes from it, in the order they were given.
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (token.name === "only") parts = parseList(token.value, "--only");
    if (token.name === "skip") {
      const skipped = parseList(token.value, "--skip");
      parts = parts.filter((p) => !skipped.includes(p));
    }
  }
  const productEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error("--env needs NAME=value");
    productEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const number = (name: "duration" | "connections" | "threads" | "events", fallback: number) =>
    values[name] === undefined ? fallback : parsePositive(values[name], `--${name}`);
  const value = (name: `retention-${"days" | "rate" | "max"}`, fallback: number) =>
    values[name] === undefined ? fallback : parsePositive(values[name], `--${name}`);
  const options: BenchOptions = {
    quick,
    parts: PARTS.filter((p) => parts.includes(p)),
    postgresUrl: values["postgres-url"] ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: values["redis-url"] ?? "redis://127.0.0.1:6379",
    out: values.out ?? "bench/results/latest.json",
    durationS: number("duration", quick ? 4 : 10),
    connections: Math.round(number("connections", 50)),
    threads: Math.round(number("threads", 2)),
    queryEvents: Math.round(number("events", quick ? 1_000_000 : 10_000_000)),
    querySamples: quick ? 7 : 20,
    liveDurationS: quick ? 5 : 15,
    liveRate: 5_000,
    keepDatabase: (values["keep-database"] ?? false) || values.dataset !== undefined,
    dataset: values.dataset ?? null,
    keepLogs: values["keep-logs"] ?? false,
    logStatements: values["log-statements"] ?? false,
    cpuProfile: values["cpu-prof"] ?? false,
    filterCases: values.cases ? values.cases.split(",").map((c) => c.trim()) : [],
    namePrefix: values["name-prefix"] ?? "ad_bench",
    ports: values.ports ? parsePorts(values.ports) : null,
    productEnv,
    retention: {
      template: values["retention-template"] ?? null,
      database: values["retention-database"] ?? null,
      days: Math.round(value("retention-days", 60)),
      rate: Math.round(value("retention-rate", 5_000)),
      maxS: value("retention-max", 1_200),
    },
  };
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(options.namePrefix))
    throw new Error("--name-prefix: lowercase letters, digits, _");
  if (!options.postgresUrl.startsWith("postgres")) throw new Error("--postgres-url must be a postgres:// URL");
  if (!options.redisUrl.startsWith("redis")) throw new Error("--redis-url must be a redis:// URL");
  if (!options.out) throw new Error("--out needs a file name");
  for (const [flag, name] of [
    ["--retention-template", options.retention.template],
    ["--retention-database", options.retention.database],
  ] as const) {
    if (name !== null && !/^[a-z][a-z0-9_]{0,62}$/.test(name))
      throw new Error(`${flag}: a database name of lowercase letters, digits, _`);
  }
  if (options.retention.template !== null && options.retention.database !== null)
    throw new Error("--retention-template and --retention-database: one or the other");
  return options;
}
