/**
 * Turns any failure of a call into words a person can act on: what went wrong and what to do next. Never a stack
 * trace, never "undefined".
 */
import { TRPCClientError } from "@trpc/client";

export type ProblemKind =
  | "network"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "invalid"
  | "conflict"
  | "rate-limited"
  | "timeout"
  | "server"
  | "unknown";

export type Problem = {
  kind: ProblemKind;
  message: string;
  /** Field name -> message, from the server's zod issues. */
  fields: Record<string, string>;
};

type ErrorData = {
  code?: string;
  httpStatus?: number;
  zodIssues?: Array<{ path: Array<string | number>; message: string }> | null;
};

const KIND_BY_CODE: Record<string, ProblemKind> = {
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  BAD_REQUEST: "invalid",
  PARSE_ERROR: "invalid",
  CONFLICT: "conflict",
  TOO_MANY_REQUESTS: "rate-limited",
  INTERNAL_SERVER_ERROR: "server",
  SERVICE_UNAVAILABLE: "server",
  // The server gave up on a query too heavy to compute (HTTP 408): its message says to narrow the range or filters.
  TIMEOUT: "timeout",
};

const FALLBACK_MESSAGES: Record<ProblemKind, string> = {
  network: "Can't reach the server. Check your connection and try again.",
  unauthorized: "Your session has ended. Sign in again to continue.",
  forbidden: "You don't have permission to do this.",
  "not-found": "This doesn't exist, or you don't have access to it.",
  invalid: "Some of the information isn't valid. Check the highlighted fields.",
  conflict: "This conflicts with something that already exists.",
  "rate-limited": "Too many attempts. Wait a minute, then try again.",
  timeout: "This took too long to compute. Narrow the range or the filters.",
  server: "Something went wrong on the server. Try again in a moment.",
  unknown: "Something went wrong. Try again.",
};

function errorData(error: TRPCClientError<never>): ErrorData {
  const data = (error as { data?: unknown }).data;
  return data && typeof data === "object" ? (data as ErrorData) : {};
}

/** Messages that are internals rather than advice; replaced by the fallback of their kind. */
function isUsableMessage(message: string): boolean {
  if (!message || message.length > 300) return false;
  return !/^(Failed to fetch|NetworkError|Load failed|Unable to transform|Unexpected token|fetch failed)/i.test(
    message,
  );
}

export function describeProblem(error: unknown): Problem {
  if (error instanceof TRPCClientError) {
    const data = errorData(error);
    let kind: ProblemKind = (data.code && KIND_BY_CODE[data.code]) || "unknown";
    if (!data.code) {
      // No tRPC error shape: a network failure, or a plain HTTP error from a proxy or a body limit.
      kind = error.cause instanceof TypeError || /fetch|network/i.test(error.message) ? "network" : "server";
    }
    const fields: Record<string, string> = {};
    for (const issue of data.zodIssues ?? []) {
      const field = issue.path.filter((p) => typeof p === "string").at(-1);
      if (typeof field === "string" && !fields[field]) fields[field] = issue.message;
    }
    // An id that is not even shaped like one (a mistyped link) names nothing: say so, as for a missing project.
    const fieldNames = Object.keys(fields);
    if (
      kind === "invalid" &&
      fieldNames.length > 0 &&
      fieldNames.every((name) => name === "id" || name === "projectId")
    ) {
      return { kind: "not-found", message: FALLBACK_MESSAGES["not-found"], fields: {} };
    }
    let message = FALLBACK_MESSAGES[kind];
    if (kind === "invalid" && fieldNames.length > 0) {
      // Outside a form (e.g. a dashboard read refused for its time zone) the field's own words are the advice.
      message = fields[fieldNames[0]!]!;
    } else if (kind === "invalid" && isUsableMessage(error.message) && !error.message.startsWith("[")) {
      message = error.message;
    } else if (kind !== "invalid" && kind !== "server" && kind !== "network" && isUsableMessage(error.message)) {
      message = error.message;
    }
    return { kind, message, fields };
  }
  if (error instanceof TypeError) return { kind: "network", message: FALLBACK_MESSAGES.network, fields: {} };
  return { kind: "unknown", message: FALLBACK_MESSAGES.unknown, fields: {} };
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && errorData(error).code === "UNAUTHORIZED";
}

/**
 * The query client's retry rule: an answer the server gave on purpose (4xx: bad input, no access, a TIMEOUT on a
 * query too heavy to compute) will not change on retry, and resending a heavy query only loads the database again;
 * anything else (a network failure, a 5xx) gets one more try.
 */
export function shouldRetryQuery(failureCount: number, error: unknown): boolean {
  return !isClientError(error) && failureCount < 1;
}

/** True for errors that retrying cannot fix (bad input, no access): the query client does not retry them. */
export function isClientError(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const status = errorData(error).httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}
