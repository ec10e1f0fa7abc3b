/**
 * SQL for dimensions and filters over raw events (alias `e`). Values and property keys are bound parameters, never
 * pasted into the query text; dimensions come from a closed list, the dimension table (shared/dimensions.ts), whose
 * `column` names the events column each reads.
 */
import { type SQL, sql } from "drizzle-orm";
import { type AnalyticsFilter, type CohortFilter, isCohortFilter } from "../../shared/analytics.ts";
import { DIMENSIONS, type Dimension, type EventDimension, PROPERTY_PREFIX } from "../../shared/dimensions.ts";
import { cohortMembersOf } from "./cohort-filter-members.ts";

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

/**
 * `true` and every filter, ANDed: the reference semantics of shared/analytics.ts's AnalyticsFilter. Every value is
 * compared as text (a property through ->>, so "42" matches 42 and "42", "true" matches true). `neq` and
 * `not_contains` keep events where the dimension is missing (null never equals or contains anything); `contains` is
 * a literal, case-insensitive substring (strpos, not LIKE: %, _ and backslashes mean themselves); set means not null
 * and not empty; `in` matches a value equal to any of the list (bound as one text[] parameter), never a missing one.
 */
export function filtersSql(filters: readonly AnalyticsFilter[] | undefined): SQL {
  const conditions = (filters ?? []).map((filter) => {
    if (isCohortFilter(filter)) return cohortFilterSql(filter);
    const expr = dimensionSql(filter.dimension);
    switch (filter.op) {
      case "eq":
        return sql`${expr} = ${filter.value}::text`;
      case "neq":
        return sql`${expr} is distinct from ${filter.value}::text`;
      case "contains":
        return sql`strpos(lower(${expr}), lower(${filter.value}::text)) > 0`;
      case "not_contains":
        return sql`coalesce(strpos(lower(${expr}), lower(${filter.value}::text)) = 0, true)`;
      case "is_set":
        return sql`coalesce(${expr} <> '', false)`;
      case "not_set":
        return sql`coalesce(${expr} = '', true)`;
      case "in":
        return sql`${expr} = any(${textArrayLiteral(filter.values)}::text[])`;
      default: {
        const unknown: never = filter;
        throw new Error(`unknown filter op ${(unknown as AnalyticsFilter).op}`);
      }
    }
  });
  return conditions.length ? sql.join(conditions, sql` and `) : sql`true`;
}

/**
 * A cohort filter over raw events: the event's id is (or is not) one of the members' user nums, given as a bitmap
 * (bit n of byte n / 8, least significant first, as get_bit on bytea reads it). Events without an id are in no cohort.
 */
function cohortFilterSql(filter: CohortFilter): SQL {
  const members = cohortMembersOf(filter);
  const bitmap = new Uint8Array((members.length + 7) >> 3);
  for (let num = 0; num < members.length; num++) if (members[num] !== 0) bitmap[num >> 3]! |= 1 << (num & 7);
  const bits = Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength);
  const member = sql`exists (select 1 from analytics_users cohort_u
                              where cohort_u.project_id = e.project_id and cohort_u.distinct_id = e.distinct_id
                                and cohort_u.num < ${bitmap.length * 8}
                                and get_bit(${bits}::bytea, cohort_u.num::int) = 1)`;
  return filter.op === "in" ? member : sql`not ${member}`;
}

/**
 * A PostgreSQL array literal of `values` ({"a","b\"c"}), bound as one parameter: the same text on both drivers
 * (postgres.js and PGlite serialize a JS array each their own way). Inside double quotes only `"` and `\` are special.
 */
function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}
