import type { projects } from "../../db/schema/index.ts";

/** A project as stored (the key hash included: never sent to a client, see toPublicProject). */
export type ProjectRow = typeof projects.$inferSelect;
