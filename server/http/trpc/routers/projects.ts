/**
 * Projects of the caller's teams. Every call that takes an id goes through projectByIdRoleProcedure (init.ts): a
 * project outside the caller's teams answers NOT_FOUND like a missing one; reads need viewer, settings and key
 * rotation admin, deletion owner. API keys are generated, hashed and announced in server/auth/api-keys.ts; the full
 * key is returned by create and rotateKey only. Changes are written to the team's audit log.
 */
import { TRPCError } from "@trpc/server";
import {
  createProjectInputSchema,
  type Project,
  type ProjectListItem,
  type ProjectWithApiKey,
  updateProjectInputSchema,
} from "../../../../shared/projects.ts";
import { roleAtLeast, type TeamRole } from "../../../../shared/roles.ts";
import { publishAccessRevoked } from "../../../auth/access-revoked.ts";
import { announceApiKeyChange, generateApiKey } from "../../../auth/api-keys.ts";
import { effectiveRole } from "../../../auth/effective-role.ts";
import { recordAudit } from "../../../queries/audit/record-audit.ts";
import { createProject } from "../../../queries/projects/create-project.ts";
import { deleteProject } from "../../../queries/projects/delete-project.ts";
import { listMemberProjects } from "../../../queries/projects/list-member-projects.ts";
import type { ProjectRow } from "../../../queries/projects/project-row.ts";
import { replaceProjectApiKey } from "../../../queries/projects/replace-project-api-key.ts";
import { updateProject } from "../../../queries/projects/update-project.ts";
import { ensurePersonalTeam } from "../../../queries/teams/ensure-personal-team.ts";
import { findTeamAccess } from "../../../queries/teams/find-team-access.ts";
import { createTRPCRouter, projectByIdProcedure, projectByIdRoleProcedure, protectedProcedure } from "../init.ts";

