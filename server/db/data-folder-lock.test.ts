import { afterAll, describe, expect, it } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { lockDataFolder } from "./data-folder-lock.ts";

describe("lockDataFolder", () => {
  let dir = "";
  const lockPath = () => path.join(dir, "pg.lock");
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("holds a lock file naming this process until released", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ad-lock-"));
    const release = await lockDataFolder(lockPath());
    expect(await readFile(lockPath(), "utf8")).toBe(String(process.pid));
    await release();
    expect(await Bun.file(lockPath()).exists()).toBe(false);
  });

  it("refuses a folder another live process holds, naming that process", async () => {
    const other = Bun.spawn(["sleep", "30"]);
    try {
      await writeFile(lockPath(), String(other.pid));
      await expect(lockDataFolder(lockPath())).rejects.toThrow(`in use by process ${other.pid}`);
      expect(await readFile(lockPath(), "utf8")).toBe(String(other.pid));
    } finally {
      other.kill();
      await other.exited;
    }
  });

  it("takes over a lock left by a process that no longer runs (kill -9)", async () => {
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    await writeFile(lockPath(), String(gone.pid));
    const release = await lockDataFolder(lockPath());
    expect(await readFile(lockPath(), "utf8")).toBe(String(process.pid));
    await release();
  });
});
