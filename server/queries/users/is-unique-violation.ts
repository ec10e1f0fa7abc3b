/**
 * True when a database error (postgres.js or PGlite, possibly wrapped by drizzle in `cause`) is a unique-constraint
 * violation (SQLSTATE 23505) on the named constraint or index.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as {
      code?: unknown;
      constraint_name?: unknown;
      constraint?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (candidate.code === "23505") {
      const name = candidate.constraint_name ?? candidate.constraint;
      return name === constraint || (typeof candidate.message === "string" && candidate.message.includes(constraint));
    }
    current = candidate.cause;
  }
  return false;
}
