import { afterAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { classifyTestFiles, DOM_HELPER, SERVICE_HELPERS, SPAWNS_SERVICES } from "./test-unit.ts";

describe("test:unit selection", () => {
  const { unit: plain, dom, serviceBacked } = classifyTestFiles();
  const unit = [...plain, ...dom];

  it("puts every test file of the repository on exactly one side", () => {
    const all = [...new Bun.Glob("**/*.test.{ts,tsx}").scanSync({ cwd: path.resolve(import.meta.dirname, "..") })]
      .filter((file) => !file.includes("node_modules"))
      .sort();
    expect([...unit, ...serviceBacked].sort()).toEqual(all);
    expect(unit.filter((file) => serviceBacked.includes(file))).toEqual([]);
  });

  it("names service helpers and spawning tests that exist (a moved one would make every test a unit test)", () => {
    const root = path.resolve(import.meta.dirname, "..");
    for (const file of [...SERVICE_HELPERS, ...SPAWNS_SERVICES, DOM_HELPER])
      expect({ file, exists: existsSync(path.join(root, file)) }).toEqual({ file, exists: true });
  });

  it("leaves out the tests that use PostgreSQL, Redis, Chromium or the benchmark", () => {
    for (const file of [
      "server/http/app.test.ts", // createTestServices
      "server/pipeline/worker/faults.test.ts", // private redis-server
      "server/infra/pub-sub.test.ts", // reads the test Redis URL itself
      "client/e2e/dashboard.test.ts", // Chromium
      "bench/bench.smoke.test.ts", // spawns the benchmark
    ]) {
      expect(serviceBacked).toContain(file);
    }
  });

  it("keeps pure, DOM and embedded tests in the unit set", () => {
    for (const file of [
      "server/http/ingest/validate-events.test.ts",
      "client/src/components/period-picker.test.ts",
      "server/pipeline/worker/embedded.test.ts",
      "scripts/test-unit.test.ts",
    ]) {
      expect(unit).toContain(file);
    }
  });

  it("runs the happy-dom component tests apart from the rest", () => {
    expect(dom).toContain("client/src/components/period-picker.test.ts");
    expect(plain).toContain("scripts/build-client.test.ts");
    expect(plain.filter((file) => dom.includes(file))).toEqual([]);
  });

  describe("in a tree of its own", () => {
    let root = "";
    afterAll(() => rm(root, { recursive: true, force: true }));

    it("follows imports through helpers, so a new test that wraps a service helper is not a unit test", async () => {
      root = await mkdtemp(path.join(tmpdir(), "ad-test-unit-"));
      const write = async (file: string, text: string) => {
        await mkdir(path.dirname(path.join(root, file)), { recursive: true });
        await writeFile(path.join(root, file), text);
      };
      await write("server/test-support/services.ts", "export const createTestServices = () => 1;\n");
      await write("server/test-support/seeded.ts", 'export { createTestServices } from "./services.ts";\n');
      await write("server/a.test.ts", 'import { createTestServices } from "./test-support/seeded.ts";\n');
      await write("server/b.test.ts", 'import { x } from "./b.ts";\n');
      await write("server/b.ts", "export const x = 1;\n");
      await write("server/test-support/test-environment.ts", "export const loadTestServiceUrls = () => 1;\n");
      await write("server/c.test.ts", 'import { loadTestServiceUrls } from "./test-support/test-environment.ts";\n');
      await write(
        "server/d.test.ts",
        '// not import { loadTestServiceUrls } from "./test-support/test-environment.ts" in a comment\nexport const y = 1;\n',
      );
      expect(classifyTestFiles(root)).toEqual({
        unit: ["server/b.test.ts", "server/d.test.ts"],
        dom: [],
        serviceBacked: ["server/a.test.ts", "server/c.test.ts"],
      });
    });
  });
});
