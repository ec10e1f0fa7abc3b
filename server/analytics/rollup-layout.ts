/**
 * The layout of the analytics rollups (see server/db/schema/rollups.ts), shared by the writer (applyRollups, the
 * direct seed) and the readers (server/analytics). Changing any constant here changes what stored rows
 * mean: it needs a migration that rebuilds the rollups. A dimension newly marked `rolledUp` in the dimension table
 * needs a backfill of its rows from the stored events (the readers only trust rollups of a complete dimension).
 */
import { type SQL, sql } from "drizzle-orm";
import { DIMENSIONS, type RolledUpDimensionRow } from "../../shared/dimensions.ts";

/** Bits per stored chunk of a session/user set: 512 bytes, below PostgreSQL's TOAST threshold. */
export const CHUNK_BITS = 4096;

/**
 * Bucket sizes in minutes, all aligned to UTC. Quarter hours exist only for the totals ('all'): they let day
 * buckets of zones such as +05:30 and +05:45 be built from rollups; breakdown dimensions keep hours and days.
 */
export const QUARTER = 15;
export const HOUR = 60;
export const DAY = 1440;
export const WEEK = 10_080;
export const TOTAL_SIZES = [QUARTER, HOUR, DAY] as const;
export const DIMENSION_SIZES = [HOUR, DAY] as const;
/**
 * User sets also keep weeks (aligned to the Unix epoch, a Thursday). Users, unlike sessions, come back: a day's users
 * are spread over every chunk of the num space, so a month of day-level user sets is tens of thousands of rows;
 * weeks cut that about sevenfold. Session sets stay compact (a bucket's sessions are mostly new, so adjacent nums).
 */
export const USER_TOTAL_SIZES = [QUARTER, HOUR, DAY, WEEK] as const;
export const USER_DIMENSION_SIZES = [HOUR, DAY, WEEK] as const;

/**
 * Rolled-up breakdown dimensions and the events column each reads: the rows of the dimension table
 * (shared/dimensions.ts) marked `rolledUp`. 'all' (value '') holds the totals.
 */
export const ROLLUP_DIMENSIONS = Object.fromEntries(
  DIMENSIONS.filter((d) => d.rolledUp).map((d) => [d.name, d.column]),
) as { readonly [D in RolledUpDimensionRow as D["name"]]: D["column"] };
export type RollupDimension = keyof typeof ROLLUP_DIMENSIONS;
/** The field of a rollup source row (server/pipeline/rollups/apply-rollups.ts) each rolled-up dimension reads. */
export const ROLLUP_DIMENSION_FIELDS = Object.fromEntries(
  DIMENSIONS.filter((d) => d.rolledUp).map((d) => [d.name, d.field]),
) as { readonly [D in RolledUpDimensionRow as D["name"]]: D["field"] };
export const ALL_DIMENSION = "all";

/** Dimensions that also keep user sets (overview and topEvents report unique users), at their usual sizes. */
export const USER_SET_DIMENSIONS = [ALL_DIMENSION, "event_name"] as const;

/** Counter kinds in analytics_id_counters. */
export const SESSION_KIND = 0;
export const USER_KIND = 1;
/** The seq of analytics_person_links, one counter per project. */
export const LINK_KIND = 2;
/**
 * How many writes deleted analytics_users rows (people.delete, retention removing a person, a project's events
 * deleted): user nums are never reused, so this is how a reader caching the set of live nums (cohort-evaluations.ts)
 * learns that nums left it.
 */
export const USER_REMOVAL_KIND = 3;

/** The start of the UTC bucket of `size` minutes holding `ms`. */
export function bucketStart(ms: number, size: number): number {
  const length = size * 60_000;
  return Math.floor(ms / length) * length;
}

/**
 * How a session or user num is stored: in chunk `num / CHUNK_BITS` of its bucket's set, as bit `num % CHUNK_BITS`
 * of that chunk, bit 0 the leftmost (PostgreSQL's bit-string order). The writer (applyRollups) and the readers
 * (server/analytics) encode through these, in JS and in SQL.
 */
export function chunkOf(num: number): number {
  return Math.floor(num / CHUNK_BITS);
}

/** The bit position of `num` inside its chunk (see chunkOf). */
export function bitOf(num: number): number {
  return num % CHUNK_BITS;
}

/** A chunk's bitmap as PostgreSQL's hex bit-string input (`('x' || hex)::bit(CHUNK_BITS)`), from bit positions. */
export function chunkHex(positions: Iterable<number>): string {
  const bytes = new Uint8Array(CHUNK_BITS / 8);
  for (const position of positions) bytes[position >> 3]! |= 0x80 >> (position & 7);
  return Buffer.from(bytes.buffer).toString("hex");
}

/** CHUNK_BITS as an SQL literal (not a parameter), so PostgreSQL folds what it is used in once per statement. */
export const CHUNK_BITS_SQL = sql.raw(String(CHUNK_BITS));

/**
 * A chunk with only its first bit set; `>> bit` moves the bit to `bit`. A literal, so PostgreSQL folds it once per
 * statement instead of building a 4,096-bit string per member.
 */
export const FIRST_BIT_SQL = sql.raw(`B'1'::bit(${CHUNK_BITS})`);

/** SQL: the chunk holding the member `num` (chunkOf). */
export function memberChunkSql(num: SQL): SQL {
  return sql`(${num} / ${CHUNK_BITS_SQL})::int`;
}

/** SQL: the bit position of the member `num` inside its chunk (bitOf), for get_bit. */
export function memberBitPositionSql(num: SQL): SQL {
  return sql`(${num} % ${CHUNK_BITS_SQL})::int`;
}

/** SQL: the member `num` as a chunk with its one bit set (bitOf), as bit varying so it ORs with stored chunks. */
export function memberBitSql(num: SQL): SQL {
  return sql`(${FIRST_BIT_SQL} >> ${memberBitPositionSql(num)})::bit varying`;
}
