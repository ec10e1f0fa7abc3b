/**
 * The root tRPC router. `AppRouter` is the type the dashboard and API users compile against; procedure names are
 * a contract (see the issues): add routers here, never rename their procedures.
 */
import { createCallerFactory, createTRPCRouter } from "./init.ts";
import { analyticsRouter } from "./routers/analytics.ts";
import { authRouter } from "./routers/auth.ts";
import { cohortsRouter } from "./routers/cohorts.ts";
import { peopleRouter } from "./routers/people.ts";
import { projectsRouter } from "./routers/projects.ts";
import { usersRouter } from "./routers/users.ts";

export const appRouter = createTRPCRouter({
  analytics: analyticsRouter,
  auth: authRouter,
  cohorts: cohortsRouter,
  people: peopleRouter,
  projects: projectsRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

/** For tests and scripts: call procedures without HTTP. */
export const createCaller = createCallerFactory(appRouter);
