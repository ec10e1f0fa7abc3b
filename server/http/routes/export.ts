/**
 * `GET /api/v1/export/events?projectId&from&to&period&filters&format=ndjson|csv` (shared/export.ts): the raw events
 * of a project its caller owns, streamed. Refused in this order, before any event is read: no valid login (401, the
 * dashboard's cookie or a Bearer access token, as for tRPC; or a read key, `Bearer read_…`, which must be live and
 * have the events:export scope, else 401 / 403), an input the analytics schemas refuse (400: the same
 * range and filter rules; `filters` is a JSON array), a project that is not the caller's or does not exist (404,
 * alike, so ids cannot be probed; for a read key, any project but its own). The events are read in keyset chunks of EXPORT_CHUNK_ROWS, each one statement in
 * its own transaction under ANALYTICS_STATEMENT_TIMEOUT_MS and cancelled when the client goes away, and each chunk
 * is read only when the client has taken the previous one (the stream's pull): 10 M rows never sit in memory, and a
 * slow reader holds no transaction open between chunks. The first chunk is read before the answer starts, so its
 * timeout is a 408; a later one ends the stream with an error (the download is visibly incomplete).
 */
import { Hono } from "hono";
import type { z } from "zod";
import { analyticsInputSchema, resolveRange } from "../../../shared/analytics.ts";
import { EXPORT_CHUNK_ROWS, type ExportFormat, exportFormatSchema } from "../../../shared/export.ts";
import { roleAtLeast } from "../../../shared/roles.ts";
import { CohortEngineUnavailableError } from "../../analytics/cohorts/compute-cohort-members.ts";
import { CohortNotFoundError, resolveCohortFilters } from "../../analytics/cohorts/resolve-cohort-filters.ts";
import { type ExportCursor, type ExportRow, readExportChunk } from "../../analytics/read-export-chunk.ts";
import { authenticateRequest } from "../../auth/authenticate.ts";
import { effectiveRole } from "../../auth/effective-role.ts";
import { isStatementTimeout, runWithStatementLimits } from "../../db/statement-limits.ts";
import { findProjectAccess } from "../../queries/projects/find-project-access.ts";
import { readKeyReachesProject } from "../../queries/sharing/read-key-reaches-project.ts";
import { touchReadKey } from "../../queries/sharing/touch-read-key.ts";
import type { Services } from "../../services.ts";
import { CSV_HEADER, exportLine } from "../export/export-lines.ts";
import { apiError } from "../middleware/errors.ts";
import { hasReadKeyBearer } from "../trpc/read-grant.ts";
import { requireReadKey } from "./stats-api.ts";

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The request is not valid.";
  return issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}

export function exportRoutes(services: Services) {
  const { config, logger } = services;
  return new Hono().get("/events", async (c) => {
    const headers = c.req.raw.headers;
    const readKey = hasReadKeyBearer(headers) ? await requireReadKey(services, headers, "events:export") : null;
    const auth = readKey ? null : await authenticateRequest(services, headers);
    if (auth && !auth.user) throw apiError(401, auth.failure ?? "Sign in to continue.");

    const query = c.req.query();
    let filters: unknown;
    if (query.filters !== undefined) {
      try {
        filters = JSON.parse(query.filters);
      } catch {
        throw apiError(400, "filters: must be a JSON array of filters.");
      }
    }
    const input = analyticsInputSchema.safeParse({
      projectId: query.projectId,
      period: query.period,
      from: query.from,
      to: query.to,
      filters,
    });
    if (!input.success) throw apiError(400, firstIssue(input.error));
    const format = exportFormatSchema.safeParse(query.format);
    if (!format.success) throw apiError(400, firstIssue(format.error));

    const { projectId } = input.data;
    if (readKey) {
      // A read key with events:export reads its own project only (a team key: the projects of its team).
      if (!(await readKeyReachesProject(services.db, readKey, projectId))) throw apiError(404, "Project not found.");
      // One conditional UPDATE (a no-op within a minute of the last): exports are few.
      await touchReadKey(services.db, readKey.id);
    } else {
      // The tRPC middleware's rule (init.ts): NOT_FOUND outside the project's team; raw events need the admin role.
      const access = await findProjectAccess(services.db, { projectId, userId: auth!.user!.id });
      const role = access && effectiveRole(access);
      if (!role) throw apiError(404, "Project not found.");
      if (!roleAtLeast(role, "admin"))
        throw apiError(403, "Exporting events needs the admin role on the project's team.");
    }
    const { from, to } = resolveRange(input.data, Date.now());
    // Cohort filters are evaluated once, at the start: every chunk then tests the same member set.
    try {
      await resolveCohortFilters(services.db, services.engine, projectId, [input.data.filters], Date.now());
    } catch (error) {
      if (error instanceof CohortNotFoundError) throw apiError(404, error.message);
      if (error instanceof CohortEngineUnavailableError) {
        throw apiError(
          409,
          "Cohorts are evaluated by the query engine, which is still indexing this project's events.",
        );
      }
      throw error;
    }
    const signal = c.req.raw.signal;
    const limits = { timeoutMs: config.ANALYTICS_STATEMENT_TIMEOUT_MS, signal, logger };
    const readChunk = (after: ExportCursor | null) =>
      runWithStatementLimits(services.database, limits, (db) =>
        readExportChunk(db, { projectId, from, to, filters: input.data.filters }, after, EXPORT_CHUNK_ROWS),
      );

    let first: ExportRow[];
    try {
      first = await readChunk(null);
    } catch (error) {
      if (isStatementTimeout(error)) {
        throw apiError(408, "The export took too long to read: narrow the range or the filters.");
      }
      throw error;
    }

    const encoder = new TextEncoder();
    const encode = (rows: readonly ExportRow[]) => {
      let text = "";
      for (const row of rows) text += exportLine(row, format.data);
      return encoder.encode(text);
    };
    let pending: ExportRow[] | null = first;
    let cursor: ExportCursor | null = null;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (format.data === "csv") controller.enqueue(encoder.encode(CSV_HEADER));
      },
      async pull(controller) {
        try {
          const rows: ExportRow[] = pending ?? (await readChunk(cursor));
          pending = null;
          if (rows.length > 0) {
            controller.enqueue(encode(rows));
            const last = rows.at(-1)!;
            cursor = { timestamp: last.cursor_ts, insertId: last.insert_id };
          }
          if (rows.length < EXPORT_CHUNK_ROWS) controller.close();
        } catch (error) {
          if (!signal.aborted) logger.warn("an export stopped partway", { projectId, error });
          controller.error(error);
        }
      },
    });
    const stamp = from.toISOString().slice(0, 10);
    return new Response(body, {
      headers: {
        "content-type": CONTENT_TYPES[format.data],
        "content-disposition": `attachment; filename="events-${stamp}.${format.data}"`,
        "cache-control": "no-store",
      },
    });
  });
}
