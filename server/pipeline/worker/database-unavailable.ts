/**
 * Tells "PostgreSQL is away" (retry the same batch later, with backoff, acknowledging nothing) from "this data is
 * bad" (isolate the bad rows, dead-letter after a few deliveries). Getting this wrong either way is costly: treating an
 * outage as bad data would dead-letter good events; treating bad data as an outage would stall the stream.
 */

/** SQLSTATE classes and codes meaning the server cannot do any work right now, whatever the data. */
const UNAVAILABLE_SQLSTATE_PREFIXES = ["08", "53", "57P", "58"];
const UNAVAILABLE_SQLSTATES = new Set([
  "3D000", // the database does not exist (renamed or being restored)
  "40001", // serialization failure: retry
  "40P01", // deadlock: retry
  "55P03", // lock not available
  "25006", // read-only transaction (a replica being promoted)
]);
/** Client-side codes of postgres.js and Node sockets. */
const UNAVAILABLE_CLIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** True when the error (or any error in its cause chain) says the database is unreachable or busy. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = codeOf(current);
    if (code) {
      if (UNAVAILABLE_CLIENT_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix)))
        return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
