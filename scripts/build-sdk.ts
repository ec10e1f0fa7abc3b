/**
 * Builds the browser SDK from sdk/src into sdk/dist:
 * - sdk.js       readable script-tag build (IIFE), served at /static/sdk/sdk.js
 * - sdk.min.js   minified script-tag build, served at /static/sdk/sdk.min.js; must stay <= 2,048 bytes gzipped
 * - sdk.<hash>.min.js / sdk.<hash>.js   the same files under a content hash, cacheable forever
 * - sdk.mjs + index.d.ts   the ES module (`import { init }`) and its types, for apps that bundle the SDK
 * - manifest.json  which hashed names belong to this build, and the measured sizes
 *
 * Everything is lowered to ES2017 by esbuild (Chrome 58+, Firefox 52+, Safari 11+): it costs ~20 gzipped bytes.
 * `bun run build` calls buildSdk(); `bun start` can call ensureSdkBuilt() to build only when sdk/dist is missing or
 * older than sdk/src; `bun scripts/build-sdk.ts` builds the SDK alone and prints the sizes.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type BuildOptions, build } from "esbuild";
import ts from "typescript";

/** The hard size budget of sdk.min.js, gzip -9 (issue 5). */
export const SDK_GZIP_BUDGET = 2048;

const root = path.resolve(import.meta.dirname, "..");
const srcDir = path.join(root, "sdk", "src");
export const SDK_DIST_DIR = path.join(root, "sdk", "dist");

export interface SdkManifest {
  /** First 10 hex digits of the SHA-256 of sdk.min.js. */
  hash: string;
  files: { "sdk.js": string; "sdk.min.js": string };
  /** Subresource Integrity of sdk.min.js, for `<script integrity=... crossorigin="anonymous">`. */
  integrity: string;
  minBytes: number;
  gzipBytes: number;
}

async function bundle(entry: string, options: BuildOptions): Promise<string> {
  const result = await build({
    entryPoints: [path.join(srcDir, entry)],
    bundle: true,
    write: false,
    target: "es2017",
    platform: "browser",
    legalComments: "none",
    logLevel: "silent",
    ...options,
  });
  const file = result.outputFiles?.[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}

/**
 * Declarations for the ES module entry, one file that stands alone: those of types.ts (the public types, which
 * import nothing) followed by index.ts's, whose type imports and re-exports from ./types.ts are then redundant.
 */
async function emitDeclarations(): Promise<string> {
  const [types, entry] = await Promise.all(["types.ts", "index.ts"].map((file) => declarationsOf(file)));
  const fromTypes = /^(?:import|export) type \{[^}]*\} from "\.\/types\.(?:ts|js)";\n/gm;
  const text = `${types}${entry!.replace(fromTypes, "")}`;
  const imports = text.match(/^.*\bfrom\s+["'].*$/m);
  if (imports) throw new Error(`sdk index.d.ts would not stand alone: ${imports[0]}`);
  return text;
}

async function declarationsOf(file: string): Promise<string> {
  const source = await Bun.file(path.join(srcDir, file)).text();
  const result = ts.transpileDeclaration(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, strict: true },
  });
  const problems = result.diagnostics ?? [];
  if (problems.length) {
    const text = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n");
    throw new Error(`sdk/src/${file} declarations: ${text}`);
  }
  return result.outputText;
}

/** Builds every SDK artifact into `outDir` (default sdk/dist) and fails when sdk.min.js exceeds the budget. */
export async function buildSdk(outDir: string = SDK_DIST_DIR): Promise<SdkManifest> {
  const [readable, minified, esm, declarations] = await Promise.all([
    bundle("snippet.ts", { format: "iife" }),
    bundle("snippet.ts", { format: "iife", minify: true }),
    bundle("index.ts", { format: "esm" }),
    emitDeclarations(),
  ]);
  const gzipBytes = Bun.gzipSync(minified, { level: 9 }).byteLength;
  if (gzipBytes > SDK_GZIP_BUDGET) {
    throw new Error(`sdk.min.js is ${gzipBytes} bytes gzipped, over the ${SDK_GZIP_BUDGET}-byte budget`);
  }
  const hash = createHash("sha256").update(minified).digest("hex").slice(0, 10);
  const manifest: SdkManifest = {
    hash,
    files: { "sdk.js": `sdk.${hash}.js`, "sdk.min.js": `sdk.${hash}.min.js` },
    integrity: `sha384-${createHash("sha384").update(minified).digest("base64")}`,
    minBytes: Buffer.byteLength(minified),
    gzipBytes,
  };

  await mkdir(outDir, { recursive: true });
  // Hashed files of earlier builds would otherwise pile up; the manifest names the current ones.
  for (const name of await readdir(outDir)) {
    if (/^sdk\.[0-9a-f]{10}(\.min)?\.js$/.test(name)) await rm(path.join(outDir, name));
  }
  await Promise.all([
    Bun.write(path.join(outDir, "sdk.js"), readable),
    Bun.write(path.join(outDir, "sdk.min.js"), minified),
    Bun.write(path.join(outDir, manifest.files["sdk.js"]), readable),
    Bun.write(path.join(outDir, manifest.files["sdk.min.js"]), minified),
    Bun.write(path.join(outDir, "sdk.mjs"), esm),
    Bun.write(path.join(outDir, "index.d.ts"), declarations),
  ]);
  // Written last: the server treats a present manifest as a complete build.
  await Bun.write(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The newest modification time (ms) of the SDK's sources and this script; tests are not part of the build. */
async function newestSourceMs(): Promise<number> {
  const sources = (await readdir(srcDir)).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));
  const files = [
    ...sources.map((name) => path.join(srcDir, name)),
    import.meta.path,
    path.join(root, "shared", "ingest.ts"),
  ];
  const times = await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs));
  return Math.max(...times);
}

/**
 * Builds the SDK when `outDir` has no complete build (its manifest and the files it names) or the sources changed
 * since; otherwise returns the existing manifest. Returns what is served either way.
 */
export async function ensureSdkBuilt(outDir: string = SDK_DIST_DIR): Promise<SdkManifest> {
  const manifestFile = Bun.file(path.join(outDir, "manifest.json"));
  if (await manifestFile.exists()) {
    const manifest = (await manifestFile.json()) as SdkManifest;
    const names = ["sdk.js", "sdk.min.js", "sdk.mjs", "index.d.ts", ...Object.values(manifest.files)];
    const present = await Promise.all(names.map((name) => Bun.file(path.join(outDir, name)).exists()));
    const builtAt = (await stat(manifestFile.name!)).mtimeMs;
    if (present.every(Boolean) && builtAt >= (await newestSourceMs())) return manifest;
  }
  return buildSdk(outDir);
}

if (import.meta.main) {
  const manifest = await buildSdk();
  console.log(
    `sdk/dist: sdk.min.js ${manifest.minBytes} bytes, ${manifest.gzipBytes} gzipped (budget ${SDK_GZIP_BUDGET}); ` +
      `versioned as ${manifest.files["sdk.min.js"]}`,
  );
}
