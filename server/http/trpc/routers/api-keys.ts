/**
 * Read keys of a project or of a team (shared/sharing.ts), for the Stats API and export: create, list and revoke,
 * admin role on the project's team or on the team (readKeyOwnerProcedure). A team key reads every project of its team.
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
import { createTRPCRouter, readKeyOwnerProcedure } from "../init.ts";
import { auditSharing } from "../sharing-audit.ts";

export const apiKeysRouter = createTRPCRouter({
  create: readKeyOwnerProcedure("admin")
    .input(createReadKeyInputSchema)
    .mutation(async ({ ctx, input }): Promise<CreatedReadKey> => {
      const { key, keyHash, keyPrefix } = generateReadKey();
      const row = await createReadKey(ctx.services.db, {
        ...ctx.keyOwner,
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

  list: readKeyOwnerProcedure("admin")
    .input(listReadKeysInputSchema)
    .query(
      async ({ ctx }): Promise<ReadKeySummary[]> =>
        (await listReadKeys(ctx.services.db, ctx.keyOwner)).map((row) => ({
          id: row.id,
          name: row.name,
          keyPrefix: row.keyPrefix,
          scopes: row.scopes as ReadKeyScope[],
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
          revokedAt: row.revokedAt?.toISOString() ?? null,
        })),
    ),

  revoke: readKeyOwnerProcedure("admin")
    .input(revokeReadKeyInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ revoked: true }> => {
      if (!(await revokeReadKey(ctx.services.db, { ...ctx.keyOwner, id: input.id }))) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `No such live read key on this ${ctx.keyOwner.projectId ? "project" : "team"}.`,
        });
      }
      await auditSharing(ctx, {
        action: "read_key.revoked",
        targetId: input.id,
      });
      return { revoked: true };
    }),
});
