/**
 * The one tRPC init file. Sections:
 *   1. Context: an inner context (services, user, session) that tests build directly, and an outer one that reads
 *      the HTTP request.
 *   2. Init: no transformer (dates cross the wire as ISO strings); the error formatter exposes zod issues. An
 *      internal error never shows its message (a failed query's carries its SQL and parameters): the client reads a
 *      generic one and `data.requestId`, the id of the X-Request-Id header and of the log line with the details.
 *   3. Procedures: public (refuses NUL in any input string, see shared/no-nul.ts), protected (narrows ctx.user),
 *      superuser, project (checks the caller's role on input.projectId once, for every call that takes one), team
 *      (the same on input.teamId), and dashboard reads (the numbers a share page or a read key may also read, for
 *      its own project only).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import type { Context as HonoContext } from "hono";
import { ZodError, z } from "zod";
import { PROPERTY_PREFIX } from "../../../shared/dimensions.ts";
import { findNul, NUL_MESSAGE } from "../../../shared/no-nul.ts";
import { roleAtLeast, type TeamRole } from "../../../shared/roles.ts";
import { readKeyOwnerSchema } from "../../../shared/sharing.ts";
import { type AuthSession, type AuthUser, authenticateRequest } from "../../auth/authenticate.ts";
import { effectiveRole } from "../../auth/effective-role.ts";
import { defaultPasswordHasher, type PasswordHasher } from "../../auth/passwords.ts";
import { findProjectAccess } from "../../queries/projects/find-project-access.ts";
import type { ReadKeyOwner } from "../../queries/sharing/create-read-key.ts";
import { readKeyReachesProject } from "../../queries/sharing/read-key-reaches-project.ts";
import { findTeamAccess } from "../../queries/teams/find-team-access.ts";
import type { Services } from "../../services.ts";
import { getClientIp } from "../middleware/client-ip.ts";
import { consumeRateLimit, type RateLimitOptions } from "./rate-limit.ts";
import { type ReadGrant, readGrantOfRequest } from "./read-grant.ts";

// ---------------------------------------------------------------------------------------------------------------
// 1. Context
// ---------------------------------------------------------------------------------------------------------------

export type InnerContext = {
  services: Services;
  /** The request's id (X-Request-Id), in error answers and log lines. */
  requestId: string;
  user: AuthUser | null;
  session: AuthSession | null;
  /** Why authentication failed, when a token was presented but refused (e.g. "revocation store unavailable"). */
  authFailure: string | null;
  clientIp: string;
  /** The raw access token presented (cookie or Bearer), read only by auth.logout. */
  accessToken: string | null;
  /** The raw refresh-token cookie, read only by auth.refresh. */
  refreshToken: string | null;
  /** True when the HTTP request carried several calls (a batch URL never carries the path-scoped refresh cookie). */
  isBatchCall: boolean;
  /** Password hashing (argon2id); tests inject a cheaper or counting one. */
  passwords: PasswordHasher;
  /** Headers added to the HTTP response (Set-Cookie). */
  resHeaders: Headers;
  /** Per-request rate-limit buckets already counted: a batch of calls counts once against them (see rateLimited). */
  rateLimitsCounted: Map<string, Promise<void>>;
  /** Aborts when the HTTP client goes away: its analytics statements are then cancelled in PostgreSQL. */
  signal: AbortSignal | null;
  /**
   * Read access that is not a login: a share page's session, or a read key (set only by the Stats API, which calls
   * procedures without HTTP). Only dashboardReadProcedure honours it; a request carrying one has no user.
   */
  grant: ReadGrant | null;
};

/** Builds a context without HTTP: what procedure tests use with createCaller. */
export function createInnerContext(
  services: Services,
  overrides: Partial<Omit<InnerContext, "services">> = {},
): InnerContext {
  return {
    services,
    requestId: crypto.randomUUID(),
    user: null,
    session: null,
    authFailure: null,
    clientIp: "test",
    accessToken: null,
    refreshToken: null,
    isBatchCall: false,
    passwords: defaultPasswordHasher,
    resHeaders: new Headers(),
    rateLimitsCounted: new Map(),
    signal: null,
    grant: null,
    ...overrides,
  };
}

