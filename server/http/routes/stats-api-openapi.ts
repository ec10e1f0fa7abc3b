/**
 * The Stats API's part of the OpenAPI document (openapi.ts): one GET operation per endpoint of STATS_ENDPOINTS, its
 * query parameters generated from the input schema of the tRPC procedure it calls (so their enums, bounds and
 * formats are the ones enforced), JSON parameters (filters, steps, start) as `content: application/json`, and the
 * answers from shared/stats-api.ts. Security: a read key as a bearer token (`readKey`), which Swagger UI's Authorize
 * button fills in.
 */
import { type ZodType, z } from "zod";
import {
  analyticsInputSchema,
  breakdownInputSchema,
  timeseriesInputSchema,
  topEventsInputSchema,
} from "../../../shared/analytics.ts";
import { funnelInputSchema } from "../../../shared/funnel.ts";
import { pathsInputSchema } from "../../../shared/paths.ts";
import { realtimeInputSchema } from "../../../shared/realtime.ts";
import { retentionInputSchema } from "../../../shared/retention.ts";
import {
  statsAggregateSchema,
  statsBreakdownSchema,
  statsFunnelSchema,
  statsPathsSchema,
  statsRealtimeSchema,
  statsRetentionSchema,
  statsTimeseriesSchema,
  statsTopEventsSchema,
} from "../../../shared/stats-api.ts";
import { RAW_DATA_FROM_HEADER, STATS_PARAMETERS, type StatsEndpoint } from "./stats-api.ts";

interface EndpointDoc {
  procedure: string;
  summary: string;
  input: ZodType;
  output: ZodType;
  outputId: string;
}

const ENDPOINT_DOCS: Record<StatsEndpoint, EndpointDoc> = {
  aggregate: {
    procedure: "analytics.overview",
    summary: "Totals of a period (events, sessions, users, top event) and of the period before",
    input: analyticsInputSchema,
    output: statsAggregateSchema,
    outputId: "StatsAggregate",
  },
  timeseries: {
    procedure: "analytics.timeseries",
    summary: "Events and sessions per hour or day",
    input: timeseriesInputSchema,
    output: statsTimeseriesSchema,
    outputId: "StatsTimeseries",
  },
  breakdown: {
    procedure: "analytics.breakdown",
    summary: "Events and sessions per value of a dimension (page, source, country, a property…)",
    input: breakdownInputSchema,
    output: statsBreakdownSchema,
    outputId: "StatsBreakdown",
  },
  "top-events": {
    procedure: "analytics.topEvents",
    summary: "The most frequent events",
    input: topEventsInputSchema,
    output: statsTopEventsSchema,
    outputId: "StatsTopEvents",
  },
  realtime: {
    procedure: "analytics.realtime",
    summary: "Sessions with an event in the last five minutes",
    input: realtimeInputSchema,
    output: statsRealtimeSchema,
    outputId: "StatsRealtime",
  },
  funnel: {
    procedure: "analytics.funnel",
    summary: "How many reach each step of a funnel, in order, within a window",
    input: funnelInputSchema,
    output: statsFunnelSchema,
    outputId: "StatsFunnel",
  },
  retention: {
    procedure: "analytics.retention",
    summary: "Cohorts by first event and how many come back in each later interval",
    input: retentionInputSchema,
    output: statsRetentionSchema,
    outputId: "StatsRetention",
  },
  paths: {
    procedure: "analytics.paths",
    summary: "The pages or events sessions go through after (or before) a start",
    input: pathsInputSchema,
    output: statsPathsSchema,
    outputId: "StatsPaths",
  },
};

const strip = (schema: Record<string, unknown>) => {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
};

/** The query parameters of one endpoint, from its procedure's input schema. */
function parametersOf(input: ZodType) {
  const json = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as {
    properties: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(STATS_PARAMETERS)
    .filter(([, { field }]) => field in json.properties)
    .map(([name, { field, kind }]) => {
      const schema = json.properties[field]!;
      const { description, ...rest } = schema;
      const text = typeof description === "string" ? description : undefined;
      return {
        name,
        in: "query",
        required: json.required?.includes(field) ?? false,
        ...(text ? { description: text } : {}),
        ...(kind === "json" ? { content: { "application/json": { schema: rest } } } : { schema: rest }),
      };
    });
}

/** Component schemas of the answers (to merge into components.schemas). */
export function statsComponentSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const doc of Object.values(ENDPOINT_DOCS)) {
    out[doc.outputId] = strip(z.toJSONSchema(doc.output, { io: "output" }) as Record<string, unknown>);
  }
  return out;
}

export const STATS_SECURITY_SCHEME = {
  readKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "read_…",
    description:
      "A read key made in the project's settings, or on its team's page for every project of the team (scope stats:read; events:export for the export).",
  },
} as const;

/** The Stats API's paths. `errorResponse` and `ref` are the document's own helpers. */
export function statsPaths(
  ref: (id: string) => unknown,
  errorResponse: (description: string, headers?: Record<string, unknown>) => unknown,
  retryAfter: Record<string, unknown>,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [endpoint, doc] of Object.entries(ENDPOINT_DOCS)) {
    paths[`/api/v1/stats/${endpoint}`] = {
      get: {
        operationId: `stats_${endpoint.replace("-", "_")}`,
        tags: ["Stats API"],
        summary: doc.summary,
        description:
          `Answers exactly what the dashboard's tRPC procedure \`${doc.procedure}\` answers for the same input ` +
          "(parameters in snake_case). A range is `period`, or `from` (and optionally `to`); `filters` is a JSON " +
          'array such as `[{"dimension":"country","op":"eq","value":"DE"}]`.',
        security: [{ readKey: [] }],
        parameters: parametersOf(doc.input),
        responses: {
          "200": {
            description: "The answer.",
            headers: {
              [RAW_DATA_FROM_HEADER]: {
                description:
                  "Only for a project with a retention: the instant raw events are kept from (ISO 8601), as rawDataFrom in object answers. Per-event figures of a range starting before it cover only this instant on.",
                schema: { type: "string", format: "date-time" },
              },
            },
            content: { "application/json": { schema: ref(doc.outputId) } },
          },
          "400": errorResponse("A parameter is missing, unknown or not valid: the message starts with its name."),
          "401": errorResponse("No read key, or an unknown or revoked one."),
          "403": errorResponse("The read key lacks the stats:read scope."),
          "404": errorResponse("Not the read key's project (or no such project)."),
          "408": errorResponse("The answer took longer than the statement timeout: narrow the range or the filters."),
          "412": errorResponse("This analysis is available once the project's upgrade backfill finishes."),
          "429": errorResponse("The read key's calls per minute (STATS_RATE_LIMIT_PER_MINUTE) are spent.", retryAfter),
        },
      },
    };
  }
  return paths;
}
