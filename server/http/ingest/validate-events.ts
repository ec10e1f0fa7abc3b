/**
 * Checks a parsed ingest body against the contract in shared/ingest.ts and turns every valid event into the compact
 * tuple the stream carries. This is the hot path of ingest, so it is hand-compiled rather than zod (zod on each of 100
 * events costs more than everything else here); `validate-events.test.ts` holds it to the zod schemas' verdicts.
 *
 * Safety rules, in the order they matter:
 * - Nothing here recurses without a bound: `properties` is walked with an explicit depth limit, and values outside
 *   the known fields are never walked or serialised, so a 100,000-deep array anywhere is harmless.
 * - NUL and lone surrogates (which PostgreSQL's jsonb refuses) can only arrive as `\u` escapes in JSON text, so the
 *   caller tells us whether the raw text has any; only then are strings and keys rebuilt clean.
 * - `__proto__` from JSON.parse is an own key; cleaned objects are built without a prototype so it stays one.
 */
import { INGEST_LIMITS, ISO_TIMESTAMP_PATTERN, TIMESTAMP_RULE } from "../../../shared/ingest.ts";

export interface RejectedEvent {
  index: number;
  reason: string;
}

/** A `\u0000` or a `\uD800`-`\uDFFF` escape somewhere in the text (false positives only cost a slower path). */
const SUSPICIOUS_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

export function needsCleaning(text: string): boolean {
  return SUSPICIOUS_ESCAPE.test(text);
}

/** The envelope `{ events: [...], sent_at?, api_key? }`; a string naming the problem when it is not one. */
export function checkEnvelope(
  body: unknown,
): { events: unknown[]; sentAt: string | null; apiKey: string | null } | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "The body must be a JSON object.";
  const record = body as Record<string, unknown>;
  const events = record.events;
  if (!Array.isArray(events)) return "The body must hold an `events` array.";
  if (events.length === 0) return "`events` must hold at least one event.";
  const sentAt = record.sent_at;
  if (sentAt !== undefined && sentAt !== null && (typeof sentAt !== "string" || !ISO_TIMESTAMP_PATTERN.test(sentAt))) {
    return `\`sent_at\` must be ${TIMESTAMP_RULE}.`;
  }
  const apiKey = record.api_key;
  if (apiKey !== undefined && apiKey !== null && (typeof apiKey !== "string" || apiKey.length > 512)) {
    return "`api_key` must be a string.";
  }
  return {
    events,
    sentAt: typeof sentAt === "string" ? sentAt : null,
    apiKey: typeof apiKey === "string" ? apiKey : null,
  };
}

/** ES2024 string methods (Bun has them natively; the project's TypeScript lib stops at ES2023). */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const HAS_OFFSET = /(?:Z|[+-]\d\d:\d\d)$/;
const digit = (text: string, at: number) => text.charCodeAt(at) - 48;
const twoDigits = (text: string, at: number) => digit(text, at) * 10 + digit(text, at + 1);

/**
 * Milliseconds since the epoch of a timestamp that already matched ISO_TIMESTAMP_PATTERN
 * (`YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`, no offset meaning UTC). Reads the fixed positions directly: Date.parse
 * was half the cost of validating an event (and reads a date-time without an offset as the server's local time).
 */
export function parseIsoTimestamp(text: string): number {
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + twoDigits(text, 2);
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) return Date.parse(HAS_OFFSET.test(text) ? text : `${text}Z`);
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46 /* . */) {
    let scale = 100;
    at++;
    for (let c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) {
      millis += (c - 48) * scale;
      scale /= 10;
    }
    millis = Math.floor(millis);
  }
  let offsetMinutes = 0;
  const sign = text.charCodeAt(at);
  if (sign === 43 /* + */ || sign === 45 /* - */) {
    offsetMinutes = (twoDigits(text, at + 1) * 60 + twoDigits(text, at + 4)) * (sign === 43 ? 1 : -1);
  }
  const utc = Date.UTC(
    year,
    twoDigits(text, 5) - 1,
    twoDigits(text, 8),
    twoDigits(text, 11),
    twoDigits(text, 14),
    twoDigits(text, 17),
    millis,
  );
  return utc - offsetMinutes * 60_000;
}

