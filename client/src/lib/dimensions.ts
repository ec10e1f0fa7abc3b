/**
 * How filter dimensions, filter ops and empty values are named on screen: read from the dimension table
 * (shared/dimensions.ts) and the analytics constants, so a dimension or op added there is labelled here too.
 */
import { FILTER_OP_LABELS, type FilterOp } from "../../../shared/analytics-constants.ts";
import { dimensionSpec, PROPERTY_PREFIX } from "../../../shared/dimensions.ts";
import { cohortLabel } from "./cohort-names.ts";
import { type Filter, isCohortFilter } from "./dashboard-state.ts";

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

/** A filter as a chip reads it: "Page is not /docs", "Browser is set", "Page is one of /a, /b", "In cohort Buyers". */
export function describeFilter(filter: Filter): string {
  if (isCohortFilter(filter)) return `${filter.op === "in" ? "In" : "Not in"} cohort ${cohortLabel(filter.value)}`;
  const head = `${dimensionLabel(filter.dimension)} ${opLabel(filter.op)}`;
  if (filter.op === "in") return `${head} ${filter.values.join(", ")}`;
  return "value" in filter ? `${head} ${filter.value}` : head;
}
