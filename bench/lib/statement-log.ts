/**
 * Profiling aid (`--log-statements`): has PostgreSQL log every statement of the run's database with its duration
 * (ALTER DATABASE ... SET log_min_duration_statement = 0, on the run's own database only), then reads those lines
 * back from the server log and sums time per statement shape. Shows where the worker's and the queries' database
 * time goes without an extension (pg_stat_statements is not preloaded on the shared server).
 */
import { readFile } from "node:fs/promises";
import type { BenchContext } from "./context.ts";

export const DEFAULT_POSTGRES_LOG = "/var/log/postgresql/postgresql-15-main.log";

export async function enableStatementLog(ctx: BenchContext): Promise<void> {
  await ctx.sql.unsafe(`alter database "${ctx.databaseName}" set log_min_duration_statement = 0`);
}

export interface StatementSummary {
  statement: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
}

/** Sums the logged durations of the run's database by statement shape (first 160 characters, numbers blanked). */
export async function summarizeStatementLog(
  ctx: BenchContext,
  logFile = DEFAULT_POSTGRES_LOG,
): Promise<StatementSummary[]> {
  const text = await readFile(logFile, "utf8");
  const marker = `@${ctx.databaseName} LOG:  duration: `;
  const byShape = new Map<string, StatementSummary>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = line.indexOf(marker);
    if (at < 0) continue;
    const rest = line.slice(at + marker.length);
    const match = rest.match(/^([\d.]+) ms {2}(?:statement|execute [^:]*|parse [^:]*|bind [^:]*): (.*)$/);
    if (!match) continue;
    // Continuation lines (multi-line SQL) carry no log prefix.
    let statement = match[2]!;
    while (i + 1 < lines.length && /^\s/.test(lines[i + 1]!)) statement += ` ${lines[++i]!.trim()}`;
    const shape = statement
      .replace(/\s+/g, " ")
      .replace(/\b\d+(\.\d+)?\b/g, "N")
      .slice(0, 160);
    const ms = Number(match[1]);
    const entry = byShape.get(shape) ?? { statement: shape, calls: 0, totalMs: 0, meanMs: 0, maxMs: 0 };
    entry.calls++;
    entry.totalMs += ms;
    entry.maxMs = Math.max(entry.maxMs, ms);
    entry.meanMs = entry.totalMs / entry.calls;
    byShape.set(shape, entry);
  }
  return [...byShape.values()].sort((a, b) => b.totalMs - a.totalMs);
}
