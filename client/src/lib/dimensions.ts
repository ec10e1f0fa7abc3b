/**
 * How filter dimensions, filter ops and empty values are named on screen: read from the dimension table
 * (shared/dimensions.ts) and the analytics constants, so a dimension or op added there is labelled here too.
 */
import { FILTER_OP_LABELS, type FilterOp } from "../../../shared/analytics-constants.ts";
import { dimensionSpec, PROPERTY_PREFIX } from "../../../shared/dimensions.ts";
import type { Filter } from "./dashboard-state.ts";

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

/** A filter as a chip reads it: "Page is not /docs", "Browser is set", "Page is one of /a, /b". */
export function describeFilter(filter: Filter): string {
  const head = `${dimensionLabel(filter.dimension)} ${opLabel(filter.op)}`;
  if (filter.op === "in") return `${head} ${filter.values.join(", ")}`;
  return "value" in filter ? `${head} ${filter.value}` : head;
}
