/**
 * The projects contract: inputs of the `projects.*` tRPC procedures and the project object they return. Depended on
 * by the server's projects router, the dashboard (project forms, the API key dialog) and API users. Names are a
 * contract: add, never rename.
 *
 * API keys look like `proj_` + 43 base64url characters (32 random bytes). The server keeps only their SHA-256 and a
 * short display prefix (`apiKeyPrefix`, e.g. `proj_AbCd1234`); the full key is returned exactly once, by `create`
 * and `rotateKey`, and rotating it makes the old key stop working at once.
 */
import { z } from "zod";
import type { TeamRole } from "./roles.ts";

export const API_KEY_PREFIX = "proj_";

export const projectNameSchema = z
  .string()
  .trim()
  .min(1, { message: "Name the project." })
  .max(100, { message: "A project name is at most 100 characters." });

const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A hostname such as `example.com` or `shop.example.co.uk`: no scheme, port, path or spaces. Normalised to lower
 * case without a trailing dot. Internationalised names are entered in their `xn--` form.
 */
export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value) => value.replace(/\.$/, ""))
  .refine((value) => value.length >= 1 && value.length <= 253, { message: "Enter a domain such as example.com." })
  .refine((value) => !/[/:@?#\s]/.test(value), {
    message: "Enter the domain only (example.com), without https://, a port or a path.",
  })
  .refine((value) => value.split(".").every((label) => HOSTNAME_LABEL.test(label)), {
    message: "A domain is made of letters, digits and hyphens separated by dots (example.com).",
  });

/** `teamId`: the team the project belongs to (the caller needs the admin role there); absent: the personal team. */
export const createProjectInputSchema = z.object({
  name: projectNameSchema,
  domain: domainSchema.nullish(),
  teamId: z.uuid({ message: "teamId must be a UUID" }).optional(),
});
export type CreateProjectInput = z.infer<typeof createProjectInputSchema>;

/**
 * How long raw events are kept, in days; null keeps them forever (the default). Events older than that are removed
 * by the worker's maintenance loop in bounded batches (server/pipeline/retention/apply-retention.ts); a person whose
 * events are all older looks new when they come back.
 */
export const RETENTION_DAYS = [30, 90, 180, 365, 730] as const;
export type RetentionDays = (typeof RETENTION_DAYS)[number];

/** The start of the UTC day `days` days before `now` (ms): with a retention of `days`, nothing before it is kept. */
export function retentionHorizon(now: number, days: number): number {
  const DAY_MS = 86_400_000;
  return Math.floor((now - days * DAY_MS) / DAY_MS) * DAY_MS;
}

export const retentionDaysSchema = z
  .union(
    RETENTION_DAYS.map((days) => z.literal(days)),
    { error: `retentionDays is one of ${RETENTION_DAYS.join(", ")} or null (forever).` },
  )
  .nullable();

/**
 * `domain: null` clears the domain; an absent field leaves it unchanged. `botFiltering: false` stores events from
 * bots and crawlers as any other, from the next batch the worker stores on; `true` (every project's default) drops
 * them again, counting each in the overview's `botEventsFiltered`.
 */
export const updateProjectInputSchema = z.object({
  id: z.uuid({ message: "id must be a UUID" }),
  name: projectNameSchema.optional(),
  domain: domainSchema.nullish(),
  botFiltering: z.boolean({ message: "botFiltering must be true or false" }).optional(),
  retentionDays: retentionDaysSchema.optional(),
  /** With a retention: keep the rollups of removed events (unfiltered figures of older ranges stay). */
  keepAggregatesPastRetention: z.boolean({ error: "keepAggregatesPastRetention is true or false." }).optional(),
});
export type UpdateProjectInput = z.infer<typeof updateProjectInputSchema>;

export const projectIdInputSchema = z.object({ id: z.uuid({ message: "id must be a UUID" }) });
export type ProjectIdInput = z.infer<typeof projectIdInputSchema>;

/** A project as every procedure returns it. Dates are ISO 8601 strings. */
export interface Project {
  id: string;
  name: string;
  domain: string | null;
  /** The first characters of the API key, for recognising it (`proj_AbCd1234`). */
  apiKeyPrefix: string;
  /** The team the project belongs to, and the caller's role there (what the dashboard may offer them). */
  teamId: string;
  role: TeamRole;
  /** Whether events from bots and crawlers are dropped (true unless turned off). */
  botFiltering: boolean;
  /** Days raw events are kept; null = forever. */
  retentionDays: RetentionDays | null;
  keepAggregatesPastRetention: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A project in projects.list, with its team's name. */
export interface ProjectListItem extends Project {
  teamName: string;
}

/** What `create` and `rotateKey` return: the only time the full key is ever shown. */
export interface ProjectWithApiKey {
  project: Project;
  apiKey: string;
}
