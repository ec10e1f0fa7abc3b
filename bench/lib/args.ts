/**
 * Command-line options of `bun run bench`. Every default is the full run the README's table comes from; `--quick`
 * shortens every phase (and loads 1 M instead of 10 M events) so the smoke test and development runs take minutes.
 */
export const PARTS = ["ceilings", "ingest", "pipeline", "live", "queries", "footprint"] as const;
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
  /** Keep the scratch folder with the server and worker logs (kept anyway when a part failed). */
  keepLogs: boolean;
  /** Log every statement of the run's database and print the costliest statement shapes (profiling). */
  logStatements: boolean;
  /** Run server and worker under `bun --cpu-prof` and print their hottest functions (profiling). */
  cpuProfile: boolean;
  /** Extra environment for the product's processes (experiments such as WORKER_BATCH_SIZE=20). */
  productEnv: Record<string, string>;
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
  --keep-database         do not drop the bench database at the end
  --keep-logs             keep the scratch folder with the server/worker logs
  --log-statements        log the run database's statements and print where PostgreSQL time went (profiling)
  --cpu-prof              run server and worker under bun --cpu-prof and print their hottest functions (profiling)
  --env NAME=value        extra environment for the product's server and worker (repeatable; for experiments)`;

function parseList(value: string | undefined, flag: string): Part[] {
  if (!value) throw new Error(`${flag} needs a comma-separated list of parts`);
  const parts = value.split(",").map((p) => p.trim());
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part)) throw new Error(`${flag}: unknown part "${part}" (${PARTS.join(", ")})`);
  }
  return parts as Part[];
}

function parsePositive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
  return n;
}

/** Parses argv (without the runtime and script); throws with the usage text on a bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | { help: string } {
  const quick = argv.includes("--quick");
  const options: BenchOptions = {
    quick,
    parts: [...PARTS],
    postgresUrl: "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: "redis://127.0.0.1:6379",
    out: "bench/results/latest.json",
    durationS: quick ? 4 : 10,
    connections: 50,
    threads: 2,
    queryEvents: quick ? 1_000_000 : 10_000_000,
    querySamples: quick ? 7 : 20,
    liveDurationS: quick ? 5 : 15,
    liveRate: 5_000,
    keepDatabase: false,
    keepLogs: false,
    logStatements: false,
    cpuProfile: false,
    productEnv: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const next = () => argv[++i];
    switch (flag) {
      case "--quick":
        break;
      case "--help":
      case "-h":
        return { help: USAGE };
      case "--only":
        options.parts = parseList(next(), flag);
        break;
      case "--skip": {
        const skipped = parseList(next(), flag);
        options.parts = options.parts.filter((p) => !skipped.includes(p));
        break;
      }
      case "--postgres-url":
        options.postgresUrl = next() ?? "";
        break;
      case "--redis-url":
        options.redisUrl = next() ?? "";
        break;
      case "--out":
        options.out = next() ?? "";
        break;
      case "--duration":
        options.durationS = parsePositive(next(), flag);
        break;
      case "--connections":
        options.connections = Math.round(parsePositive(next(), flag));
        break;
      case "--threads":
        options.threads = Math.round(parsePositive(next(), flag));
        break;
      case "--events":
        options.queryEvents = Math.round(parsePositive(next(), flag));
        break;
      case "--keep-database":
        options.keepDatabase = true;
        break;
      case "--keep-logs":
        options.keepLogs = true;
        break;
      case "--log-statements":
        options.logStatements = true;
        break;
      case "--cpu-prof":
        options.cpuProfile = true;
        break;
      case "--env": {
        const pair = next() ?? "";
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new Error("--env needs NAME=value");
        options.productEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      default:
        throw new Error(`Unknown option ${flag}\n${USAGE}`);
    }
  }
  if (!options.postgresUrl.startsWith("postgres")) throw new Error("--postgres-url must be a postgres:// URL");
  if (!options.redisUrl.startsWith("redis")) throw new Error("--redis-url must be a redis:// URL");
  if (!options.out) throw new Error("--out needs a file name");
  options.parts = PARTS.filter((p) => options.parts.includes(p));
  return options;
}
