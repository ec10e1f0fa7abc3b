/**
 * Every page of the dashboard, in one place. Pages load lazily so the first page downloads only what it shows;
 * signed-in sections share a layout that sends signed-out visitors to /login and back.
 */
import type { RouteDefinition } from "@solidjs/router";
import { lazy } from "solid-js";

const SignedInLayout = lazy(() => import("./components/signed-in-layout.tsx"));

export const routes: RouteDefinition[] = [
  { path: "/", component: lazy(() => import("./pages/landing.tsx")) },
  { path: "/login", component: lazy(() => import("./pages/login.tsx")) },
  { path: "/register", component: lazy(() => import("./pages/register.tsx")) },
  { path: "/forgot-password", component: lazy(() => import("./pages/forgot-password.tsx")) },
  { path: "/reset-password/:token", component: lazy(() => import("./pages/reset-password.tsx")) },
  // A shared dashboard: no login; the server serves it only for a live share token.
  { path: "/share/:token", component: lazy(() => import("./pages/share.tsx")) },
  {
    path: "/projects",
    component: SignedInLayout,
    children: [
      { path: "/", component: lazy(() => import("./pages/projects.tsx")) },
      { path: "/:id", component: lazy(() => import("./pages/dashboard.tsx")) },
      { path: "/:id/funnels", component: lazy(() => import("./pages/funnels.tsx")) },
      { path: "/:id/settings", component: lazy(() => import("./pages/project-settings.tsx")) },
      { path: "/:id/retention", component: lazy(() => import("./pages/retention.tsx")) },
      { path: "/:id/paths", component: lazy(() => import("./pages/paths.tsx")) },
      { path: "/:id/people", component: lazy(() => import("./pages/people.tsx")) },
      { path: "/:id/people/:distinctId", component: lazy(() => import("./pages/person.tsx")) },
      { path: "/:id/cohorts", component: lazy(() => import("./pages/cohorts.tsx")) },
    ],
  },
  {
    path: "/teams",
    component: SignedInLayout,
    children: [
      { path: "/", component: lazy(() => import("./pages/teams.tsx")) },
      { path: "/:id", component: lazy(() => import("./pages/team.tsx")) },
      { path: "/:id/audit", component: lazy(() => import("./pages/team-audit.tsx")) },
    ],
  },
  { path: "/invite/:token", component: lazy(() => import("./pages/invite.tsx")) },
  {
    path: "/account",
    component: SignedInLayout,
    children: [{ path: "/", component: lazy(() => import("./pages/account.tsx")) }],
  },
  {
    path: "/admin",
    component: SignedInLayout,
    children: [{ path: "/users", component: lazy(() => import("./pages/admin-users.tsx")) }],
  },
  { path: "*404", component: lazy(() => import("./pages/not-found.tsx")) },
];
