/**
 * Names of a segment's columns (analytics_segment_columns.name) and the fields a source row must carry for them.
 * A dimension's column is named like the dimension (shared/dimensions.ts), so a new dimension row gets its column in
 * new segments at once, and the backfill (backfill.ts) adds it to the old ones. System columns start with '$', which
 * no dimension name does; property columns are 'p:' + the key.
 */
import { DIMENSIONS } from "../../../shared/dimensions.ts";

export const TS_COLUMN = "$ts";
export const SESSION_COLUMN = "$session";
export const USER_COLUMN = "$user";
export const INSERT_ID_COLUMN = "$insert_id";
export const PROPERTY_COLUMN_PREFIX = "p:";

/** Every dimension of the table, with the events field its column is built from. */
export const SEGMENT_DIMENSIONS: ReadonlyArray<{ name: string; field: string }> = DIMENSIONS.map((d) => ({
  name: d.name,
  field: d.field,
}));

export const propertyColumn = (key: string) => PROPERTY_COLUMN_PREFIX + key;

/** Most events one segment holds (the compactor merges small segments up to this). */
export const SEGMENT_CAPACITY = 65_536;
