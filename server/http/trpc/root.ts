/**
 * The root tRPC router. `AppRouter` is the type the dashboard and API users compile against; procedure names are
 * a contract (see the issues): add routers here, never rename their procedures.
 */
import { createCallerFactory, createTRPCRouter } from "./init.ts";
import { analyticsRouter } from "./routers/analytics.ts";
import { apiKeysRouter } from "./routers/api-keys.ts";
import { auditRouter } from "./routers/audit.ts";
import { authRouter } from "./routers/auth.ts";
import { cohortsRouter } from "./routers/cohorts.ts";
import { goalsRouter } from "./routers/goals.ts";
import { peopleRouter } from "./routers/people.ts";
import { projectsRouter } from "./routers/projects.ts";
import { sharesRouter } from "./routers/shares.ts";
import { teamsRouter } from "./routers/teams.ts";
import { usersRouter } from "./routers/users.ts";

export const appRouter = createTRPCRouter({
  analytics: analyticsRouter,
  audit: auditRouter,
  auth: authRouter,
  goals: goalsRouter,
  cohorts: cohortsRouter,
  people: peopleRouter,
  projects: projectsRouter,
  teams: teamsRouter,
  apiKeys: apiKeysRouter,
  shares: sharesRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

/** For tests and scripts: call procedures without HTTP. */
export const createCaller = createCallerFactory(appRouter);
