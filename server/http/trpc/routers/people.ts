/**
 * People of one project, any member of its team: projectProcedure answers NOT_FOUND outside it, and an id the
 * project never saw is NOT_FOUND too (never another project's person). Inputs are validated by shared/people.ts;
 * analyticsLimits bounds the work as for analytics reads; the work is in server/analytics/people, one query each.
 * Reads carry rawDataFrom: with a retention, a person's figures and events start there (README "Data retention").
 */
import { TRPCError } from "@trpc/server";
import type { WithRawDataFrom } from "../../../../shared/analytics.ts";
import {
  type PeoplePage,
  type Person,
  type PersonDeleted,
  type PersonEventsPage,
  peopleListInputSchema,
  personDeleteInputSchema,
  personEventsInputSchema,
  personInputSchema,
} from "../../../../shared/people.ts";
import { getPerson } from "../../../analytics/people/get-person.ts";
import { getPersonEvents } from "../../../analytics/people/get-person-events.ts";
import { listPeople } from "../../../analytics/people/list-people.ts";
import { withRawDataFrom } from "../../../analytics/raw-data-from.ts";
import { deletePerson } from "../../../pipeline/people/delete-person.ts";
import { recordPrivacyAudit } from "../../privacy-audit.ts";
import { analyticsLimits } from "../analytics-limits.ts";
import { createTRPCRouter, projectProcedure, projectRoleProcedure } from "../init.ts";

function found<T>(value: T | null): T {
  if (value === null) throw new TRPCError({ code: "NOT_FOUND", message: "No person with this id in this project." });
  return value;
}

export const peopleRouter = createTRPCRouter({
  list: projectProcedure
    .input(peopleListInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<PeoplePage>> => {
      const now = Date.now();
      return withRawDataFrom(ctx.db, input.projectId, listPeople(ctx.db, input, now, ctx.services.engine), now);
    }),

  get: projectProcedure
    .input(personInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<WithRawDataFrom<Person>> =>
        withRawDataFrom(ctx.db, input.projectId, getPerson(ctx.db, input).then(found)),
    ),

  events: projectProcedure
    .input(personEventsInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<WithRawDataFrom<PersonEventsPage>> =>
        withRawDataFrom(ctx.db, input.projectId, getPersonEvents(ctx.db, input).then(found)),
    ),

  /** GDPR erasure: the person under every id, and every figure counting them (delete-person.ts). Admin only. */
  delete: projectRoleProcedure("admin")
    .input(personDeleteInputSchema)
    .mutation(async ({ ctx, input }): Promise<PersonDeleted> => {
      const started = performance.now();
      const steps: Record<string, number> = {};
      const deleted = found(
        await deletePerson(ctx.services.db, input, { onStep: (step, ms) => (steps[step] = Math.round(ms)) }),
      );
      // Where the time went (ms per step), for operators; counts only, never the person's ids.
      ctx.services.logger.info("people.delete done", {
        project: input.projectId,
        events: deleted.events,
        ms: Math.round(performance.now() - started),
        steps,
      });
      // Audit call site "person.deleted" (who, when, which project; never the person's ids or data).
      await recordPrivacyAudit(ctx.services.db, {
        action: "person.deleted",
        userId: ctx.user.id,
        project: ctx.project,
      });
      return {
        distinctIds: deleted.distinctIds,
        events: deleted.events,
        sessions: deleted.sessions,
        suppressedUntil: deleted.suppressedUntil.toISOString(),
      };
    }),
});