/** Removes NUL and replaces lone surrogates with U+FFFD. */
export function cleanString(value: string): string {
  const text = value as string & WellFormedString;
  const wellFormed = text.isWellFormed() ? value : text.toWellFormed();
  return wellFormed.includes("\0") ? wellFormed.replaceAll("\0", "") : wellFormed;
}

/**
 * Depth of a properties value, stopping as soon as it passes `limit` (so the walk itself is bounded). A flat object
 * is depth 1. Iterative with an explicit stack.
 */
export function exceedsDepth(root: object, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(value)) {
      for (const item of value)
        if (typeof item === "object" && item !== null) stack.push({ value: item, depth: depth + 1 });
    } else {
      for (const key in value as Record<string, unknown>) {
        const item = (value as Record<string, unknown>)[key];
        if (typeof item === "object" && item !== null) stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return false;
}

/** Deep copy with clean strings and keys; only called on values already known to be within the depth limit. */
function cleanValue(value: unknown): unknown {
  if (typeof value === "string") return cleanString(value);
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(cleanValue);
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, cleanString(key), {
      value: cleanValue((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * An accepted event in stream order. Tuples keep the stream entry small and skip a property-name lookup per field;
 * `event-batch.ts` owns the positions.
 */
export type EventTuple = [
  insertId: string,
  event: string,
  distinctId: string | null,
  sessionId: string | null,
  timestampMs: number,
  pageUrl: string | null,
  referrer: string | null,
  properties: object,
];

export interface ValidateOptions {
  /** The time of receipt (ms). */
  now: number;
  /**
   * A UUIDv7 made once for the request: events without an insert_id get it with their index in its last three hex
   * digits (see insertIdFor). One per request rather than one per event, and the worker that re-reads a body sent
   * as-is (event-batch.ts) derives the same ids from it. A fresh one when not given.
   */
  idBase?: string;
  /** The batch's `sent_at`, already checked against the ISO pattern. */
  sentAt: string | null;
  /** True when the raw text holds escapes that may decode to NUL or lone surrogates. */
  clean: boolean;
}

export interface ValidatedEvents {
  accepted: EventTuple[];
  /** The request index of each accepted event. */
  acceptedIndexes: number[];
  rejected: RejectedEvent[];
}

const EMPTY_PROPERTIES: object = Object.freeze({});

/** The part of the request's UUIDv7 that derived insert ids keep: all but its last 12 random bits. */
export function insertIdPrefix(idBase: string): string {
  return idBase.slice(0, 33);
}

/**
 * The insert_id of the index-th event of a request without its own: the request's UUIDv7 (cut once per request by
 * insertIdPrefix) with its last 12 random bits replaced by the index. Still a UUIDv7, still time-ordered (the
 * unique index appends), unique per request by its remaining 62 random and counter bits. `index` is below
 * INDEX_HEX.length (INGEST_LIMITS.maxEvents is at most that).
 */
export function insertIdFor(prefix: string, index: number): string {
  return prefix + INDEX_HEX[index];
}

/** 000 to fff: a table, because formatting the index cost as much per event as making a UUID did. */
const INDEX_HEX = Array.from({ length: 4_096 }, (_, i) => i.toString(16).padStart(3, "0"));

function optionalString(value: unknown, max: number, clean: boolean): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return undefined;
  const text = clean ? cleanString(value) : value;
  return text.length <= max ? text : undefined;
}

/**
 * Validates every event; keeps the valid ones (with a server-made UUIDv7 insert_id where missing and the timestamp
 * corrected for client clock skew) and lists the others with a reason. Deterministic for the same events and
 * options: the worker repeats it on bodies stored as sent.
 */
export function validateEvents(events: readonly unknown[], options: ValidateOptions): ValidatedEvents {
  const { now, clean } = options;
  const idPrefix = insertIdPrefix(options.idBase ?? Bun.randomUUIDv7());
  if (events.length > INDEX_HEX.length)
    throw new RangeError("validateEvents: more events than insert ids can be derived for");
  const accepted: EventTuple[] = [];
  const acceptedIndexes: number[] = [];
  const rejected: RejectedEvent[] = [];
  let skewMs = 0;
  if (options.sentAt) {
    const drift = now - parseIsoTimestamp(options.sentAt);
    if (Math.abs(drift) > INGEST_LIMITS.clockSkewDeadbandMs) skewMs = drift;
  }
  const newest = now + INGEST_LIMITS.maxFutureMs;
  const oldest = now - INGEST_LIMITS.maxPastMs;

  for (let index = 0; index < events.length; index++) {
    const raw = events[index];
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      rejected.push({ index, reason: "an event must be a JSON object" });
      continue;
    }
    const input = raw as Record<string, unknown>;

    if (typeof input.event !== "string") {
      rejected.push({ index, reason: "event: must be a string" });
      continue;
    }
    const name = clean ? cleanString(input.event) : input.event;
    if (name.length < 1 || name.length > INGEST_LIMITS.maxEventNameLength) {
      rejected.push({ index, reason: `event: must be 1 to ${INGEST_LIMITS.maxEventNameLength} characters` });
      continue;
    }

    const distinctId = optionalString(input.distinct_id, INGEST_LIMITS.maxIdLength, clean);
    if (distinctId === undefined) {
      rejected.push({
        index,
        reason: `distinct_id: must be a string of at most ${INGEST_LIMITS.maxIdLength} characters`,
      });
      continue;
    }
    const sessionId = optionalString(input.session_id, INGEST_LIMITS.maxIdLength, clean);
    if (sessionId === undefined) {
      rejected.push({
        index,
        reason: `session_id: must be a string of at most ${INGEST_LIMITS.maxIdLength} characters`,
      });
      continue;
    }
    const pageUrl = optionalString(input.page_url, INGEST_LIMITS.maxUrlLength, clean);
    if (pageUrl === undefined) {
      rejected.push({
        index,
        reason: `page_url: must be a string of at most ${INGEST_LIMITS.maxUrlLength} characters`,
      });
      continue;
    }
    const referrer = optionalString(input.referrer, INGEST_LIMITS.maxUrlLength, clean);
    if (referrer === undefined) {
      rejected.push({
        index,
        reason: `referrer: must be a string of at most ${INGEST_LIMITS.maxUrlLength} characters`,
      });
      continue;
    }
    const insertId = optionalString(input.insert_id, INGEST_LIMITS.maxInsertIdLength, clean);
    if (insertId === undefined || insertId === "") {
      rejected.push({
        index,
        reason: `insert_id: must be a string of 1 to ${INGEST_LIMITS.maxInsertIdLength} characters`,
      });
      continue;
    }

    let timestampMs = now;
    const timestamp = input.timestamp;
    if (timestamp !== undefined && timestamp !== null) {
      if (typeof timestamp !== "string" || !ISO_TIMESTAMP_PATTERN.test(timestamp)) {
        rejected.push({ index, reason: `timestamp: must be ${TIMESTAMP_RULE}` });
        continue;
      }
      timestampMs = parseIsoTimestamp(timestamp) + skewMs;
      if (timestampMs > newest) timestampMs = now;
      if (timestampMs < oldest) {
        rejected.push({ index, reason: "timestamp: more than 365 days old" });
        continue;
      }
    }

    let properties = input.properties;
    if (properties === undefined || properties === null) {
      properties = EMPTY_PROPERTIES;
    } else if (typeof properties !== "object" || Array.isArray(properties)) {
      rejected.push({ index, reason: "properties: must be a JSON object" });
      continue;
    } else {
      // One pass counts the keys and notices nesting; only nested properties pay for the depth walk.
      let keys = 0;
      let nested = false;
      for (const key in properties) {
        keys++;
        const value = (properties as Record<string, unknown>)[key];
        if (typeof value === "object" && value !== null) nested = true;
      }
      if (keys > INGEST_LIMITS.maxPropertyKeys) {
        rejected.push({ index, reason: `properties: more than ${INGEST_LIMITS.maxPropertyKeys} keys` });
        continue;
      }
      if (nested && exceedsDepth(properties, INGEST_LIMITS.maxPropertyDepth)) {
        rejected.push({ index, reason: `properties: nested deeper than ${INGEST_LIMITS.maxPropertyDepth} levels` });
        continue;
      }
      if (clean) properties = cleanValue(properties);
    }

    accepted.push([
      insertId ?? insertIdFor(idPrefix, index),
      name,
      distinctId,
      sessionId,
      timestampMs,
      pageUrl,
      referrer,
      properties as object,
    ]);
    acceptedIndexes.push(index);
  }
  return { accepted, acceptedIndexes, rejected };
}
