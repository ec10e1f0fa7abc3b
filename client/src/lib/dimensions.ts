/**
 * How filter dimensions, filter ops and empty values are named on screen: read from the dimension table
 * (shared/dimensions.ts) and the analytics constants, so a dimension or op added there is labelled here too.
 */
import { FILTER_OP_LABELS, type FilterOp } from "../../../shared/analytics-constants.ts";
import { dimensionSpec, PROPERTY_PREFIX } from "../../../shared/dimensions.ts";

export function dimensionLabel(dimension: string): string {
  if (dimension.startsWith(PROPERTY_PREFIX)) return `Property ${dimension.slice(PROPERTY_PREFIX.length)}`;
  return dimensionSpec(dimension)?.label ?? dimension;
}

export function opLabel(op: FilterOp): string {
  return FILTER_OP_LABELS[op];
}

/** The text for a missing value (no referrer means a direct visit). */
export function emptyValueLabel(dimension: string): string {
  return dimensionSpec(dimension)?.emptyLabel ?? "(none)";
}
