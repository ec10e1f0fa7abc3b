/**
 * Projects: the caller's own only. Every call that takes an id goes through projectByIdProcedure, which answers
 * NOT_FOUND for a missing and for someone else's project alike. API keys are generated, hashed and announced in
 * server/auth/api-keys.ts; the full key is returned by create and rotateKey only.
 */
import { TRPCError } from "@trpc/server";
import {
  createProjectInputSchema,
  type Project,
  type ProjectWithApiKey,
  updateProjectInputSchema,
} from "../../../../shared/projects.ts";
import { publishAccessRevoked } from "../../../auth/access-revoked.ts";
import { announceApiKeyChange, generateApiKey } from "../../../auth/api-keys.ts";
import { createProject } from "../../../queries/projects/create-project.ts";
import { deleteProject } from "../../../queries/projects/delete-project.ts";
import type { ProjectRow } from "../../../queries/projects/find-owned-project.ts";
import { listOwnedProjects } from "../../../queries/projects/list-owned-projects.ts";
import { replaceProjectApiKey } from "../../../queries/projects/replace-project-api-key.ts";
import { updateProject } from "../../../queries/projects/update-project.ts";
import { createTRPCRouter, projectByIdProcedure, projectByIdRoleProcedure, protectedProcedure } from "../init.ts";

/** The project as it leaves the server: never the key hash or the owner. */
function toPublicProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    domain: row.domain,
    apiKeyPrefix: row.apiKeyPrefix,
    retentionDays: row.retentionDays as Project["retentionDays"],
    keepAggregatesPastRetention: row.keepAggregatesPastRetention,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// The ownership check already ran; a row that vanished in between (deleted concurrently) is simply not found.
const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Project not found." });

export const projectsRouter = createTRPCRouter({
  /** The caller's projects, oldest first. */
  list: protectedProcedure.query(async ({ ctx }): Promise<Project[]> => {
    const rows = await listOwnedProjects(ctx.services.db, ctx.user.id);
    return rows.map(toPublicProject);
  }),

  get: projectByIdProcedure.query(({ ctx }): Project => toPublicProject(ctx.project)),

  /** Creates a project and returns its API key: the only time the full key is shown (besides rotateKey). */
  create: protectedProcedure
    .input(createProjectInputSchema)
    .mutation(async ({ ctx, input }): Promise<ProjectWithApiKey> => {
      const { apiKey, apiKeyHash, apiKeyPrefix } = generateApiKey();
      const row = await createProject(ctx.services.db, {
        ownerId: ctx.user.id,
        name: input.name,
        domain: input.domain ?? null,
        apiKeyHash,
        apiKeyPrefix,
      });
      return { project: toPublicProject(row), apiKey };
    }),

  /** Renames a project and/or changes its domain (`domain: null` clears it). */
  update: projectByIdRoleProcedure("admin")
    .input(updateProjectInputSchema)
    .mutation(async ({ ctx, input }): Promise<Project> => {
      const row = await updateProject(ctx.services.db, {
        projectId: ctx.project.id,
        ownerId: ctx.user.id,
        name: input.name,
        domain: input.domain,
        retentionDays: input.retentionDays,
        keepAggregatesPastRetention: input.keepAggregatesPastRetention,
      });
      if (!row) throw notFound();
      return toPublicProject(row);
    }),

  /** Deletes a project with all its events and rollups; its API key stops working at once. */
  delete: projectByIdRoleProcedure("owner").mutation(async ({ ctx }): Promise<{ id: string }> => {
    const row = await deleteProject(ctx.services.db, { projectId: ctx.project.id, ownerId: ctx.user.id });
    if (!row) throw notFound();
    await announceApiKeyChange(ctx.services, { projectId: row.id, oldApiKeyHash: row.apiKeyHash, reason: "deleted" });
    await publishAccessRevoked(ctx.services, { projectId: row.id, reason: "project-deleted" });
    return { id: row.id };
  }),

  /** Replaces the project's API key: the old one stops working at once; the new one is returned this once. */
  rotateKey: projectByIdRoleProcedure("admin").mutation(async ({ ctx }): Promise<ProjectWithApiKey> => {
    const { apiKey, apiKeyHash, apiKeyPrefix } = generateApiKey();
    const result = await replaceProjectApiKey(ctx.services.db, {
      projectId: ctx.project.id,
      ownerId: ctx.user.id,
      apiKeyHash,
      apiKeyPrefix,
    });
    if (!result) throw notFound();
    await announceApiKeyChange(ctx.services, {
      projectId: result.project.id,
      oldApiKeyHash: result.oldApiKeyHash,
      reason: "rotated",
    });
    return { project: toPublicProject(result.project), apiKey };
  }),
});
