/**
 * Footprint: what a small box pays to run the product. Bundle sizes are gzip -9 of the built files (see
 * ensureBuilt); the embedded server's peak RSS is read under the same ingest load as
 * production mode (server and worker RSS are read by the phases that load them).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { measureFirstPage } from "../../scripts/build-client.ts";
import { createBenchAccount } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { peakRssMb, REPO_ROOT, runCommand } from "./procs.ts";
import { startEmbedded } from "./product.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const SDK_FILE = path.join(REPO_ROOT, "sdk/dist/sdk.min.js");
const CLIENT_INDEX = path.join(REPO_ROOT, "client/dist/index.html");

/**
 * Builds the SDK and the dashboard: always in a full run (the sizes must be those of the current sources), only
 * when a bundle is missing with --quick.
 */
export async function ensureBuilt(ctx: BenchContext): Promise<void> {
  if (ctx.options.quick && existsSync(SDK_FILE) && existsSync(CLIENT_INDEX)) return;
  ctx.log("building the SDK and dashboard (bun run build)");
  await runCommand([process.execPath, "run", "build"]);
}

const gzipBytes = (data: Uint8Array<ArrayBuffer>) => Bun.gzipSync(data, { level: 9 }).byteLength;

export async function measureSdkGzip(): Promise<number> {
  if (!existsSync(SDK_FILE)) throw new Error(`${path.relative(REPO_ROOT, SDK_FILE)} is missing after bun run build`);
  return gzipBytes(await Bun.file(SDK_FILE).bytes());
}

/**
 * The JavaScript a first visit to "/" downloads, by the build's own definition (scripts/build-client.ts
 * measureFirstPage: the entry chunk, the landing page's chunk and everything they import statically), each file
 * gzipped at level 9 on its own as a server would send it.
 */
export async function measureClientFirstLoad(): Promise<{ bytes: number; files: string[] }> {
  if (!existsSync(CLIENT_INDEX))
    throw new Error(`${path.relative(REPO_ROOT, CLIENT_INDEX)} is missing after bun run build`);
  const report = await measureFirstPage(path.dirname(CLIENT_INDEX));
  return { bytes: report.firstPageJsGzipBytes, files: report.firstPageFiles };
}

/** `bun start` with no DATABASE_URL/REDIS_URL, loaded with 100-event bodies, then its peak RSS. */
export async function measureEmbedded(
  ctx: BenchContext,
  bodyFile: string,
): Promise<{ rssMb: number; load: WrkResult }> {
  const { baseUrl, child } = await startEmbedded(ctx);
  try {
    const account = await createBenchAccount(baseUrl);
    const load = await runWrk({
      url: `${baseUrl}/api/v1/events/ingest`,
      bodyFile,
      apiKey: account.apiKey,
      connections: ctx.options.connections,
      threads: ctx.options.threads,
      durationS: Math.max(3, Math.round(ctx.options.durationS / 2)),
    });
    if (load.requests === 0 || load.non2xx + load.socketErrors >= load.requests) {
      throw new Error(`embedded ingest accepted nothing (${load.non2xx} non-2xx, ${load.socketErrors} socket errors)`);
    }
    // Let the in-process worker work through what was accepted, so its memory counts too.
    await Bun.sleep(ctx.options.quick ? 2_000 : 5_000);
    const rssMb = await peakRssMb(child.pid);
    if (rssMb === null) throw new Error("embedded server exited before its memory could be read");
    return { rssMb, load };
  } finally {
    await child.stop();
  }
}
