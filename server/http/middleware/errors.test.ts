import { describe, expect, it } from "bun:test";
import type { Logger } from "../../logger.ts";
import { renderNativeError } from "./errors.ts";

function capturingLogger() {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const record = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  return { logger, lines };
}

describe("renderNativeError", () => {
  it("answers a generic 500 whose request id is in the body, the header and the log line with the details", async () => {
    const { logger, lines } = capturingLogger();
    const response = renderNativeError(logger)(new Error('relation "events" does not exist: select * from events'));
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("select");
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-request-id")).toBe(body.error.requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields?.requestId).toBe(body.error.requestId);
    expect(String(lines[0]?.fields?.error)).toContain("select * from events");
  });
});
