/**
 * Where one stored event counts in the rollups: its quarter hour ('all'), its hour per rolled-up dimension value,
 * and for an event with a user the user sets of its quarter hour and its event name's hour; the larger buckets are
 * folded from those. Shared by applyRollups (which adds a batch) and deletePerson (which takes a person's sessions
 * out and puts back what remains of them), so both count an event in exactly the same cells.
 */
import {
  ALL_DIMENSION,
  bucketStart,
  DIMENSION_SIZES,
  HOUR,
  QUARTER,
  ROLLUP_DIMENSION_FIELDS,
  ROLLUP_DIMENSIONS,
  type RollupDimension,
  USER_DIMENSION_SIZES,
} from "../../analytics/rollup-layout.ts";
import type { RollupAccumulator } from "./rollup-accumulator.ts";
import type { RollupSourceRow } from "./rollup-source-row.ts";
import { nonEmpty } from "./session-user-aggregates.ts";

// From the dimension table (shared/dimensions.ts): this type fails to compile when a rolled-up row names a field
// RollupSourceRow lacks.
const DIMENSION_FIELDS: Record<RollupDimension, keyof RollupSourceRow> = ROLLUP_DIMENSION_FIELDS;
const DIMENSIONS = Object.keys(ROLLUP_DIMENSIONS) as RollupDimension[];

/** Adds one event (at `t`, epoch ms) to the smallest bucket of each set; foldEventCells fills the larger ones. */
export function addEventCells(
  rollups: RollupAccumulator,
  userRollups: RollupAccumulator,
  row: RollupSourceRow,
  t: number,
  sessionNum: number | undefined,
  userNum: number | undefined,
): void {
  rollups.cell(row.projectId, QUARTER, bucketStart(t, QUARTER), sessionNum).add(ALL_DIMENSION, "", sessionNum);
  const hourCell = rollups.cell(row.projectId, HOUR, bucketStart(t, HOUR), sessionNum);
  for (const dimension of DIMENSIONS) {
    const value = nonEmpty(row[DIMENSION_FIELDS[dimension]] as string | null);
    if (value !== null) hourCell.add(dimension, value, sessionNum);
  }
  if (userNum !== undefined) {
    userRollups.cell(row.projectId, QUARTER, bucketStart(t, QUARTER), userNum).add(ALL_DIMENSION, "", userNum);
    const eventName = nonEmpty(row.eventName);
    if (eventName !== null)
      userRollups.cell(row.projectId, HOUR, bucketStart(t, HOUR), userNum).add("event_name", eventName, userNum);
  }
}

/** Folds the smallest buckets up the layout's sizes (call once, after the last addEventCells). */
export function foldEventCells(rollups: RollupAccumulator, userRollups: RollupAccumulator): void {
  rollups.foldUp(QUARTER, [HOUR]);
  rollups.foldUp(HOUR, DIMENSION_SIZES.slice(1));
  userRollups.foldUp(QUARTER, [HOUR]);
  userRollups.foldUp(HOUR, USER_DIMENSION_SIZES.slice(1));
}
