/**
 * Every read of the dashboard, declared once as a queryOptions factory. Components never write query keys inline:
 * keys are built here so invalidation (after a mutation, or when the live feed sees new events) can target a whole
 * family, e.g. every analytics read of one project.
 */
import { infiniteQueryOptions, queryOptions } from "@tanstack/solid-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/http/trpc/root.ts";
import { DEFAULT_LIST_LIMIT } from "../../../shared/analytics-constants.ts";
import { type BreakdownCardId, DIMENSIONS } from "../../../shared/dimensions.ts";
import { rememberCohortNames } from "./cohort-names.ts";
import { type AnalyticsRange, refetchIntervalOf } from "./dashboard-state.ts";

import { trpc } from "./trpc.ts";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type User = RouterOutputs["auth"]["me"];
export type Project = RouterOutputs["projects"]["get"];
export type Overview = RouterOutputs["analytics"]["overview"];
export type Timeseries = RouterOutputs["analytics"]["timeseries"];
export type BreakdownRow = RouterOutputs["analytics"]["breakdown"][number];
export type TopEvent = RouterOutputs["analytics"]["topEvents"][number];
export type SessionRow = RouterOutputs["analytics"]["sessions"]["items"][number];
export type UserRow = RouterOutputs["analytics"]["users"]["items"][number];
export type PersonRow = RouterOutputs["people"]["list"]["items"][number];
export type Person = RouterOutputs["people"]["get"];
export type PersonEvent = RouterOutputs["people"]["events"]["items"][number];
export type Goal = RouterOutputs["goals"]["list"][number];
export type GoalStats = RouterOutputs["analytics"]["goals"]["goals"][number];

type BreakdownRowOfTable = Extract<(typeof DIMENSIONS)[number], { breakdown: object }>;
export type BreakdownDimension = BreakdownRowOfTable["name"];

/** The breakdown tabs, in the dimension table's order (shared/dimensions.ts). */
export const BREAKDOWN_DIMENSIONS = DIMENSIONS.filter((d): d is BreakdownRowOfTable => d.breakdown !== null).map(
  (d) => ({ value: d.name, label: d.breakdown.tab, column: d.breakdown.column, card: d.breakdown.card }),
);

const BREAKDOWN_CARD_TITLES: Record<BreakdownCardId, string> = {
  pages: "Pages",
  sources: "Sources",
  technology: "Technology",
  countries: "Countries",
};
/** The dashboard's breakdown cards, each with the tabs the dimension table gives it. */
export const BREAKDOWN_CARDS = (Object.keys(BREAKDOWN_CARD_TITLES) as BreakdownCardId[]).map((id) => ({
  id,
  title: BREAKDOWN_CARD_TITLES[id],
  dimensions: BREAKDOWN_DIMENSIONS.filter((d) => d.card === id).map((d) => d.value),
}));

export const keys = {
  me: () => ["auth", "me"] as const,
  projects: () => ["projects"] as const,
  projectList: () => ["projects", "list"] as const,
  project: (id: string) => ["projects", "get", id] as const,
  analytics: (projectId: string) => ["analytics", projectId] as const,
  goals: (projectId: string) => ["goals", projectId] as const,
  adminUsers: () => ["users"] as const,
  teams: () => ["teams"] as const,
  teamMembers: (teamId: string) => ["teams", "members", teamId] as const,
  teamInvitations: (teamId: string) => ["teams", "invitations", teamId] as const,
  shares: (projectId: string) => ["shares", projectId] as const,
  readKeys: (owner: ReadKeyOwner) => ["apiKeys", owner] as const,
};

export type Team = RouterOutputs["teams"]["list"][number];

export const teamListQuery = () => queryOptions({ queryKey: keys.teams(), queryFn: () => trpc.teams.list.query() });

export const sharesQuery = (projectId: string) =>
  queryOptions({ queryKey: keys.shares(projectId), queryFn: () => trpc.shares.list.query({ projectId }) });

/** Whose read keys: a project's, or a team's (reading every project of the team). */
export type ReadKeyOwner = { projectId: string } | { teamId: string };

