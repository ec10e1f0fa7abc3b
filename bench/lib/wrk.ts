/**
 * Drives an HTTP endpoint with wrk and bench/wrk/post-body.lua: a fixed POST body, a fixed number of connections,
 * for a fixed time. Returns throughput, latency percentiles and the count of non-2xx answers.
 */
import path from "node:path";
import { cpuSeconds, REPO_ROOT, runCommand } from "./procs.ts";

export interface WrkResult {
  requests: number;
  durationS: number;
  reqPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers that were not 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
  /** CPU time the measured server process used per request (user + system), when its pid was given. */
  serverCpuUsPerReq: number | null;
}

const LUA_SCRIPT = path.join(REPO_ROOT, "bench/wrk/post-body.lua");

/** The wrk binary, or an error that says which package to install. */
export function wrkPath(): string {
  const found = Bun.which("wrk");
  if (!found) throw new Error("wrk is not installed: apt-get install -y wrk");
  return found;
}

export async function runWrk(options: {
  url: string;
  bodyFile: string;
  apiKey?: string;
  userAgent?: string;
  connections: number;
  threads: number;
  durationS: number;
  /** The server process, to charge its CPU time to the requests (a ratio robust to a busy machine). */
  serverPid?: number;
}): Promise<WrkResult> {
  const cpuBefore = options.serverPid ? await cpuSeconds(options.serverPid) : null;
  const stdout = await runCommand(
    [
      wrkPath(),
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      "--timeout",
      "10s",
      "-s",
      LUA_SCRIPT,
      options.url,
    ],
    {
      env: {
        BENCH_BODY_FILE: options.bodyFile,
        BENCH_API_KEY: options.apiKey ?? "",
        BENCH_USER_AGENT: options.userAgent ?? "Mozilla/5.0",
      },
    },
  );
  const cpuAfter = options.serverPid ? await cpuSeconds(options.serverPid) : null;
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) throw new Error(`wrk printed no result line:\n${stdout.slice(-1000)}`);
  const raw = JSON.parse(line.slice("BENCH_RESULT ".length)) as Record<string, number>;
  const num = (key: string) => {
    const value = raw[key];
    if (typeof value !== "number") throw new Error(`wrk result lacks ${key}: ${line}`);
    return value;
  };
  const durationS = num("duration_us") / 1e6;
  return {
    requests: num("requests"),
    durationS,
    reqPerS: num("requests") / durationS,
    p50Ms: num("lat_p50_us") / 1000,
    p90Ms: num("lat_p90_us") / 1000,
    p99Ms: num("lat_p99_us") / 1000,
    maxMs: num("lat_max_us") / 1000,
    non2xx: num("errors_status"),
    socketErrors: num("errors_connect") + num("errors_read") + num("errors_write") + num("errors_timeout"),
    serverCpuUsPerReq:
      cpuBefore !== null && cpuAfter !== null && num("requests") > 0
        ? ((cpuAfter - cpuBefore) * 1e6) / num("requests")
        : null,
  };
}