/** The project as it leaves the server, with the caller's role: never the key hash. */
function toPublicProject(row: ProjectRow, role: TeamRole): Project {
  return {
    id: row.id,
    name: row.name,
    domain: row.domain,
    apiKeyPrefix: row.apiKeyPrefix,
    teamId: row.teamId,
    role,
    botFiltering: row.botFiltering,
    retentionDays: row.retentionDays as Project["retentionDays"],
    keepAggregatesPastRetention: row.keepAggregatesPastRetention,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// The role check already ran; a row that vanished in between (deleted concurrently) is simply not found.
const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Project not found." });

export const projectsRouter = createTRPCRouter({
  /** The projects of every team the caller is a member of, oldest first, with the team's name and the caller's role. */
  list: protectedProcedure.query(async ({ ctx }): Promise<ProjectListItem[]> => {
    const rows = await listMemberProjects(ctx.services.db, ctx.user.id);
    return rows.map((row) => ({ ...toPublicProject(row, row.role), teamName: row.teamName }));
  }),

  get: projectByIdProcedure.query(({ ctx }): Project => toPublicProject(ctx.project, ctx.projectRole)),

  /**
   * Creates a project in team `teamId` (the caller needs admin there; a team they are not in is NOT_FOUND) or, by
   * default, in their personal team, and returns its API key: the only time the full key is shown (besides rotateKey).
   */
  create: protectedProcedure
    .input(createProjectInputSchema)
    .mutation(async ({ ctx, input }): Promise<ProjectWithApiKey> => {
      const { db } = ctx.services;
      let teamId: string;
      let role: TeamRole;
      if (input.teamId) {
        const access = await findTeamAccess(db, { teamId: input.teamId, userId: ctx.user.id });
        const held = access && effectiveRole(access);
        if (!held) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found." });
        if (!roleAtLeast(held, "admin"))
          throw new TRPCError({ code: "FORBIDDEN", message: "Creating a project needs the admin role on the team." });
        teamId = input.teamId;
        role = held;
      } else {
        teamId = await ensurePersonalTeam(db, ctx.user.id);
        role = "owner";
      }
      const { apiKey, apiKeyHash, apiKeyPrefix } = generateApiKey();
      const row = await createProject(db, {
        teamId,
        name: input.name,
        domain: input.domain ?? null,
        apiKeyHash,
        apiKeyPrefix,
      });
      await recordAudit(db, {
        teamId,
        projectId: row.id,
        actorUserId: ctx.user.id,
        action: "project.created",
        target: row.name,
      });
      return { project: toPublicProject(row, role), apiKey };
    }),

  /**
   * Renames a project, changes its domain (`domain: null` clears it) and/or turns bot filtering on or off. No
   * announcement is needed for the last: the worker reads the setting in the statement that locks the project for
   * each batch it stores, so the next batch follows it. Admin.
   */
  update: projectByIdRoleProcedure("admin")
    .input(updateProjectInputSchema)
    .mutation(async ({ ctx, input }): Promise<Project> => {
      const row = await updateProject(ctx.services.db, {
        projectId: ctx.project.id,
        name: input.name,
        domain: input.domain,
        botFiltering: input.botFiltering,
        retentionDays: input.retentionDays,
        keepAggregatesPastRetention: input.keepAggregatesPastRetention,
      });
      if (!row) throw notFound();
      await recordAudit(ctx.services.db, {
        teamId: row.teamId,
        projectId: row.id,
        actorUserId: ctx.user.id,
        action: "project.updated",
        target: row.name,
        details: {
          ...(input.name !== undefined ? { name: row.name } : {}),
          ...(input.domain !== undefined ? { domain: row.domain } : {}),
          ...(input.botFiltering !== undefined ? { botFiltering: row.botFiltering } : {}),
          ...(input.retentionDays !== undefined ? { retentionDays: row.retentionDays } : {}),
          ...(input.keepAggregatesPastRetention !== undefined
            ? { keepAggregatesPastRetention: row.keepAggregatesPastRetention }
            : {}),
        },
      });
      return toPublicProject(row, ctx.projectRole);
    }),

  /** Deletes a project with all its events and rollups; its API key stops working at once. Owner. */
  delete: projectByIdRoleProcedure("owner").mutation(async ({ ctx }): Promise<{ id: string }> => {
    const row = await deleteProject(ctx.services.db, { projectId: ctx.project.id });
    if (!row) throw notFound();
    await recordAudit(ctx.services.db, {
      teamId: row.teamId,
      projectId: row.id,
      actorUserId: ctx.user.id,
      action: "project.deleted",
      target: row.name,
    });
    await announceApiKeyChange(ctx.services, { projectId: row.id, oldApiKeyHash: row.apiKeyHash, reason: "deleted" });
    await publishAccessRevoked(ctx.services, { projectId: row.id, reason: "project-deleted" });
    return { id: row.id };
  }),

  /** Replaces the project's API key: the old one stops working at once; the new one is returned this once. Admin. */
  rotateKey: projectByIdRoleProcedure("admin").mutation(async ({ ctx }): Promise<ProjectWithApiKey> => {
    const { apiKey, apiKeyHash, apiKeyPrefix } = generateApiKey();
    const result = await replaceProjectApiKey(ctx.services.db, { projectId: ctx.project.id, apiKeyHash, apiKeyPrefix });
    if (!result) throw notFound();
    await recordAudit(ctx.services.db, {
      teamId: result.project.teamId,
      projectId: result.project.id,
      actorUserId: ctx.user.id,
      action: "project.key_rotated",
      target: result.project.name,
      details: { newKeyPrefix: apiKeyPrefix },
    });
    await announceApiKeyChange(ctx.services, {
      projectId: result.project.id,
      oldApiKeyHash: result.oldApiKeyHash,
      reason: "rotated",
    });
    return { project: toPublicProject(result.project, ctx.projectRole), apiKey };
  }),
});
