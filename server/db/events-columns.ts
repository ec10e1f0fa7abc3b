/**
 * The one home of the `events` column order and of the two encodings rows travel in: COPY's text format (the
 * worker's insert on PostgreSQL, the seed's and the benchmark's bulk loads) and the JSON records `json_to_recordset`
 * expands (the insert on embedded PGlite). COPY is positional: a field out of place would store one column's value
 * in another without any error, so every writer takes the order and the encoders from here, and
 * events-columns.test.ts holds the order to the drizzle table (server/db/schema/events.ts) and each encoder to the
 * order.
 */
import type { events } from "./schema/index.ts";

/** A full `events` row. */
export type EventRow = typeof events.$inferSelect;

/** The `events` columns in the drizzle table's order, which is the order of every COPY line and JSON record. */
export const EVENT_COLUMNS = [
  "project_id",
  "insert_id",
  "event_name",
  "distinct_id",
  "session_id",
  "properties",
  "page_url",
  "path",
  "host",
  "referrer",
  "referrer_host",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "user_agent",
  "browser",
  "os",
  "device",
  "ip_hash",
  "country",
  "timestamp",
  "received_at",
] as const;

export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** The column list for SQL (`copy events (...)`, `insert into events (...)`); `timestamp` is quoted, being a type name. */
export const EVENT_COLUMN_LIST = EVENT_COLUMNS.map((column) => (column === "timestamp" ? `"timestamp"` : column)).join(
  ", ",
);

/**
 * How each column travels in a JSON record (toJsonRecord): its `json_to_recordset` type, and the expression that
 * turns it into the column's value. Timestamps travel as epoch milliseconds (cheaper to write than ISO text).
 */
const JSON_COLUMNS: Record<EventColumn, { type: string; value?: string }> = {
  project_id: { type: "uuid" },
  insert_id: { type: "text" },
  event_name: { type: "text" },
  distinct_id: { type: "text" },
  session_id: { type: "text" },
  properties: { type: "jsonb", value: "coalesce(properties, '{}'::jsonb)" },
  page_url: { type: "text" },
  path: { type: "text" },
  host: { type: "text" },
  referrer: { type: "text" },
  referrer_host: { type: "text" },
  utm_source: { type: "text" },
  utm_medium: { type: "text" },
  utm_campaign: { type: "text" },
  user_agent: { type: "text" },
  browser: { type: "text" },
  os: { type: "text" },
  device: { type: "text" },
  ip_hash: { type: "text" },
  country: { type: "text" },
  timestamp: { type: "double precision", value: `'epoch'::timestamptz + "timestamp" * interval '1 millisecond'` },
  received_at: { type: "double precision", value: `'epoch'::timestamptz + received_at * interval '1 millisecond'` },
};

/** The column definitions of `json_to_recordset(...) as r(<these>)` for records made by toJsonRecord. */
export const JSON_RECORD_TYPES = EVENT_COLUMNS.map(
  (column) => `${column === "timestamp" ? `"timestamp"` : column} ${JSON_COLUMNS[column].type}`,
).join(", ");

/** The select list that turns those records into `events` rows, in EVENT_COLUMNS order. */
export const JSON_RECORD_VALUES = EVENT_COLUMNS.map(
  (column) => JSON_COLUMNS[column].value ?? (column === "timestamp" ? `"timestamp"` : column),
).join(", ");

/** A row as a JSON record for `json_to_recordset`: keys in EVENT_COLUMNS order, timestamps as epoch ms. */
export function toJsonRecord(row: EventRow) {
  return {
    project_id: row.projectId,
    insert_id: row.insertId,
    event_name: row.eventName,
    distinct_id: row.distinctId,
    session_id: row.sessionId,
    properties: row.properties,
    page_url: row.pageUrl,
    path: row.path,
    host: row.host,
    referrer: row.referrer,
    referrer_host: row.referrerHost,
    utm_source: row.utmSource,
    utm_medium: row.utmMedium,
    utm_campaign: row.utmCampaign,
    user_agent: row.userAgent,
    browser: row.browser,
    os: row.os,
    device: row.device,
    ip_hash: row.ipHash,
    country: row.country,
    timestamp: row.timestamp.getTime(),
    received_at: row.receivedAt.getTime(),
  };
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value in COPY's text format: \N for null, and the four characters that carry meaning escaped. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : value;
}

/**
 * Rows in COPY's text format, fields in EVENT_COLUMNS order, in chunks of about COPY_CHUNK_CHARS: each chunk
 * becomes a Buffer and a CopyData message of its own. One string for a whole transaction (1-2 MB) cost 0.5-0.9 µs
 * per row in Buffer.from alone, nearly all of it the fresh large allocation (and again in the driver's message
 * copy); 64 KB chunks reuse memory the allocator already has (0.13 µs per row, measured in isolation).
 */
export function toCopyChunks(rows: readonly EventRow[]): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  let chars = 0;
  // The events of one request share their receipt time (one Date) and their client's fields (user agent and its
  // parts, IP hash, country): each is formatted once per run of rows that share it.
  let receivedAt: Date | null = null;
  let receivedText = "";
  let client: EventRow | null = null;
  let clientText = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.receivedAt !== receivedAt) [receivedAt, receivedText] = [r.receivedAt, r.receivedAt.toISOString()];
    if (
      client === null ||
      r.userAgent !== client.userAgent ||
      r.browser !== client.browser ||
      r.os !== client.os ||
      r.device !== client.device ||
      r.ipHash !== client.ipHash ||
      r.country !== client.country
    ) {
      client = r;
      clientText =
        copyField(r.userAgent) +
        "\t" +
        copyField(r.browser) +
        "\t" +
        copyField(r.os) +
        "\t" +
        copyField(r.device) +
        "\t" +
        copyField(r.ipHash) +
        "\t" +
        copyField(r.country);
    }
    const line =
      copyField(r.projectId) +
      "\t" +
      copyField(r.insertId) +
      "\t" +
      copyField(r.eventName) +
      "\t" +
      copyField(r.distinctId) +
      "\t" +
      copyField(r.sessionId) +
      "\t" +
      copyField(JSON.stringify(r.properties ?? {})) +
      "\t" +
      copyField(r.pageUrl) +
      "\t" +
      copyField(r.path) +
      "\t" +
      copyField(r.host) +
      "\t" +
      copyField(r.referrer) +
      "\t" +
      copyField(r.referrerHost) +
      "\t" +
      copyField(r.utmSource) +
      "\t" +
      copyField(r.utmMedium) +
      "\t" +
      copyField(r.utmCampaign) +
      "\t" +
      clientText +
      "\t" +
      r.timestamp.toISOString() +
      "\t" +
      receivedText +
      "\n";
    lines.push(line);
    chars += line.length;
    if (chars >= COPY_CHUNK_CHARS) {
      chunks.push(lines.join(""));
      lines = [];
      chars = 0;
    }
  }
  if (lines.length > 0) chunks.push(lines.join(""));
  return chunks;
}

const COPY_CHUNK_CHARS = 64 * 1024;