/** A failure to build a request's context (e.g. the database is unreachable), carrying the request's id. */
class ContextFailure extends Error {
  constructor(
    readonly requestId: string,
    cause: unknown,
  ) {
    super("could not build the request context", { cause });
  }
}

/** The id of the request an error belongs to: from its context, or from the failure to build one. */
export function requestIdOf(ctx: InnerContext | undefined, error: TRPCError): string | undefined {
  return ctx?.requestId ?? (error.cause instanceof ContextFailure ? error.cause.requestId : undefined);
}

/** Builds the context of an HTTP call: authenticates the access token (cookie or Bearer) once per request. */
export async function createContext(
  services: Services,
  opts: FetchCreateContextFnOptions,
  c: HonoContext,
): Promise<InnerContext> {
  // Made by the app's request-id middleware, which also sets the response header.
  const requestId = c.get("requestId");
  let auth: Awaited<ReturnType<typeof authenticateRequest>>;
  let grant: Awaited<ReturnType<typeof readGrantOfRequest>>;
  try {
    // A share page's request reads as that share only, never as whoever is signed in in the same browser.
    grant = await readGrantOfRequest(services, opts.req.headers);
    auth =
      grant === null
        ? await authenticateRequest(services, opts.req.headers)
        : { user: null, session: null, failure: grant.failure, accessToken: null, refreshToken: null };
  } catch (error) {
    if (error instanceof TRPCError) throw error;
    throw new ContextFailure(requestId, error);
  }
  return {
    services,
    requestId,
    user: auth.user,
    session: auth.session,
    authFailure: auth.failure,
    clientIp: getClientIp(c, services.config.TRUST_PROXY),
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    isBatchCall: opts.info.isBatchCall,
    passwords: defaultPasswordHasher,
    resHeaders: opts.resHeaders,
    rateLimitsCounted: new Map(),
    signal: c.req.raw.signal,
    grant: grant?.grant ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Init
// ---------------------------------------------------------------------------------------------------------------

const INTERNAL_ERROR_MESSAGE = "Something went wrong on our side. Quote the request id if you report it.";

const t = initTRPC.context<InnerContext>().create({
  errorFormatter({ shape, error, ctx }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      return {
        ...shape,
        message: INTERNAL_ERROR_MESSAGE,
        data: { ...shape.data, zodIssues: null, stack: undefined, requestId: requestIdOf(ctx, error) ?? null },
      };
    }
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field-level problems for forms and API users; never a stack trace.
        zodIssues: error.cause instanceof ZodError ? error.cause.issues : null,
        stack: undefined,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

// ---------------------------------------------------------------------------------------------------------------
// 3. Procedures
// ---------------------------------------------------------------------------------------------------------------

/**
 * A middleware counting calls per client IP in the named bucket (see rate-limit.ts). With `perRequest`, one HTTP
 * request counts once however many calls it batches: a dashboard view loads a dozen queries in one request, and
 * counting each would spend a minute's allowance on a few clicks. Every call of the batch shares the verdict.
 */
export const rateLimited = (options: RateLimitOptions & { perRequest?: boolean }) =>
  t.middleware(async ({ ctx, next }) => {
    if (!options.perRequest) {
      await consumeRateLimit(ctx, options);
      return next();
    }
    let counted = ctx.rateLimitsCounted.get(options.name);
    if (!counted) {
      counted = consumeRateLimit(ctx, options);
      ctx.rateLimitsCounted.set(options.name, counted);
    }
    await counted;
    return next();
  });

/**
 * Refuses an input holding NUL in any string or member name (shared/no-nul.ts) before any schema reads it, as a
 * BAD_REQUEST whose zod issue names the field.
 */
const refuseNul = t.middleware(async ({ getRawInput, next }) => {
  const path = findNul(await getRawInput());
  if (path) {
    // Made by a parse, as tRPC's own input errors are (zod 4's ZodError built by hand is no Error, which tRPC rewraps).
    const cause = z
      .any()
      .superRefine((_, ctx) => ctx.addIssue({ code: "custom", path, message: NUL_MESSAGE }))
      .safeParse(null).error;
    throw new TRPCError({ code: "BAD_REQUEST", message: `${path.join(".") || "input"}: ${NUL_MESSAGE}`, cause });
  }
  return next();
});

/**
 * Open to anyone, rate limited per IP at RATE_LIMIT_PER_MINUTE requests (a batch is one request); no input string
 * may hold NUL.
 */
export const publicProcedure = t.procedure.use(rateLimited({ name: "default", perRequest: true })).use(refuseNul);

/** Requires a valid, unrevoked access token; narrows ctx.user and ctx.session. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.session) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authFailure ?? "Sign in to continue." });
  }
  return next({ ctx: { ...ctx, user: ctx.user, session: ctx.session } });
});

/** Requires the superuser. */
export const superuserProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.isSuperuser) throw new TRPCError({ code: "FORBIDDEN", message: "Only the administrator can do this." });
  return next({ ctx });
});

function refuseBelow(held: TeamRole, needed: TeamRole, what: string): void {
  if (!roleAtLeast(held, needed))
    throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${needed} role on ${what}.` });
}

/**
 * THE project middleware. Requires the caller to hold at least `role` in the team of the project named by
 * `input[field]`, read in one statement (project, membership, superuser flag: findProjectAccess). A project the
 * caller cannot see (no membership in its team) answers NOT_FOUND exactly like a missing one, so project ids cannot
 * be probed; one the caller sees with too small a role answers FORBIDDEN. The project row is passed on as
 * ctx.project and the caller's role as ctx.projectRole. One implementation serves both spellings: analytics calls
 * take `projectId`, the projects router takes `id`.
 */
function projectRoleProcedureOn<Field extends "projectId" | "id">(field: Field, role: TeamRole) {
  return protectedProcedure
    .input(z.object({ [field]: z.uuid({ message: `${field} must be a UUID` }) } as Record<Field, z.ZodUUID>))
    .use(async ({ ctx, input, next }) => {
      const access = await requireProjectRole(ctx, ctx.user, (input as Record<Field, string>)[field], role);
      return next({ ctx: { ...ctx, ...access } });
    });
}

/** The one membership check: the project and the caller's role on it, or NOT_FOUND / FORBIDDEN (see above). */
async function requireProjectRole(ctx: InnerContext, user: AuthUser, projectId: string, role: TeamRole) {
  const access = await findProjectAccess(ctx.services.db, { projectId, userId: user.id });
  const projectRole = access && effectiveRole(access);
  if (!access || !projectRole) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found." });
  refuseBelow(projectRole, role, "the project's team");
  return { project: access.project, projectRole };
}

/** For calls that take `{ projectId }` and need at least `role` (goals and cohorts: editor; shares, keys: admin). */
export const projectRoleProcedure = (role: TeamRole) => projectRoleProcedureOn("projectId", role);
/** For calls that take `{ projectId }` and read (analytics, live feed tickets): any member, viewer and up. */
export const projectProcedure = projectRoleProcedure("viewer");
/** For the projects router, whose calls take `{ id }`, needing at least `role`. */
export const projectByIdRoleProcedure = (role: TeamRole) => projectRoleProcedureOn("id", role);
/** For the projects router's reads. */
export const projectByIdProcedure = projectByIdRoleProcedure("viewer");

/**
 * The same rule for calls that take `{ teamId }` (the teams and audit routers): NOT_FOUND for a team the caller is
 * not in (or a missing one), FORBIDDEN below `role`; ctx.team and ctx.teamRole are passed on.
 */
export const teamRoleProcedure = (role: TeamRole) =>
  protectedProcedure
    .input(z.object({ teamId: z.uuid({ message: "teamId must be a UUID" }) }))
    .use(async ({ ctx, input, next }) => {
      const access = await requireTeamRole(ctx, ctx.user, input.teamId, role);
      return next({ ctx: { ...ctx, ...access } });
    });

/** The team rule (above) as one function: the team and the caller's roles on it, or NOT_FOUND / FORBIDDEN. */
async function requireTeamRole(ctx: InnerContext, user: AuthUser, teamId: string, role: TeamRole) {
  const access = await findTeamAccess(ctx.services.db, { teamId, userId: user.id });
  const teamRole = access && effectiveRole(access);
  if (!access || !teamRole) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found." });
  refuseBelow(teamRole, role, "this team");
  return { team: access.team, teamRole, teamMemberRole: access.memberRole };
}

/**
 * For read keys (apiKeys.*), which belong to a project (`{ projectId }`, the project rule) or to a whole team
 * (`{ teamId }`, the team rule), each needing at least `role`. ctx.keyOwner names the owner as stored, and
 * ctx.auditScope the team (and project) its audit entries go to.
 */
export const readKeyOwnerProcedure = (role: TeamRole) =>
  protectedProcedure.input(readKeyOwnerSchema).use(async ({ ctx, input, next }) => {
    if (input.projectId !== undefined) {
      const { project } = await requireProjectRole(ctx, ctx.user, input.projectId, role);
      const keyOwner: ReadKeyOwner = { projectId: project.id, teamId: null };
      return next({ ctx: { ...ctx, keyOwner, auditScope: { teamId: project.teamId, projectId: project.id } } });
    }
    const { team } = await requireTeamRole(ctx, ctx.user, input.teamId as string, role);
    const keyOwner: ReadKeyOwner = { projectId: null, teamId: team.id };
    return next({ ctx: { ...ctx, keyOwner, auditScope: { teamId: team.id, projectId: null } } });
  });

const SHARE_PROPERTY_BREAKDOWN_MESSAGE =
  "A share link shows no breakdown by a custom property: its values (an email, a name) may name a person.";

/** True when a call's input lists the values of a custom property (a breakdown's or a funnel's `breakdown`). */
function breaksDownByProperty(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return false;
  const { dimension, breakdown } = raw as { dimension?: unknown; breakdown?: unknown };
  return [dimension, breakdown].some((value) => typeof value === "string" && value.startsWith(PROPERTY_PREFIX));
}

/**
 * The dashboard's numbers (overview, timeseries, top events, breakdowns, current visitors, funnel, retention, paths,
 * goals and their figures; a share gets goals without their filters, see routers/goals.ts):
 * readable by a member (viewer and up, as projectProcedure), by a share page's session and by a read key with
 * `stats:read`, each of the last two for its own project only (a team read key: the projects of its team) (any other id answers NOT_FOUND, like a missing
 * project). A share may not list a custom property's values (a breakdown by `property:…`), which may be emails or
 * names. Nothing that names a person is built on it: sessions, users, funnel people, people.* and the live feed
 * stay on projectProcedure, which a share or a read key never passes (their requests carry no user).
 */
export const dashboardReadProcedure = publicProcedure
  .input(z.object({ projectId: z.uuid({ message: "projectId must be a UUID" }) }))
  .use(async ({ ctx, input, getRawInput, next }) => {
    const { grant } = ctx;
    if (grant) {
      if (grant.kind === "readKey" && !grant.scopes.includes("stats:read")) {
        throw new TRPCError({ code: "FORBIDDEN", message: "This read key lacks the stats:read scope." });
      }
      if (grant.kind === "share" && breaksDownByProperty(await getRawInput())) {
        throw new TRPCError({ code: "FORBIDDEN", message: SHARE_PROPERTY_BREAKDOWN_MESSAGE });
      }
      const reaches =
        grant.kind === "share"
          ? grant.projectId === input.projectId
          : await readKeyReachesProject(ctx.services.db, grant, input.projectId);
      if (!reaches) throw new TRPCError({ code: "NOT_FOUND", message: "Project not found." });
      return next({ ctx });
    }
    if (!ctx.user || !ctx.session) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authFailure ?? "Sign in to continue." });
    }
    await requireProjectRole(ctx, ctx.user, input.projectId, "viewer");
    return next({ ctx });
  });
