/**
 * Builds the dashboard into client/dist with Vite, writes a gzip twin of every text asset (served by
 * server/http/static/spa.ts to browsers that accept it) and reports the JavaScript the first page downloads.
 * `bun scripts/build-client.ts` runs it alone; scripts/build.ts calls buildClient() with the SDK build.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const clientDir = path.resolve(import.meta.dirname, "..", "client");
export const CLIENT_DIST = path.join(clientDir, "dist");

/** The first page must stay under this much gzipped JavaScript (the budget). */
export const FIRST_PAGE_JS_BUDGET_BYTES = 150 * 1024;

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;

type ManifestChunk = { file: string; isEntry?: boolean; imports?: string[]; css?: string[] };

export interface ClientBuildReport {
  distDir: string;
  /** Gzipped bytes of the JavaScript a first visit to "/" loads (entry, landing page, their static imports). */
  firstPageJsGzipBytes: number;
  firstPageFiles: string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
    ),
  );
  return nested.flat();
}

async function writeGzipTwins(distDir: string) {
  for (const file of await listFiles(distDir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const content = await readFile(file);
    if (content.byteLength < 1024) continue;
    await writeFile(`${file}.gz`, gzipSync(content, { level: 9 }));
  }
}

/**
 * The JavaScript a first visit to "/" downloads: the entry chunk, the landing page's lazy chunk, and every chunk they
 * import statically, transitively.
 */
export async function measureFirstPage(
  distDir: string = CLIENT_DIST,
  pages: string[] = ["src/pages/landing.tsx"],
): Promise<ClientBuildReport> {
  const manifest = JSON.parse(await readFile(path.join(distDir, ".vite", "manifest.json"), "utf8")) as Record<
    string,
    ManifestChunk
  >;
  const entryKey = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entryKey) throw new Error("client build has no entry chunk in its manifest");
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  visit(entryKey);
  for (const page of pages) {
    if (!manifest[page]) throw new Error(`client build has no chunk for ${page}`);
    visit(page);
  }
  const files = [...seen].map((key) => manifest[key]!.file).filter((file) => file.endsWith(".js"));
  let total = 0;
  for (const file of files) total += gzipSync(await readFile(path.join(distDir, file)), { level: 9 }).byteLength;
  return { distDir, firstPageJsGzipBytes: total, firstPageFiles: files };
}

export async function buildClient(options: { quiet?: boolean } = {}): Promise<ClientBuildReport> {
  await build({
    configFile: path.join(clientDir, "vite.config.ts"),
    logLevel: options.quiet ? "warn" : "info",
  });
  await writeGzipTwins(CLIENT_DIST);
  const report = await measureFirstPage(CLIENT_DIST);
  const kb = (report.firstPageJsGzipBytes / 1024).toFixed(1);
  if (!options.quiet)
    console.log(`client: first page loads ${kb} KB of gzipped JavaScript (${report.firstPageFiles.join(", ")})`);
  if (report.firstPageJsGzipBytes > FIRST_PAGE_JS_BUDGET_BYTES) {
    throw new Error(`client: the first page loads ${kb} KB of gzipped JavaScript, over the 150 KB budget`);
  }
  return report;
}

/** True when client/dist holds a finished build (index.html is written last by Vite). */
export async function isClientBuilt(distDir: string = CLIENT_DIST): Promise<boolean> {
  try {
    return (await stat(path.join(distDir, "index.html"))).isFile();
  } catch {
    // No index.html: not built.
    return false;
  }
}

/** The newest modification time among the client's sources and configuration (what a build depends on). */
async function newestSourceMtime(): Promise<number> {
  const sources = [
    ...(await listFiles(path.join(clientDir, "src"))),
    ...(await listFiles(path.join(clientDir, "public"))),
    path.join(clientDir, "index.html"),
    path.join(clientDir, "vite.config.ts"),
    path.join(clientDir, "uno.config.ts"),
  ];
  const times = await Promise.all(sources.map(async (file) => (await stat(file)).mtimeMs));
  return Math.max(...times);
}

/** True when client/dist exists and is newer than every client source, so tests can skip rebuilding. */
export async function isClientBuildCurrent(distDir: string = CLIENT_DIST): Promise<boolean> {
  let builtAt: number;
  try {
    builtAt = (await stat(path.join(distDir, "index.html"))).mtimeMs;
  } catch {
    // No index.html: not built.
    return false;
  }
  return builtAt >= (await newestSourceMtime());
}

if (import.meta.main) {
  await buildClient();
}
