/**
 * Analytics storage beside the raw events, all maintained by `applyRollups` (server/pipeline/rollups) inside the
 * transaction that inserted the events, from the rows that INSERT actually added: a redelivered batch counts nothing
 * twice, late events land in their own buckets at once, and deleting a project (or its events) removes its rows
 * from every table in one transaction (deleteProjectData), so nothing is left behind.
 *
 * Why bitmaps: unique sessions/users over a range are not sums of per-bucket uniques. Every session and user gets a
 * dense per-project integer (`num`, from analytics_id_counters); each rollup row keeps, for one bucket and one
 * dimension value, the set of session nums seen there as a bit string split into CHUNK_BITS-bit chunks. A range is
 * then the OR of its buckets' chunks and `bit_count` gives the exact distinct count, at the cost of reading a few
 * hundred bytes per bucket instead of every event. Nums are handed out in order of first appearance, so one bucket's
 * sessions fall into one or two chunks.
 */
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** A PostgreSQL `bit varying`, read and written as its text form ("0101…"). */
const bitVarying = customType<{ data: string; driverData: string }>({ dataType: () => "bit varying" });

// No foreign key to projects, as on `events`: the per-row check on every new session, user and rollup row cost
// more than the rows' own index updates. storeEvents locks each project once per transaction instead, and
// deleteProjectData (server/pipeline/rollups/delete-project-events.ts) removes a project's rows from every table.
const projectId = () => uuid().notNull();

/** The last num handed out per project and kind (0 = session, 1 = user, 2 = person-link seq; rollup-layout.ts). */
export const analyticsIdCounters = pgTable(
  "analytics_id_counters",
  {
    projectId: projectId(),
    kind: smallint().notNull(),
    lastId: bigint({ mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ name: "analytics_id_counters_pkey", columns: [table.projectId, table.kind] })],
);

/** One row per session ever seen: its num and whole-session figures (for analytics.sessions). */
export const analyticsSessions = pgTable(
  "analytics_sessions",
  {
    projectId: projectId(),
    sessionId: text().notNull(),
    num: bigint({ mode: "number" }).notNull(),
    distinctId: text(),
    firstSeen: timestamp({ withTimezone: true }).notNull(),
    lastSeen: timestamp({ withTimezone: true }).notNull(),
    eventCount: bigint({ mode: "number" }).notNull(),
    entryPath: text(),
    exitPath: text(),
  },
  (table) => [
    primaryKey({ name: "analytics_sessions_pkey", columns: [table.projectId, table.sessionId] }),
    uniqueIndex("analytics_sessions_num_key").on(table.projectId, table.num),
    // analytics.sessions pages latest first (ties by id) among sessions that overlap the range: the index is the order.
    index("analytics_sessions_last_seen_idx").on(table.projectId, table.lastSeen.desc(), table.sessionId),
  ],
);

/** One row per distinct_id ever seen: its num and lifetime figures (for analytics.users). */
export const analyticsUsers = pgTable(
  "analytics_users",
  {
    projectId: projectId(),
    distinctId: text().notNull(),
    num: bigint({ mode: "number" }).notNull(),
    firstSeen: timestamp({ withTimezone: true }).notNull(),
    lastSeen: timestamp({ withTimezone: true }).notNull(),
    eventCount: bigint({ mode: "number" }).notNull(),
    sessionCount: bigint({ mode: "number" }).notNull().default(0),
    /** The id was the distinct_id of an identify event: it can never become another person's alias. */
    identified: boolean().notNull().default(false),
  },
  (table) => [
    primaryKey({ name: "analytics_users_pkey", columns: [table.projectId, table.distinctId] }),
    uniqueIndex("analytics_users_num_key").on(table.projectId, table.num),
    // analytics.users pages most active first.
    index("analytics_users_event_count_idx").on(table.projectId, table.eventCount.desc(), table.distinctId),
    // people.list pages the people seen most recently first.
    index("analytics_users_last_seen_idx").on(table.projectId, table.lastSeen.desc(), table.distinctId),
  ],
);

/** Which sessions each user had: makes analytics_users.session_count an exact distinct count. */
export const analyticsUserSessions = pgTable(
  "analytics_user_sessions",
  {
    projectId: projectId(),
    userNum: bigint({ mode: "number" }).notNull(),
    sessionNum: bigint({ mode: "number" }).notNull(),
  },
  (table) => [
    primaryKey({ name: "analytics_user_sessions_pkey", columns: [table.projectId, table.userNum, table.sessionNum] }),
  ],
);

