import { beforeAll, describe, expect, it } from "bun:test";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  buildClient,
  CLIENT_DIST,
  FIRST_PAGE_JS_BUDGET_BYTES,
  isClientBuildCurrent,
  measureFirstPage,
} from "./build-client.ts";

let indexHtml: string;

beforeAll(async () => {
  if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
  indexHtml = await readFile(path.join(CLIENT_DIST, "index.html"), "utf8");
}, 120_000);

describe("buildClient", () => {
  it("keeps the first page under 150 KB of gzipped JavaScript", async () => {
    const report = await measureFirstPage();
    expect(report.firstPageJsGzipBytes).toBeGreaterThan(0);
    expect(report.firstPageJsGzipBytes).toBeLessThan(FIRST_PAGE_JS_BUDGET_BYTES);
  });

  it("writes an index.html with no inline script, as the CSP (script-src 'self') requires", () => {
    for (const [, attributes, body] of indexHtml.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(attributes).toMatch(/src="\/assets\//);
      expect(body!.trim()).toBe("");
    }
    expect(indexHtml).not.toMatch(/<style/);
    expect(indexHtml).not.toMatch(/(src|href)="https?:\/\//);
  });

  it("references only assets that exist, with gzip twins for the big ones", async () => {
    const assets = [...indexHtml.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const file = Bun.file(path.join(CLIENT_DIST, asset));
      expect(await file.exists()).toBe(true);
      if (file.size > 1024) expect(await Bun.file(`${path.join(CLIENT_DIST, asset)}.gz`).exists()).toBe(true);
    }
  });
});
