/**
 * The import rule for browser code (STYLE.md): the dashboard and the SDK import `shared/` and, from the server, only
 * `import type { AppRouter }` (erased under verbatimModuleSyntax, so no server code reaches a bundle). And the
 * dashboard page shares periods, limits and dimensions through the zero-dependency constants, never through the zod
 * schemas: its bundle must not pull in zod.
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Glob } from "bun";

const root = path.resolve(import.meta.dirname, "..", "..");
const transpilers = { ts: new Bun.Transpiler({ loader: "ts" }), tsx: new Bun.Transpiler({ loader: "tsx" }) };
const rel = (file: string) => path.relative(root, file);

/** Runtime imports of a file (type-only imports are erased), resolved to absolute paths or left as package names. */
function runtimeImports(file: string): string[] {
  return transpilers[file.endsWith(".tsx") ? "tsx" : "ts"]
    .scanImports(readFileSync(file, "utf8"))
    .map(({ path: spec }) => (spec.startsWith(".") ? path.resolve(path.dirname(file), spec) : spec));
}

/** Every file and package reached from `entry` by runtime imports (lazy `import()` included). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (path.isAbsolute(file) && /\.tsx?$/.test(file)) stack.push(...runtimeImports(file));
  }
  return seen;
}

const sourcesOf = (folder: string) =>
  [...new Glob("**/*.{ts,tsx}").scanSync({ cwd: path.join(root, folder), absolute: true })].filter(
    (file) => !/\.test\.tsx?$/.test(file),
  );

describe("browser code imports", () => {
  for (const [folder, allowed] of [
    ["client/src", ["client/src/", "shared/"]],
    ["sdk/src", ["sdk/src/", "shared/"]],
  ] as const) {
    it(`keeps ${folder} to its own files and shared/, with the server reached by import type only`, () => {
      const outside: string[] = [];
      for (const file of sourcesOf(folder)) {
        for (const target of runtimeImports(file)) {
          if (path.isAbsolute(target) && !allowed.some((prefix) => rel(target).startsWith(prefix))) {
            outside.push(`${rel(file)} -> ${rel(target)}`);
          }
        }
        // `import { type X }` keeps an empty import of the module under verbatimModuleSyntax: only `import type`.
        const source = readFileSync(file, "utf8");
        for (const match of source.matchAll(/\bimport\s+(type\s+)?[^;'"]*?\bfrom\s+["']([^"']+)["']/g)) {
          const target = path.resolve(path.dirname(file), match[2]!);
          if (match[2]!.startsWith(".") && rel(target).startsWith("server/") && !match[1]) {
            outside.push(`${rel(file)} -> ${rel(target)} (not import type)`);
          }
        }
      }
      expect(outside).toEqual([]);
    });
  }

  it("keeps zod out of the dashboard page", () => {
    const reached = reachable(path.join(root, "client/src/pages/dashboard.tsx"));
    expect([...reached].filter((spec) => spec === "zod" || spec.startsWith("zod/"))).toEqual([]);
    expect([...reached].map(rel)).toContain("shared/dimensions.ts");
  });

  it("keeps the shared constants free of dependencies", () => {
    for (const file of ["shared/analytics-constants.ts", "shared/dimensions.ts"]) {
      expect([file, runtimeImports(path.join(root, file))]).toEqual([file, []]);
    }
  });
});
