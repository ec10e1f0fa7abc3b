/**
 * The cohort oracle (not used by production code): a cohort definition's members from plain SQL over raw events,
 * analytics_users (the id's num), analytics_person_links (alias -> person) and analytics_person_traits, written
 * without the engine or the evaluator's helpers: per condition a GROUP BY person with HAVING-style tests in JS sets,
 * groups combined as sets. Register its members' ids with registerOracleCohort (filter-oracle.ts) to make the
 * cohort filter's oracle read `distinct_id in (...)`.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import type { CohortCondition, CohortDefinition } from "../../shared/cohorts.ts";
import { type Database, queryRows } from "../db/client.ts";
import { cohorts } from "../db/schema/index.ts";
import { ORACLE_BASE, ORACLE_DAYS, oracleFilterSql, registerOracleCohort } from "./filter-oracle.ts";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The person num of every id of the project. */
async function personOfIds(db: Database, projectId: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ distinct_id: string; person: string | number }>(
    db,
    sql`select u.distinct_id, coalesce(l.person_num, u.num) as person
          from analytics_users u
          left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
         where u.project_id = ${projectId}::uuid`,
  );
  return new Map(rows.map((r) => [r.distinct_id, Number(r.person)]));
}

/** The cohort's members at `at`: person nums, and every id (aliases included) of them. */
export async function oracleCohortMembers(
  db: Database,
  projectId: string,
  definition: CohortDefinition,
  at: number,
): Promise<{ persons: Set<number>; ids: string[] }> {
  const personOf = await personOfIds(db, projectId);
  const everyone = new Set(personOf.values());
  const persons = await evaluate(db, projectId, definition, at, everyone);
  const ids = [...personOf].filter(([, person]) => persons.has(person)).map(([id]) => id);
  return { persons, ids: ids.sort() };
}

/** Canonical ids of the persons (the id whose num is the person's). */
export async function oracleCanonicalIds(db: Database, projectId: string, persons: Set<number>): Promise<string[]> {
  const rows = await queryRows<{ distinct_id: string; num: string | number }>(
    db,
    sql`select distinct_id, num from analytics_users where project_id = ${projectId}::uuid`,
  );
  return rows
    .filter((r) => persons.has(Number(r.num)))
    .map((r) => r.distinct_id)
    .sort();
}

async function evaluate(
  db: Database,
  projectId: string,
  definition: CohortDefinition,
  at: number,
  everyone: Set<number>,
): Promise<Set<number>> {
  const union = new Set<number>();
  for (const group of definition.groups) {
    let members = new Set(everyone);
    for (const condition of group.conditions) {
      const holds = await conditionHolds(db, projectId, condition, at, everyone);
      members = new Set([...members].filter((p) => holds.has(p)));
    }
    for (const p of members) union.add(p);
  }
  return union;
}

async function conditionHolds(
  db: Database,
  projectId: string,
  condition: CohortCondition,
  at: number,
  everyone: Set<number>,
): Promise<Set<number>> {
  switch (condition.type) {
    case "performed":
    case "not_performed": {
      const [from, to] =
        condition.window.kind === "relative"
          ? [at - condition.window.days * DAY, at]
          : [Date.parse(condition.window.from), Date.parse(condition.window.to)];
      const filters: SQL[] = (condition.filters ?? []).map(oracleFilterSql);
      const rows = await queryRows<{ person: string | number; n: string | number }>(
        db,
        sql`select coalesce(l.person_num, u.num) as person, count(*) as n
              from (select * from events
                     where project_id = ${projectId}::uuid and event_name = ${condition.event}::text
                       and timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz
                       ${filters.length ? sql`and ${sql.join(filters, sql` and `)}` : sql``}) ev
              join analytics_users u on u.project_id = ev.project_id and u.distinct_id = ev.distinct_id
              left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
             group by 1`,
      );
      const counts = new Map(rows.map((r) => [Number(r.person), Number(r.n)]));
      const test = (n: number) => {
        if (condition.type === "not_performed") return n === 0;
        if (condition.operator === "at_least") return n >= condition.count;
        if (condition.operator === "at_most") return n <= condition.count;
        return n === condition.count;
      };
      return new Set([...everyone].filter((p) => test(counts.get(p) ?? 0)));
    }
    case "trait": {
      const value = condition.value ?? "";
      const escaped = value.toLowerCase().replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_");
      const text = sql`(t.value #>> '{}')`;
      const test =
        condition.op === "is_set"
          ? sql`${text} is not null and ${text} <> ''`
          : condition.op === "contains"
            ? sql`${text} is not null and lower(${text}) like ${`%${escaped}%`}::text`
            : sql`${text} is not null and ${text} = ${value}::text`;
      const rows = await queryRows<{ person: string | number }>(
        db,
        sql`select coalesce(l.person_num, t.person_num) as person
              from analytics_person_traits t
              left join analytics_person_links l on l.project_id = t.project_id and l.alias_num = t.person_num
             where t.project_id = ${projectId}::uuid and t.key = ${condition.key}::text and t.unset = false and ${test}`,
      );
      const matching = new Set(rows.map((r) => Number(r.person)));
      return new Set([...everyone].filter((p) => matching.has(p) !== (condition.op === "neq")));
    }
    case "cohort": {
      const [row] = await queryRows<{ definition: CohortDefinition }>(
        db,
        sql`select definition from cohorts where project_id = ${projectId}::uuid and id = ${condition.cohortId}::uuid`,
      );
      if (!row) throw new Error(`oracle: no cohort ${condition.cohortId}`);
      const definition = typeof row.definition === "string" ? JSON.parse(row.definition) : row.definition;
      const other = await evaluate(db, projectId, definition, at, everyone);
      return new Set([...everyone].filter((p) => other.has(p) === (condition.op === "in")));
    }
  }
}

