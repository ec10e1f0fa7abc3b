import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/**
 * The project whose API key hashes to `apiKeyHash` (hashApiKey in server/auth/api-keys.ts), or null. Used by
 * ingest to authenticate events; the unique index on api_key_hash makes it one index lookup.
 */
export async function findProjectByApiKeyHash(db: Database, apiKeyHash: string): Promise<ProjectRow | null> {
  const [row] = await db.select().from(projects).where(eq(projects.apiKeyHash, apiKeyHash)).limit(1);
  return row ?? null;
}
