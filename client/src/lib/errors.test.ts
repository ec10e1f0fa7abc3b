import { describe, expect, it } from "bun:test";
import { TRPCClientError } from "@trpc/client";
import { loginLockedMessage } from "../../../shared/auth.ts";
import { describeProblem, isClientError, isUnauthorized, shouldRetryQuery } from "./errors.ts";

/** A client error as @trpc/client builds it from a server error response. */
function trpcError(message: string, data: object, cause?: Error) {
  const error = new TRPCClientError(message, { cause });
  Object.assign(error, { data });
  return error;
}

describe("describeProblem", () => {
  it("uses the server's words for errors a person can act on", () => {
    const problem = describeProblem(
      trpcError("Incorrect email or password.", { code: "UNAUTHORIZED", httpStatus: 401 }),
    );
    expect(problem).toEqual({ kind: "unauthorized", message: "Incorrect email or password.", fields: {} });
  });

  it("shows a paused sign-in with the minutes the server gives", () => {
    const problem = describeProblem(
      trpcError(loginLockedMessage(14 * 60 + 1), { code: "TOO_MANY_REQUESTS", httpStatus: 429 }),
    );
    expect(problem).toEqual({
      kind: "rate-limited",
      message: "Too many attempts, try again in 15 minutes.",
      fields: {},
    });
    expect(loginLockedMessage(30)).toBe("Too many attempts, try again in 1 minute.");
  });

  it("maps zod issues to fields for forms", () => {
    const problem = describeProblem(
      trpcError("[...]", {
        code: "BAD_REQUEST",
        httpStatus: 400,
        zodIssues: [
          { path: ["password"], message: "Password needs a digit." },
          { path: ["password"], message: "Password needs a symbol." },
          { path: ["email"], message: "Enter a valid email address." },
        ],
      }),
    );
    expect(problem.kind).toBe("invalid");
    expect(problem.fields).toEqual({ password: "Password needs a digit.", email: "Enter a valid email address." });
    expect(problem.message).toBe("Password needs a digit.");
  });

  it("treats a malformed id in a link as something that does not exist", () => {
    const problem = describeProblem(
      trpcError("[...]", {
        code: "BAD_REQUEST",
        httpStatus: 400,
        zodIssues: [{ path: ["id"], message: "id must be a UUID" }],
      }),
    );
    expect(problem.kind).toBe("not-found");
  });

  it("never shows internals of network or server failures", () => {
    expect(describeProblem(trpcError("Failed to fetch", {}, new TypeError("Failed to fetch"))).message).toBe(
      "Can't reach the server. Check your connection and try again.",
    );
    expect(
      describeProblem(trpcError('relation "events" does not exist', { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 }))
        .message,
    ).toBe("Something went wrong on the server. Try again in a moment.");
    expect(describeProblem("weird").kind).toBe("unknown");
  });
});

describe("error classification", () => {
  it("recognises UNAUTHORIZED for the refresh-once rule", () => {
    expect(isUnauthorized(trpcError("no", { code: "UNAUTHORIZED", httpStatus: 401 }))).toBe(true);
    expect(isUnauthorized(trpcError("no", { code: "FORBIDDEN", httpStatus: 403 }))).toBe(false);
  });

  it("does not retry 4xx answers", () => {
    expect(isClientError(trpcError("gone", { code: "NOT_FOUND", httpStatus: 404 }))).toBe(true);
    expect(isClientError(trpcError("busy", { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 }))).toBe(false);
  });

  it("never retries a TIMEOUT or a BAD_REQUEST, and retries a network failure or a 5xx once", () => {
    const timeout = trpcError("This took longer than 15 s to compute: narrow the range or the filters.", {
      code: "TIMEOUT",
      httpStatus: 408,
    });
    const invalid = trpcError("[...]", { code: "BAD_REQUEST", httpStatus: 400 });
    const busy = trpcError("busy", { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 });
    const offline = new TypeError("Failed to fetch");
    expect([shouldRetryQuery(0, timeout), shouldRetryQuery(0, invalid)]).toEqual([false, false]);
    expect([shouldRetryQuery(0, busy), shouldRetryQuery(0, offline)]).toEqual([true, true]);
    expect([shouldRetryQuery(1, busy), shouldRetryQuery(1, offline)]).toEqual([false, false]);
  });

  it("says a TIMEOUT in the server's words (narrow the range or the filters), not as a lost connection", () => {
    const problem = describeProblem(
      trpcError("This took longer than 15 s to compute: narrow the range or the filters.", {
        code: "TIMEOUT",
        httpStatus: 408,
      }),
    );
    expect(problem).toEqual({
      kind: "timeout",
      message: "This took longer than 15 s to compute: narrow the range or the filters.",
      fields: {},
    });
  });
});