const ORACLE_RANGE = { kind: "range" as const, from: iso(ORACLE_BASE), to: iso(ORACLE_BASE + ORACLE_DAYS * DAY) };
/** Cohorts over the filter oracle's data (filter-oracle.ts), under fixed ids (cohorts are keyed by project too). */
const ORACLE_COHORTS: Array<{ id: string; name: string; definition: CohortDefinition }> = [
  {
    id: "0193a000-0000-7000-8000-000000000001",
    name: "signed up twice",
    definition: {
      groups: [
        { conditions: [{ type: "performed", event: "signup", operator: "at_least", count: 2, window: ORACLE_RANGE }] },
      ],
    },
  },
  {
    id: "0193a000-0000-7000-8000-000000000002",
    name: "read the docs, or never signed up",
    definition: {
      groups: [
        {
          conditions: [
            {
              type: "performed",
              event: "page_view",
              filters: [{ dimension: "path", op: "contains", value: "doc" }],
              operator: "at_least",
              count: 1,
              window: ORACLE_RANGE,
            },
          ],
        },
        { conditions: [{ type: "not_performed", event: "signup", window: ORACLE_RANGE }] },
      ],
    },
  },
  {
    id: "0193a000-0000-7000-8000-000000000003",
    name: "gold tier",
    definition: { groups: [{ conditions: [{ type: "trait", key: "tier", op: "eq", value: "gold" }] }] },
  },
];
const [SIGNED_UP_TWICE, DOCS_OR_NO_SIGNUP, GOLD_TIER] = ORACLE_COHORTS.map((cohort) => cohort.id) as [
  string,
  string,
  string,
];

/** The cohort filter cases of describeFilterOracle: in, not in, and with other filters. Needs prepareOracleCohorts. */
export const COHORT_CASES: ReadonlyArray<{ name: string; filters: AnalyticsFilter[]; breakdown: string }> = [
  { name: "cohort in", filters: [{ dimension: "cohort", op: "in", value: SIGNED_UP_TWICE }], breakdown: "path" },
  { name: "cohort not_in", filters: [{ dimension: "cohort", op: "not_in", value: SIGNED_UP_TWICE }], breakdown: "os" },
  {
    name: "cohort in with other filters",
    filters: [
      { dimension: "cohort", op: "in", value: DOCS_OR_NO_SIGNUP },
      { dimension: "path", op: "neq", value: "/pricing" },
      { dimension: "property:plan", op: "neq", value: "pro" },
    ],
    breakdown: "path",
  },
  { name: "trait cohort in", filters: [{ dimension: "cohort", op: "in", value: GOLD_TIER }], breakdown: "browser" },
  {
    name: "trait cohort not_in with another filter",
    filters: [
      { dimension: "cohort", op: "not_in", value: GOLD_TIER },
      { dimension: "browser", op: "eq", value: "Chrome" },
    ],
    breakdown: "path",
  },
];

/** Saves the oracle's cohorts in the project (as cohorts.create would) and registers their members with the oracle. */
export async function prepareOracleCohorts(db: Database, projectId: string): Promise<void> {
  for (const cohort of ORACLE_COHORTS) {
    await db.insert(cohorts).values({ projectId, ...cohort });
    const { ids } = await oracleCohortMembers(db, projectId, cohort.definition, Date.now());
    if (ids.length === 0) throw new Error(`oracle cohort ${cohort.name} is empty: the case would prove nothing`);
    registerOracleCohort(cohort.id, ids);
  }
}
