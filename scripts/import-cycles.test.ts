/**
 * No import circles in server/, sdk/, client/ or shared/, type-only imports included (both circles found in issue 14
 * were type-only: a type that lives in the module importing it back, where it should have a home of its own).
 * Imports are read with TypeScript's own pre-processor, which sees `import type` too; only relative imports count.
 */
import { describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");

function resolveImport(from: string, specifier: string): string | null {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.jsx?$/, ".tsx"), `${base}.ts`, `${base}.tsx`];
  return candidates.find((candidate) => /\.tsx?$/.test(candidate) && existsSync(candidate)) ?? null;
}

function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => resolveImport(file, specifier))
    .filter((resolved): resolved is string => resolved !== null);
}

/** Every circle in the graph, each as the files along it (relative to the root), found by depth-first search. */
function findCycles(files: string[]): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of importsOf(file)) {
      if (state.get(next) === "open")
        cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(root, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

describe("imports", () => {
  it("form no circles, type-only ones included", () => {
    const files = ["server", "sdk", "client", "shared"].flatMap((dir) =>
      [...new Bun.Glob("**/*.{ts,tsx}").scanSync({ cwd: path.join(root, dir) })]
        .filter((file) => !file.split(path.sep).includes("node_modules") && !file.split(path.sep).includes("dist"))
        .map((file) => path.join(root, dir, file)),
    );
    expect(files.length).toBeGreaterThan(100);
    expect(findCycles(files.sort())).toEqual([]);
  });
});
