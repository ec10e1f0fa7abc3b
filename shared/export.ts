/**
 * The raw-events export contract: `GET /api/v1/export/events?projectId&from&to&period&filters&format`, the
 * project's events in [from, to) that match the filters (the same range and filter rules as analytics, with
 * `filters` as a JSON array in one query parameter), oldest first, as NDJSON (one JSON object per line) or CSV
 * (a header line, then one line per event, RFC 4180 quoting). The fields, in order, are EXPORT_FIELDS: add, never
 * rename. Depended on by the export route and the dashboard's download links.
 */
import { z } from "zod";

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const exportFormatSchema = z.enum(EXPORT_FORMATS, { error: "format is ndjson or csv." }).default("ndjson");

/** Every exported field, in order (CSV columns, NDJSON keys). */
export const EXPORT_FIELDS = [
  "timestamp",
  "event",
  "distinct_id",
  "session_id",
  "page_url",
  "path",
  "host",
  "referrer",
  "referrer_host",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "browser",
  "os",
  "device",
  "country",
  "properties",
] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

/** Events read per statement: each chunk is one keyset read under the statement timeout. */
export const EXPORT_CHUNK_ROWS = 5_000;
