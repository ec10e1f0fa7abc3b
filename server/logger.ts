/** A tiny leveled logger writing one JSON line per record, so production logs can be parsed. */
import type { Config } from "./env.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Creates a logger that drops records below `level`. */
export function createLogger(level: Config["LOG_LEVEL"], base: Record<string, unknown> = {}): Logger {
  const threshold = LEVELS[level];
  const write = (lvl: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg: message, ...base, ...serialize(fields) };
    (lvl === "error" || lvl === "warn" ? process.stderr : process.stdout).write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

function serialize(fields?: Record<string, unknown>) {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    out[key] = value instanceof Error ? serializeError(value, 3) : value;
  return out;
}

/** An error with its causes (a failed query's cause is the database's own reason), a few levels deep. */
function serializeError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  if (error.cause instanceof Error && depth > 1) out.cause = serializeError(error.cause, depth - 1);
  return out;
}
