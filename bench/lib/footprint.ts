/**
 * Footprint: what a small box pays to run the product. Bundle sizes are gzip -9 of the built files (run
 * `bun run build` first if they are missing); the embedded server's peak RSS is read under the same ingest load as
 * production mode (server and worker RSS are read by the phases that load them).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createBenchAccount } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { peakRssMb, REPO_ROOT, runCommand } from "./procs.ts";
import { startEmbedded } from "./product.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const SDK_FILE = path.join(REPO_ROOT, "sdk/dist/sdk.min.js");
const CLIENT_INDEX = path.join(REPO_ROOT, "client/dist/index.html");

/** Builds the SDK and the dashboard when either bundle is missing. */
export async function ensureBuilt(ctx: BenchContext): Promise<void> {
  if (existsSync(SDK_FILE) && existsSync(CLIENT_INDEX)) return;
  ctx.log("building the SDK and dashboard (bun run build)");
  await runCommand([process.execPath, "run", "build"]);
}

const gzipBytes = (data: Uint8Array<ArrayBuffer>) => Bun.gzipSync(data, { level: 9 }).byteLength;

export async function measureSdkGzip(): Promise<number> {
  if (!existsSync(SDK_FILE)) throw new Error(`${path.relative(REPO_ROOT, SDK_FILE)} is missing after bun run build`);
  return gzipBytes(await Bun.file(SDK_FILE).bytes());
}

/**
 * The JavaScript a first visit downloads before the dashboard runs: every script and modulepreload that
 * index.html references (lazy route chunks are not counted), each gzipped on its own as a server would send it.
 */
export async function measureClientFirstLoad(): Promise<{ bytes: number; files: string[] }> {
  if (!existsSync(CLIENT_INDEX)) throw new Error(`${path.relative(REPO_ROOT, CLIENT_INDEX)} is missing after bun run build`);
  const html = await readFile(CLIENT_INDEX, "utf8");
  const refs = new Set<string>();
  for (const match of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) refs.add(match[1]!);
  for (const match of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g)) refs.add(match[1]!);
  for (const match of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="modulepreload"/g)) refs.add(match[1]!);
  const files = [...refs].filter((ref) => ref.endsWith(".js") && !/^https?:/.test(ref));
  if (files.length === 0) throw new Error("client/dist/index.html references no JavaScript");
  let bytes = 0;
  for (const ref of files) {
    const file = path.join(REPO_ROOT, "client/dist", ref.replace(/^\//, ""));
    bytes += gzipBytes(await Bun.file(file).bytes());
  }
  return { bytes, files };
}

/** `bun start` with no DATABASE_URL/REDIS_URL, loaded with 100-event bodies, then its peak RSS. */
export async function measureEmbedded(ctx: BenchContext, bodyFile: string): Promise<{ rssMb: number; load: WrkResult }> {
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
