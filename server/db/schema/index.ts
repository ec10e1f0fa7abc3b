// The drizzle schema index (the one barrel file: drizzle-kit and the db client need every table in one object).

export * from "./auth-keys.ts";
export * from "./bot-filtered-events.ts";
export * from "./cohorts.ts";
export * from "./engine.ts";
export * from "./events.ts";
export * from "./goals.ts";
export * from "./projects.ts";
export * from "./rollups.ts";
export * from "./sharing.ts";
export * from "./teams.ts";
export * from "./users.ts";
