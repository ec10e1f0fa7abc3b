/**
 * Read keys of a project (shared/sharing.ts), for the Stats API and export: create, list and revoke, admin role.
 * The key is answered once, by create; only its SHA-256 and a display prefix are stored.
 */
import { TRPCError } from "@trpc/server";
import {
  type CreatedReadKey,
  createReadKeyInputSchema,
  listReadKeysInputSchema,
  type ReadKeyScope,
  type ReadKeySummary,
  revokeReadKeyInputSchema,
} from "../../../../shared/sharing.ts";
import { generateReadKey } from "../../../auth/share-secrets.ts";
import { createReadKey } from "../../../queries/sharing/create-read-key.ts";
import { listReadKeys } from "../../../queries/sharing/list-read-keys.ts";
import { revokeReadKey } from "../../../queries/sharing/revoke-read-key.ts";
import { createTRPCRouter, projectRoleProcedure } from "../init.ts";
import { auditSharing } from "../sharing-audit.ts";

export const apiKeysRouter = createTRPCRouter({
  create: projectRoleProcedure("admin")
    .input(createReadKeyInputSchema)
    .mutation(async ({ ctx, input }): Promise<CreatedReadKey> => {
      const { key, keyHash, keyPrefix } = generateReadKey();
      const row = await createReadKey(ctx.services.db, {
        projectId: input.projectId,
        name: input.name,
        keyHash,
        keyPrefix,
        scopes: input.scopes,
        createdBy: ctx.user.id,
      });
      await auditSharing(ctx, {
        action: "read_key.created",
        targetId: row.id,
        name: input.name,
      });
      return { id: row.id, key };
    }),

  list: projectRoleProcedure("admin")
    .input(listReadKeysInputSchema)
    .query(
      async ({ ctx, input }): Promise<ReadKeySummary[]> =>
        (await listReadKeys(ctx.services.db, input.projectId)).map((row) => ({
          id: row.id,
          name: row.name,
          keyPrefix: row.keyPrefix,
          scopes: row.scopes as ReadKeyScope[],
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
          revokedAt: row.revokedAt?.toISOString() ?? null,
        })),
    ),

  revoke: projectRoleProcedure("admin")
    .input(revokeReadKeyInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ revoked: true }> => {
      if (!(await revokeReadKey(ctx.services.db, input))) {
        throw new TRPCError({ code: "NOT_FOUND", message: "No such live read key on this project." });
      }
      await auditSharing(ctx, {
        action: "read_key.revoked",
        targetId: input.id,
      });
      return { revoked: true };
    }),
});
