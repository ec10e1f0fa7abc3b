/**
 * Profiling aid (`--cpu-prof`): the server and worker run under `bun --cpu-prof --cpu-prof-dir <scratch>`, which
 * writes a Chrome-format .cpuprofile when each exits; this sums the samples' self time by function and source
 * location, so the report can say which functions the time went to.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  selfMs: number;
  share: number;
}

/** Self time per function of one profile, highest first. */
export function summarizeProfile(profile: CpuProfile): HotFunction[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(server|shared|node_modules)\//, "$1/")}:${lineNumber + 1}` : "";
    return `${functionName || "(anonymous)"} ${where}`.trim();
  };
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    // A builtin (no source) is named with the nearest caller that has one: "toString < DataRow connection.js:492".
    let key = label(node);
    if (!node.callFrame.url) {
      let up = parent.get(node.id);
      while (up !== undefined && !byId.get(up)?.callFrame.url) up = parent.get(up);
      const caller = up === undefined ? undefined : byId.get(up);
      if (caller) key += ` < ${label(caller)}`;
    }
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs]
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** Summaries of every .cpuprofile in `dir` whose file name contains `pid` (Bun names them CPU.<date>.<pid>...). */
export async function summarizeProfiles(dir: string): Promise<Array<{ file: string; top: HotFunction[] }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const out: Array<{ file: string; top: HotFunction[] }> = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(dir, file), "utf8")) as CpuProfile;
    out.push({ file, top: summarizeProfile(profile).slice(0, 25) });
  }
  return out;
}