/**
 * Event counts and session sets per bucket and dimension value. `size` is the bucket length in minutes (UTC aligned:
 * 15, 60, 1440; see rollup-layout.ts); `dimension` is 'all' (value '') or a breakdown dimension (event_name, path,
 * referrer, utm_*, browser, os, device). `chunk` is num / CHUNK_BITS and `sessions` the bits of that chunk; events without a session are counted
 * in chunk -1 with no bits. Summing `events` over chunks gives the bucket's count.
 */
export const analyticsRollups = pgTable(
  "analytics_rollups",
  {
    projectId: projectId(),
    dimension: text().notNull(),
    size: smallint().notNull(),
    bucket: timestamp({ withTimezone: true }).notNull(),
    value: text().notNull(),
    chunk: integer().notNull(),
    events: bigint({ mode: "number" }).notNull(),
    sessions: bitVarying(),
  },
  (table) => [
    primaryKey({
      name: "analytics_rollups_pkey",
      columns: [table.projectId, table.dimension, table.size, table.bucket, table.value, table.chunk],
    }),
  ],
);

/**
 * User sets per bucket, for dimension 'all' and 'event_name' (overview and topEvents report unique users), with
 * weeks (size 10080) besides the sizes of analytics_rollups: returning users scatter over the whole num space.
 */
export const analyticsUserRollups = pgTable(
  "analytics_user_rollups",
  {
    projectId: projectId(),
    dimension: text().notNull(),
    size: smallint().notNull(),
    bucket: timestamp({ withTimezone: true }).notNull(),
    value: text().notNull(),
    chunk: integer().notNull(),
    users: bitVarying().notNull(),
  },
  (table) => [
    primaryKey({
      name: "analytics_user_rollups_pkey",
      columns: [table.projectId, table.dimension, table.size, table.bucket, table.value, table.chunk],
    }),
  ],
);

/**
 * Identity links (server/pipeline/rollups/apply-person-links.ts): the anonymous id `alias_num` belongs to the person
 * `person_num`, both nums of analytics_users. Flat: a person_num is never itself an alias, so one lookup maps any
 * user num to its person (its own num when it has no row here). `seq` is handed out per project in link order
 * (analytics_id_counters kind LINK_KIND), so a reader can pick up the links made since the last it saw.
 * The query engine reads this table by these names: keep them.
 */
export const analyticsPersonLinks = pgTable(
  "analytics_person_links",
  {
    projectId: projectId(),
    aliasNum: bigint({ mode: "number" }).notNull(),
    personNum: bigint({ mode: "number" }).notNull(),
    seq: bigint({ mode: "number" }).notNull(),
    linkedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ name: "analytics_person_links_pkey", columns: [table.projectId, table.aliasNum] }),
    index("analytics_person_links_seq_idx").on(table.projectId, table.seq),
    // A person's aliases (people.get, people.events).
    index("analytics_person_links_person_idx").on(table.projectId, table.personNum),
  ],
);

/**
 * A person's traits (server/pipeline/rollups/apply-person-traits.ts), one row per person and key: `person_num` is
 * the person's num (its canonical id's, never an alias's: an alias's traits move to its person when it is linked).
 * Per key the event with the latest timestamp wins, so a late event never overwrites a newer value; an `$unset`
 * keeps its row with `unset` true and value null, so an older `$set` arriving later cannot bring the key back.
 */
export const analyticsPersonTraits = pgTable(
  "analytics_person_traits",
  {
    projectId: projectId(),
    personNum: bigint({ mode: "number" }).notNull(),
    key: text().notNull(),
    value: jsonb(),
    setAt: timestamp({ withTimezone: true }).notNull(),
    unset: boolean().notNull().default(false),
  },
  (table) => [
    primaryKey({ name: "analytics_person_traits_pkey", columns: [table.projectId, table.personNum, table.key] }),
  ],
);

/**
 * Ids of people deleted with people.delete (server/pipeline/people/delete-person.ts): until `expires_at` (the
 * deletion + SUPPRESSION_DAYS, shared/people.ts) the worker and the direct-write path drop events whose distinct_id
 * or `$anon_distinct_id` is one of them (server/pipeline/people/suppression.ts), so a late or queued event cannot
 * bring the person back. Holds the ids only, never their data.
 */
export const analyticsSuppressedIds = pgTable(
  "analytics_suppressed_ids",
  {
    projectId: projectId(),
    distinctId: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ name: "analytics_suppressed_ids_pkey", columns: [table.projectId, table.distinctId] })],
);
