/**
 * Whether the Redis holding the ingest stream keeps what it acknowledged. Ingest answers 202 once XADD returned, so
 * a Redis that loses writes on restart loses accepted events silently (measured: `appendonly no`, one restart,
 * 400 of 241,400 events answered 202 gone).
 *
 * The rule, in this one place: Redis is durable when
 * - `appendonly` is `yes` (without AOF a restart keeps at most the last RDB snapshot),
 * - `appendfsync` is `everysec` or `always` (`no` leaves flushing to the OS: a host crash loses however much it had
 *   not written, about 30 s on Linux, so it counts as unsafe even though a process restart alone loses nothing), and
 * - `maxmemory-policy` is `noeviction` (any other policy may evict the stream itself; with noeviction XADD fails at
 *   the limit and ingest writes to PostgreSQL instead).
 *
 * Managed Redis often renames or forbids CONFIG: then durability is "unknown", which REQUIRE_DURABLE_REDIS treats as
 * unsafe (it cannot be shown to be safe).
 */
import type { Redis } from "ioredis";

export type RedisDurability =
  | { state: "durable"; summary: "ok" }
  | { state: "unsafe"; summary: string; problems: string[] }
  | { state: "unknown"; summary: string };

const REQUIRED = {
  appendonly: ["yes"],
  appendfsync: ["everysec", "always"],
  "maxmemory-policy": ["noeviction"],
} as const;

type Setting = keyof typeof REQUIRED;

/** Reads the durability settings with CONFIG GET and applies the rule above. Never throws. */
export async function checkRedisDurability(redis: Redis): Promise<RedisDurability> {
  let values: Map<string, string>;
  try {
    // One CONFIG GET per setting: a pattern list in one call needs Redis 7, and managed services still run 6.
    const answers = await Promise.all(
      (Object.keys(REQUIRED) as Setting[]).map((name) => redis.config("GET", name) as Promise<string[]>),
    );
    values = new Map();
    for (const answer of answers) for (let i = 0; i + 1 < answer.length; i += 2) values.set(answer[i]!, answer[i + 1]!);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A renamed command reads "unknown command", an ACL without it "NOPERM"; anything else is Redis being away.
    if (/unknown command|NOPERM|no permissions/i.test(message))
      return { state: "unknown", summary: "unknown: CONFIG not allowed" };
    return { state: "unknown", summary: `unknown: cannot ask Redis (${message})` };
  }
  const problems: string[] = [];
  for (const name of Object.keys(REQUIRED) as Setting[]) {
    const value = values.get(name);
    if (value === undefined) return { state: "unknown", summary: `unknown: CONFIG GET ${name} returned nothing` };
    const allowed: readonly string[] = REQUIRED[name];
    // appendfsync does not matter while AOF is off; reporting it then would only repeat "appendonly=no".
    if (name === "appendfsync" && values.get("appendonly") !== "yes") continue;
    if (!allowed.includes(value)) problems.push(`${name}=${value}`);
  }
  if (problems.length === 0) return { state: "durable", summary: "ok" };
  return { state: "unsafe", summary: `unsafe: ${problems.join(", ")}`, problems };
}

/** What an operator should do about a non-durable Redis, for the start-up warning and the refusal. */
export function durabilityAdvice(result: RedisDurability): string {
  if (result.state === "unknown") {
    return (
      "Cannot verify that Redis keeps acknowledged events across a restart (CONFIG GET appendonly, appendfsync and " +
      "maxmemory-policy). Make sure the service runs with AOF (appendfsync everysec) and maxmemory-policy noeviction."
    );
  }
  return (
    "Redis may lose events that ingest already answered 202 for: set appendonly yes, appendfsync everysec and " +
    "maxmemory-policy noeviction (redis.conf, or CONFIG SET then CONFIG REWRITE)."
  );
}
