import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { buildSdk, ensureSdkBuilt, SDK_GZIP_BUDGET, type SdkManifest } from "./build-sdk.ts";

let outDir: string;
let manifest: SdkManifest;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), "sdk-build-"));
  // A hashed file from an "earlier build" that the build must clean up.
  await writeFile(path.join(outDir, "sdk.0000000000.min.js"), "old");
  manifest = await buildSdk(outDir);
});

afterAll(() => rm(outDir, { recursive: true, force: true }));

describe("buildSdk", () => {
  it("keeps sdk.min.js within the 2,048-byte gzip -9 budget", async () => {
    const gzip = Bun.spawnSync(["gzip", "-9", "-c"], { stdin: Bun.file(path.join(outDir, "sdk.min.js")) });
    expect(gzip.exitCode).toBe(0);
    expect(gzip.stdout.byteLength).toBeLessThanOrEqual(SDK_GZIP_BUDGET);
    expect(manifest.gzipBytes).toBeLessThanOrEqual(SDK_GZIP_BUDGET);
  });

  it("writes the script-tag builds, their hashed copies, the module and its types", async () => {
    const files = (await readdir(outDir)).sort();
    expect(files).toEqual(
      [
        "index.d.ts",
        "manifest.json",
        "sdk.js",
        "sdk.min.js",
        "sdk.mjs",
        manifest.files["sdk.js"],
        manifest.files["sdk.min.js"],
      ].sort(),
    );
    expect(await Bun.file(path.join(outDir, manifest.files["sdk.min.js"])).text()).toBe(
      await Bun.file(path.join(outDir, "sdk.min.js")).text(),
    );
  });

  it("names the versioned files by the content hash and records their integrity", async () => {
    const minified = await Bun.file(path.join(outDir, "sdk.min.js")).bytes();
    const sha256 = new Bun.CryptoHasher("sha256").update(minified).digest("hex");
    expect(manifest.files["sdk.min.js"]).toBe(`sdk.${sha256.slice(0, 10)}.min.js`);
    const sha384 = new Bun.CryptoHasher("sha384").update(minified).digest("base64");
    expect(manifest.integrity).toBe(`sha384-${sha384}`);
    expect(JSON.parse(await Bun.file(path.join(outDir, "manifest.json")).text())).toEqual(manifest);
  });

  it("emits no syntax newer than ES2017 in the script-tag builds", async () => {
    for (const name of ["sdk.js", "sdk.min.js"]) {
      const code = await Bun.file(path.join(outDir, name)).text();
      expect(code).not.toMatch(/\?\.|\?\?|catch\s*\{/);
    }
  });

  it("exports init from the module and declares its types", async () => {
    const mod = await Bun.file(path.join(outDir, "sdk.mjs")).text();
    expect(mod).toMatch(/export\s*\{[^}]*\binit\b/);
    const consumer = path.join(outDir, "consumer.ts");
    await writeFile(
      consumer,
      [
        'import type { Tracker, TrackerOptions } from "./index.js";',
        'const options: TrackerOptions = { project: "proj_x", apiUrl: "https://a.example", requireConsent: true };',
        "declare const tracker: Tracker;",
        'tracker.event("signup", { plan: "pro" });',
        "const done: Promise<void> = tracker.flush();",
        "// @ts-expect-error event names are strings",
        "tracker.event(42);",
        "export { options, done };",
      ].join("\n"),
    );
    const program = ts.createProgram([consumer], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  });
});

describe("ensureSdkBuilt", () => {
  it("keeps a complete, current build as it is", async () => {
    const before = (await Bun.file(path.join(outDir, "manifest.json")).stat()).mtimeMs;
    expect(await ensureSdkBuilt(outDir)).toEqual(manifest);
    expect((await Bun.file(path.join(outDir, "manifest.json")).stat()).mtimeMs).toBe(before);
  });

  it("rebuilds when a built file is missing", async () => {
    await rm(path.join(outDir, "sdk.mjs"));
    await ensureSdkBuilt(outDir);
    expect(await Bun.file(path.join(outDir, "sdk.mjs")).exists()).toBe(true);
  });

  it("builds into an empty folder", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), "sdk-empty-"));
    try {
      const built = await ensureSdkBuilt(empty);
      expect(built.hash).toBe(manifest.hash);
      expect(await Bun.file(path.join(empty, built.files["sdk.min.js"])).exists()).toBe(true);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
