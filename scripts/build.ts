/**
 * `bun run build`: builds the browser SDK (sdk/dist) and the dashboard (client/dist).
 * `bun scripts/build.ts --if-missing` (what `bun start` runs first) builds only what is not there yet, so a fresh
 * clone works with `bun install && bun start` and later starts cost nothing.
 */
import { buildClient, isClientBuilt } from "./build-client.ts";
import { buildSdk, ensureSdkBuilt } from "./build-sdk.ts";

/** Builds the SDK and the dashboard; with `onlyMissing`, skips each one whose output is already there (the SDK is rebuilt when its sources changed). */
export async function buildAll({ onlyMissing = false }: { onlyMissing?: boolean } = {}): Promise<void> {
  const sdk = onlyMissing ? await ensureSdkBuilt() : await buildSdk();
  if (!onlyMissing) console.log(`sdk: sdk.min.js ${sdk.minBytes} bytes, ${sdk.gzipBytes} bytes gzipped (gzip -9)`);
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
