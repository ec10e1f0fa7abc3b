/**
 * `bun run build`: builds the browser SDK (sdk/dist) and the dashboard (client/dist).
 * `bun scripts/build.ts --if-missing` (what `bun start` runs first) builds only what is not there yet, so a fresh
 * clone works with `bun install && bun start` and later starts cost nothing.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { buildClient, isClientBuilt } from "./build-client.ts";
import { buildSdk, SDK_DIST_DIR } from "./build-sdk.ts";

/** Builds the SDK and the dashboard; with `onlyMissing`, skips each one whose output already exists. */
export async function buildAll({ onlyMissing = false }: { onlyMissing?: boolean } = {}): Promise<void> {
  if (!onlyMissing || !existsSync(path.join(SDK_DIST_DIR, "sdk.min.js"))) {
    const sdk = await buildSdk();
    console.log(`sdk: sdk.min.js ${sdk.minBytes} bytes, ${sdk.gzipBytes} bytes gzipped (gzip -9)`);
  }
  if (!onlyMissing || !(await isClientBuilt())) {
    if (onlyMissing) console.log("client: building the dashboard (first start only)…");
    await buildClient({ quiet: onlyMissing });
  }
}

if (import.meta.main) {
  try {
    await buildAll({ onlyMissing: process.argv.includes("--if-missing") });
  } catch (error) {
    console.error("build failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