export const readKeysQuery = (owner: ReadKeyOwner) =>
  queryOptions({ queryKey: keys.readKeys(owner), queryFn: () => trpc.apiKeys.list.query(owner) });

export const meQuery = () =>
  queryOptions({ queryKey: keys.me(), queryFn: () => trpc.auth.me.query(), staleTime: 5 * 60_000 });

export const projectListQuery = () =>
  queryOptions({ queryKey: keys.projectList(), queryFn: () => trpc.projects.list.query() });

export const projectQuery = (id: string) =>
  queryOptions({ queryKey: keys.project(id), queryFn: () => trpc.projects.get.query({ id }) });

/** Ingest refuses timestamps over 365 days old, so a project that received anything this past year has an event here. */
const ALL_TIME_MS = 366 * 86_400_000;

/** Whether the project ever received an event (the empty state shows setup instructions instead of charts). */
export const projectActivityQuery = (projectId: string, timezone: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "activity", timezone] as const,
    // The range is computed when the query runs, so the key stays stable.
    // topEvents, not overview: it reads the rollups alone, while overview's visit metrics would walk a year of events.
    queryFn: () =>
      trpc.analytics.topEvents.query({
        projectId,
        from: new Date(Date.now() - ALL_TIME_MS).toISOString(),
        timezone,
        limit: 1,
      }),
    select: (top) => top.length > 0,
  });

export const overviewQuery = (projectId: string, range: AnalyticsRange) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "overview", range] as const,
    queryFn: () => trpc.analytics.overview.query({ projectId, ...range }),
    refetchInterval: refetchIntervalOf(range),
  });

export const timeseriesQuery = (projectId: string, range: AnalyticsRange) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "timeseries", range] as const,
    queryFn: () => trpc.analytics.timeseries.query({ projectId, ...range }),
    refetchInterval: refetchIntervalOf(range),
  });

export const topEventsQuery = (projectId: string, range: AnalyticsRange) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "topEvents", range] as const,
    queryFn: () => trpc.analytics.topEvents.query({ projectId, ...range, limit: DEFAULT_LIST_LIMIT }),
    refetchInterval: refetchIntervalOf(range),
  });

/**
 * Breakdowns that rank their missing bucket ("(none)": direct traffic; "(not set)": no user agent). Pages leave it
 * out (events without a path are backend events, not pages); countries show known countries only.
 */
const MISSING_SHOWN: ReadonlySet<string> = new Set([
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "browser",
  "os",
  "device",
]);

export const breakdownQuery = (projectId: string, range: AnalyticsRange, dimension: BreakdownDimension) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "breakdown", dimension, range] as const,
    queryFn: () =>
      trpc.analytics.breakdown.query({
        projectId,
        ...range,
        dimension,
        limit: DEFAULT_LIST_LIMIT,
        includeMissing: MISSING_SHOWN.has(dimension),
        // The Pages tab shows page views, so it ranks by them.
        orderBy: dimension === "path" ? "pageviews" : "count",
      }),
    refetchInterval: refetchIntervalOf(range),
  });

/** Entry or exit pages: the first or last page of each visit. */
export const entryExitPagesQuery = (projectId: string, range: AnalyticsRange, side: "entry" | "exit") =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "entryExitPages", side, range] as const,
    queryFn: () => trpc.analytics.entryExitPages.query({ projectId, ...range, side, limit: DEFAULT_LIST_LIMIT }),
    refetchInterval: refetchIntervalOf(range),
  });

/** How often the current visitors count refreshes without new events (visitors leave the 5-minute window). */
const REALTIME_REFRESH_MS = 30_000;

/**
 * Sessions with an event in the last five minutes. Under the project's analytics key, so the live feed's refresh
 * after new events updates it too; between events it refreshes every 30 s while the tab is visible.
 */
export const realtimeQuery = (projectId: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "realtime"] as const,
    queryFn: () => trpc.analytics.realtime.query({ projectId }),
    refetchInterval: REALTIME_REFRESH_MS,
  });

/** The project's goals (goals.list): a key of their own, so the refresh after new events leaves them alone. */
export const goalsListQuery = (projectId: string) =>
  queryOptions({
    queryKey: [...keys.goals(projectId), "list"] as const,
    queryFn: () => trpc.goals.list.query({ projectId }),
  });

