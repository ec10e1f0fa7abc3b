/**
 * The one table of event dimensions: every column of an event that analytics can break down and filter on. Each
 * user derives its list from it, so a dimension is added here by one row (and, for a new events column, a migration
 * and a backfill) and nowhere else:
 *   - the API's `dimensionSchema` and `EventDimension` (shared/analytics.ts),
 *   - the filter and breakdown SQL over raw events, through `column` (server/analytics/event-filter-sql.ts),
 *   - the rollups, when `rolledUp`: `ROLLUP_DIMENSIONS` (server/analytics/rollup-layout.ts) and the row field
 *     applyRollups reads, `field` (server/pipeline/rollups/apply-rollups.ts; `RollupSourceRow` and
 *     `rollupSourceColumns` must carry it, which the type of DIMENSION_FIELDS and shared/dimensions.test.ts check),
 *   - the dashboard's labels, breakdown tabs and URL parser (client/src/lib/dimensions.ts, queries.ts,
 *     dashboard-state.ts).
 * shared/dimensions.test.ts fails for a half-added row. Zero dependencies, so the dashboard imports it without
 * pulling in zod; names are a contract (they travel in URLs and API calls and are stored in the rollups): add, never
 * rename.
 */

/** The dashboard's breakdown cards a dimension can appear in as a tab (titles in client/src/lib/queries.ts). */
export type BreakdownCardId = "pages" | "sources" | "technology" | "countries";

export interface DimensionSpec {
  /** The API name: in filters, `breakdown.dimension`, URLs and the rollups' `dimension` column. */
  readonly name: string;
  /** The events column it reads (SQL name). */
  readonly column: string;
  /** The same column as a field of the drizzle `events` table and of a rollup source row. */
  readonly field: string;
  /** Singular, as in a filter chip: "Page is /pricing". */
  readonly label: string;
  /**
   * What a missing value is called on screen (breakdown's `includeMissing` bucket, value ""): "(none)" where a
   * missing value means something (no referrer: direct traffic), "(not set)" where the data was not there (no user
   * agent).
   */
  readonly emptyLabel: string;
  /** Its tab in a breakdown card (tab label, list column header), or null when no card has it. */
  readonly breakdown: { readonly card: BreakdownCardId; readonly tab: string; readonly column: string } | null;
  /**
   * Counted in the rollups per hour and day with its session sets: unfiltered breakdowns and a single `eq` filter
   * read those; otherwise (and for every dimension that is not rolled up) raw events answer.
   */
  readonly rolledUp: boolean;
}

export const DIMENSIONS = [
  {
    name: "event_name",
    column: "event_name",
    field: "eventName",
    label: "Event",
    emptyLabel: "(none)",
    // The Top events card shows event names (with their users), not a breakdown tab.
    breakdown: null,
    rolledUp: true,
  },
  {
    name: "path",
    column: "path",
    field: "path",
    label: "Page",
    emptyLabel: "(none)",
    breakdown: { card: "pages", tab: "Pages", column: "Page" },
    rolledUp: true,
  },
  {
    name: "referrer",
    column: "referrer_host",
    field: "referrerHost",
    label: "Referrer",
    // No referrer: direct traffic.
    emptyLabel: "(none)",
    breakdown: { card: "sources", tab: "Referrers", column: "Referrer" },
    rolledUp: true,
  },
  {
    name: "utm_source",
    column: "utm_source",
    field: "utmSource",
    label: "UTM source",
    emptyLabel: "(none)",
    breakdown: { card: "sources", tab: "UTM source", column: "Source" },
    rolledUp: true,
  },
  {
    name: "utm_medium",
    column: "utm_medium",
    field: "utmMedium",
    label: "UTM medium",
    emptyLabel: "(none)",
    breakdown: { card: "sources", tab: "UTM medium", column: "Medium" },
    rolledUp: true,
  },
  {
    name: "utm_campaign",
    column: "utm_campaign",
    field: "utmCampaign",
    label: "UTM campaign",
    emptyLabel: "(none)",
    breakdown: { card: "sources", tab: "UTM campaign", column: "Campaign" },
    rolledUp: true,
  },
  {
    name: "browser",
    column: "browser",
    field: "browser",
    label: "Browser",
    emptyLabel: "(not set)",
    breakdown: { card: "technology", tab: "Browsers", column: "Browser" },
    rolledUp: true,
  },
  {
    name: "os",
    column: "os",
    field: "os",
    label: "OS",
    emptyLabel: "(not set)",
    breakdown: { card: "technology", tab: "Operating systems", column: "OS" },
    rolledUp: true,
  },
  {
    name: "device",
    column: "device",
    field: "device",
    label: "Device",
    emptyLabel: "(not set)",
    breakdown: { card: "technology", tab: "Devices", column: "Device" },
    rolledUp: true,
  },
  {
    // ISO 3166-1 alpha-2, derived at ingest from the client IP (server/http/ingest/country-lookup.ts). Events stored
    // before the column existed have none, so their rollups need no backfill (missing values are not rolled up).
    name: "country",
    column: "country",
    field: "country",
    label: "Country",
    emptyLabel: "(unknown)",
    breakdown: { card: "countries", tab: "Countries", column: "Country" },
    rolledUp: true,
  },
] as const satisfies readonly DimensionSpec[];

type DimensionRow = (typeof DIMENSIONS)[number];
export type EventDimension = DimensionRow["name"];
/** The rolled-up rows of the table. */
export type RolledUpDimensionRow = Extract<DimensionRow, { rolledUp: true }>;
export type RolledUpDimension = RolledUpDimensionRow["name"];

/** The dimension names in table order, as a tuple (zod's enum takes it as is). */
export const EVENT_DIMENSIONS = DIMENSIONS.map((d) => d.name) as unknown as NamesOf<typeof DIMENSIONS>;
type NamesOf<T extends readonly { name: string }[]> = {
  readonly [K in keyof T]: T[K] extends { name: infer N } ? N : never;
};

/** `property:<key>` reads `properties ->> <key>`; the key is 1 to MAX_PROPERTY_KEY_LENGTH characters. */
export const PROPERTY_PREFIX = "property:";
export const MAX_PROPERTY_KEY_LENGTH = 200;
export type Dimension = EventDimension | `property:${string}`;

const BY_NAME: ReadonlyMap<string, DimensionRow> = new Map(DIMENSIONS.map((d) => [d.name, d]));

/** The table row of an event dimension (undefined for property dimensions and unknown names). */
export function dimensionSpec(name: string): DimensionRow | undefined {
  return BY_NAME.get(name);
}

/** True for a name the API accepts as a dimension: a table row, or property:<key> with a key of 1-200 characters and no NUL. */
export function isDimension(name: string): name is Dimension {
  if (name.startsWith(PROPERTY_PREFIX)) {
    const keyLength = name.length - PROPERTY_PREFIX.length;
    return keyLength >= 1 && keyLength <= MAX_PROPERTY_KEY_LENGTH && !name.includes("\u0000");
  }
  return BY_NAME.has(name);
}
