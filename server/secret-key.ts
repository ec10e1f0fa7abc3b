/**
 * SECRET_KEY signs tokens and keys the daily IP hash. In embedded mode a newcomer should not have to make one, so
 * the first start generates 48 random bytes into DATA_DIR/secret_key (mode 0600) and later starts reuse it.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** Returns the configured key, or the one kept in the data folder (creating it on first use). */
export async function resolveSecretKey(configured: string, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.resolve(dataDir, "secret_key");
  const existing = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (existing && existing.trim().length >= 32) return existing.trim();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: "w" });
  await chmod(file, 0o600);
  return key;
}
