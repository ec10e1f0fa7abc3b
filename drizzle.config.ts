import { defineConfig } from "drizzle-kit";

// Used by `bun run db:generate` only; migrations are applied by `bun run db:migrate` or at start (server/db/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/schema/index.ts",
  out: "./drizzle",
  casing: "snake_case",
});
