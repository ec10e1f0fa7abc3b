/**
 * `GET /api/v1/people/{distinctId}/export?projectId=` (GDPR articles 15 and 20): everything stored about one person
 * as NDJSON, streamed: first a `{"type":"person", ...}` line (canonical id, aliases, traits and figures, as
 * people.get answers), then one `{"type":"event", ...}` line per stored event under every id of the person, every
 * column as stored (properties as the JSON object). Refused in this order before anything is read: no valid login
 * (401, cookie or Bearer token as for tRPC), a bad input (400 naming the field), a project that is not the caller's
 * or an id the project never saw (404 alike, so nothing can be probed), a role below admin (403). Events are read in
 * keyset chunks of EXPORT_CHUNK_ROWS per id, each one statement under ANALYTICS_STATEMENT_TIMEOUT_MS, and a chunk
 * only when the client has taken the previous one: a person with millions of events never sits in memory.
 */
import { Hono } from "hono";
import { EXPORT_CHUNK_ROWS } from "../../../shared/export.ts";
import { personInputSchema } from "../../../shared/people.ts";
import { roleAtLeast } from "../../../shared/roles.ts";
import { getPerson } from "../../analytics/people/get-person.ts";
import {
  type PersonExportCursor,
  type PersonExportRow,
  readPersonExportChunk,
} from "../../analytics/people/read-person-export-chunk.ts";
import { authenticateRequest } from "../../auth/authenticate.ts";
import { effectiveRole } from "../../auth/effective-role.ts";
import { runWithStatementLimits } from "../../db/statement-limits.ts";
import { findProjectAccess } from "../../queries/projects/find-project-access.ts";
import type { Services } from "../../services.ts";
import { apiError } from "../middleware/errors.ts";
import { recordPrivacyAudit } from "../privacy-audit.ts";

function eventLine(row: PersonExportRow): string {
  const { cursor_ts: _cursor, properties, ...columns } = row;
  return `${JSON.stringify({ type: "event", ...columns, properties: JSON.parse(properties) })}\n`;
}

export function peopleExportRoutes(services: Services) {
  const { config, logger } = services;
  return new Hono().get("/:distinctId/export", async (c) => {
    const auth = await authenticateRequest(services, c.req.raw.headers);
    if (!auth.user) throw apiError(401, auth.failure ?? "Sign in to continue.");
    const input = personInputSchema.safeParse({
      projectId: c.req.query("projectId"),
      distinctId: c.req.param("distinctId"),
    });
    if (!input.success) {
      const issue = input.error.issues[0];
      throw apiError(400, issue ? `${issue.path.join(".")}: ${issue.message}` : "The request is not valid.");
    }
    const { projectId } = input.data;
    // The tRPC middleware's rule (init.ts): NOT_FOUND outside the project's team, the admin role to export a person.
    const access = await findProjectAccess(services.db, { projectId, userId: auth.user.id });
    const projectRole = access && effectiveRole(access);
    if (!access || !projectRole) throw apiError(404, "Project not found.");
    if (!roleAtLeast(projectRole, "admin")) throw apiError(403, "This needs the admin role on the project's team.");

    const signal = c.req.raw.signal;
    const limits = { timeoutMs: config.ANALYTICS_STATEMENT_TIMEOUT_MS, signal, logger };
    const person = await runWithStatementLimits(services.database, limits, (db) => getPerson(db, input.data));
    if (!person) throw apiError(404, "No person with this id in this project.");
    // Audit call site "person.exported" (who, when, which project; never the person's ids or data).
    await recordPrivacyAudit(services.db, { action: "person.exported", userId: auth.user.id, project: access.project });

    const ids = [person.distinctId, ...person.aliases];
    const encoder = new TextEncoder();
    let idIndex = 0;
    let cursor: PersonExportCursor | null = null;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`${JSON.stringify({ type: "person", ...person })}\n`));
      },
      async pull(controller) {
        try {
          const id = ids[idIndex];
          if (id === undefined) return controller.close();
          const rows = await runWithStatementLimits(services.database, limits, (db) =>
            readPersonExportChunk(db, { projectId, distinctId: id }, cursor, EXPORT_CHUNK_ROWS),
          );
          if (rows.length > 0) {
            controller.enqueue(encoder.encode(rows.map(eventLine).join("")));
            const last = rows.at(-1)!;
            cursor = { timestamp: last.cursor_ts, insertId: last.insert_id };
          }
          if (rows.length < EXPORT_CHUNK_ROWS) {
            idIndex++;
            cursor = null;
          }
        } catch (error) {
          if (!signal.aborted) logger.warn("a person export stopped partway", { projectId, error });
          controller.error(error);
        }
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": `attachment; filename="person-export.ndjson"`,
        "cache-control": "no-store",
      },
    });
  });
}
