/**
 * The root tRPC router. `AppRouter` is the type the dashboard and API users compile against; procedure names are
 * a contract (see the issues): add routers here, never rename their procedures.
 */
import { createCallerFactory, createTRPCRouter } from "./init.ts";

export const appRouter = createTRPCRouter({});

export type AppRouter = typeof appRouter;

/** For tests and scripts: call procedures without HTTP. */
export const createCaller = createCallerFactory(appRouter);