/** The Goals card's figures over the range and filters. */
export const goalStatsQuery = (projectId: string, range: AnalyticsRange) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "goals", range] as const,
    queryFn: () => trpc.analytics.goals.query({ projectId, ...range }),
    refetchInterval: refetchIntervalOf(range),
  });

export const TABLE_PAGE_SIZE = 20;

/** A page of sessions: the first without a cursor, each later one from the previous page's nextCursor. */
export const sessionsQuery = (projectId: string, range: AnalyticsRange, cursor: string | undefined) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "sessions", range, cursor ?? null] as const,
    queryFn: () => trpc.analytics.sessions.query({ projectId, ...range, limit: TABLE_PAGE_SIZE, cursor }),
    placeholderData: (previous) => previous,
    // Later pages stay put while read; the first page follows a live range.
    refetchInterval: cursor === undefined ? refetchIntervalOf(range) : false,
  });

/** A page of users, paged by cursor like sessionsQuery. */
export const usersQuery = (projectId: string, range: AnalyticsRange, cursor: string | undefined) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "users", range, cursor ?? null] as const,
    queryFn: () => trpc.analytics.users.query({ projectId, ...range, limit: TABLE_PAGE_SIZE, cursor }),
    placeholderData: (previous) => previous,
    // Later pages stay put while read; the first page follows a live range.
    refetchInterval: cursor === undefined ? refetchIntervalOf(range) : false,
  });

export const ADMIN_PAGE_SIZE = 25;

export const adminUsersQuery = (page: number) =>
  queryOptions({
    queryKey: [...keys.adminUsers(), "list", page] as const,
    queryFn: () => trpc.users.list.query({ limit: ADMIN_PAGE_SIZE, offset: page * ADMIN_PAGE_SIZE }),
    placeholderData: (previous) => previous,
  });

/** What the People page lists: everyone (no range), narrowed by a search text and filters. */
export type PeopleView = { search?: string; filters?: AnalyticsRange["filters"] };

/** A page of people, most recently seen first, paged by cursor like sessionsQuery. */
export const peopleQuery = (projectId: string, view: PeopleView, cursor: string | undefined) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "people", "list", view, cursor ?? null] as const,
    queryFn: () =>
      trpc.people.list.query({
        projectId,
        search: view.search || undefined,
        filters: view.filters,
        limit: TABLE_PAGE_SIZE,
        cursor,
      }),
    placeholderData: (previous) => previous,
  });

/** One person, found under any of its ids. */
export const personQuery = (projectId: string, distinctId: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "people", "get", distinctId] as const,
    queryFn: () => trpc.people.get.query({ projectId, distinctId }),
  });

/** A person's events under all its ids, newest first, fifty a page; each next page from the last one's cursor. */
export const personEventsQuery = (projectId: string, distinctId: string) =>
  infiniteQueryOptions({
    queryKey: [...keys.analytics(projectId), "people", "events", distinctId] as const,
    queryFn: ({ pageParam }) => trpc.people.events.query({ projectId, distinctId, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export type CohortItem = RouterOutputs["cohorts"]["list"]["items"][number];

/**
 * The project's cohorts with their size now and at `from` (the start of the range; 30 days ago by default). Under
 * the analytics key: sizes change with new events. Fills the names cohort filter chips show.
 */
/** The project's cohort ids and names (no sizes: nothing is evaluated), which also name cohort filter chips. */
export const cohortNamesQuery = (projectId: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "cohorts", "names"] as const,
    queryFn: async () => {
      const names = await trpc.cohorts.names.query({ projectId });
      rememberCohortNames(names.items);
      return names;
    },
  });

export const cohortsQuery = (projectId: string, from?: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "cohorts", "list", from ?? null] as const,
    queryFn: async () => {
      const list = await trpc.cohorts.list.query({
        projectId,
        from: from ?? new Date(Date.now() - 30 * 86_400_000).toISOString(),
      });
      rememberCohortNames(list.items);
      return list;
    },
  });
