/**
 * SQL for dimensions and filters over raw events (alias `e`). Values and property keys are bound parameters, never
 * pasted into the query text; dimensions come from a closed list, the dimension table (shared/dimensions.ts), whose
 * `column` names the events column each reads.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import { DIMENSIONS, type Dimension, type EventDimension, PROPERTY_PREFIX } from "../../shared/dimensions.ts";

const COLUMNS = Object.fromEntries(DIMENSIONS.map((d) => [d.name, sql`e.${sql.identifier(d.column)}`])) as Record<
  EventDimension,
  SQL
>;

/** The text expression a dimension reads from an event row `e`. */
export function dimensionSql(dimension: Dimension): SQL {
  if (dimension.startsWith(PROPERTY_PREFIX)) {
    return sql`(e.properties ->> ${dimension.slice(PROPERTY_PREFIX.length)}::text)`;
  }
  return COLUMNS[dimension as EventDimension];
}

/** `true` and every filter, ANDed. `neq` keeps events where the dimension is missing; `contains` ignores case. */
export function filtersSql(filters: readonly AnalyticsFilter[] | undefined): SQL {
  const conditions = (filters ?? []).map((filter) => {
    const expr = dimensionSql(filter.dimension);
    switch (filter.op) {
      case "eq":
        return sql`${expr} = ${filter.value}::text`;
      case "neq":
        return sql`${expr} is distinct from ${filter.value}::text`;
      case "contains":
        return sql`strpos(lower(${expr}), lower(${filter.value}::text)) > 0`;
      default:
        throw new Error(`unknown filter op ${filter.op satisfies never}`);
    }
  });
  return conditions.length ? sql.join(conditions, sql` and `) : sql`true`;
}
