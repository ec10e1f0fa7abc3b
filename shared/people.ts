/**
 * The people contract: inputs and outputs of `people.list`, `people.get` and `people.events`. A person is one
 * canonical (identified) id with the anonymous ids linked to it (shared/identity.ts), listed under the canonical id
 * with figures over all its ids and the traits its events set (`identify` properties, `$set`, `$unset`; per key the
 * latest event timestamp wins: server/pipeline/rollups/apply-person-traits.ts). Depended on by the server's people
 * router and queries, the dashboard and API users: add, never rename. Dates cross the wire as ISO 8601 strings.
 *
 * people.list takes the analytics range fields, all optional: with none of from, to and period it lists every
 * person; with any, the people active in that range (an event passing `filters` in it). Without a range, filters
 * apply to all time. Unknown ids, and ids of another project, answer NOT_FOUND.
 */
import { z } from "zod";
import { checkRange, pageCursorSchema, type RangeInput, rangeFields } from "./analytics.ts";
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_PEOPLE_SEARCH_LENGTH,
  PERSON_EVENTS_PAGE_SIZE,
  PERSON_SESSIONS_LIMIT,
} from "./analytics-constants.ts";
import { INGEST_LIMITS } from "./ingest.ts";

export { PERSON_EVENTS_PAGE_SIZE, PERSON_SESSIONS_LIMIT };

/** Whether an input names a range at all (people.list without one lists everyone). */
export function hasRange(input: RangeInput): boolean {
  return input.from !== undefined || input.to !== undefined || input.period !== undefined;
}

export const peopleListInputSchema = z
  .object({
    ...rangeFields,
    search: z
      .string()
      .max(MAX_PEOPLE_SEARCH_LENGTH, { message: `search is at most ${MAX_PEOPLE_SEARCH_LENGTH} characters.` })
      .optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: pageCursorSchema("people").optional(),
  })
  .superRefine((input, ctx) => {
    if (hasRange(input)) checkRange(input, ctx);
  });
export type PeopleListInput = z.input<typeof peopleListInputSchema>;
export type PeopleListQuery = z.output<typeof peopleListInputSchema>;

const distinctIdSchema = z
  .string()
  .min(1, { message: "distinctId must not be empty." })
  .max(INGEST_LIMITS.maxIdLength, { message: `distinctId is at most ${INGEST_LIMITS.maxIdLength} characters.` });

export const personInputSchema = z.object({
  projectId: z.uuid({ message: "projectId must be a UUID" }),
  distinctId: distinctIdSchema,
});
export type PersonInput = z.infer<typeof personInputSchema>;

export const personEventsInputSchema = z.object({
  projectId: z.uuid({ message: "projectId must be a UUID" }),
  distinctId: distinctIdSchema,
  cursor: pageCursorSchema("events").optional(),
});
export type PersonEventsInput = z.input<typeof personEventsInputSchema>;
export type PersonEventsQuery = z.output<typeof personEventsInputSchema>;

// Outputs -----------------------------------------------------------------------------------------------------------

/** A trait's value: what the event carried (any JSON). */
export type TraitValue = string | number | boolean | null | TraitValue[] | { [key: string]: TraitValue };

/** A person; figures cover all its ids over its whole history. */
export interface PersonItem {
  /** The canonical id. */
  distinctId: string;
  /** The anonymous ids linked to it, in id order (the canonical id not included). */
  aliases: string[];
  traits: Record<string, TraitValue>;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  sessionCount: number;
}
export interface PeoplePage {
  items: PersonItem[];
  /** People matching the range, filters and search. */
  total: number;
  /** Pass as `cursor` for the page after this one; null when this page is the last. */
  nextCursor: string | null;
}

export interface PersonSession {
  sessionId: string;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  entryPath: string | null;
  exitPath: string | null;
}
export interface Person extends PersonItem {
  /** The person's latest sessions (at most PERSON_SESSIONS_LIMIT), newest first. */
  sessions: PersonSession[];
}

export interface PersonEvent {
  /** Unique within the project. */
  insertId: string;
  name: string;
  timestamp: string;
  /** The id the event was sent under (the canonical id or an alias). */
  distinctId: string;
  sessionId: string | null;
  properties: Record<string, unknown>;
  path: string | null;
  referrerHost: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
}
export interface PersonEventsPage {
  items: PersonEvent[];
  nextCursor: string | null;
}

// Deletion and export (people.delete, GET /api/v1/people/{distinctId}/export) -----------------------------------

/**
 * For this many days after people.delete, events naming one of the deleted person's ids (as distinct_id or
 * `$anon_distinct_id`) are dropped when stored, still answered 202 by ingest and counted in
 * `analytics_events_suppressed_total`: a queued, retried or late event cannot bring the person back. The README's
 * "Deleting a person" section documents it.
 */
export const SUPPRESSION_DAYS = 30;

export const personDeleteInputSchema = personInputSchema;
export type PersonDeleteInput = z.infer<typeof personDeleteInputSchema>;

/** What people.delete removed. */
export interface PersonDeleted {
  /** The person's ids (canonical first), now suppressed until `suppressedUntil`. */
  distinctIds: string[];
  events: number;
  sessions: number;
  suppressedUntil: string;
}
