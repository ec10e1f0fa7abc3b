/**
 * Copies the table of bench/results/latest.json, with the command that made it, into bench/README.md between the
 * `latest:start` and `latest:end` markers: `bun bench/update-readme.ts` after a run.
 * `bun bench/update-readme.ts --filtered <results.json>` copies only that run's filtered table (with its ratios)
 * between the `filtered:start` and `filtered:end` markers.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { type BenchResults, renderFilteredTable, renderTable } from "./lib/report.ts";

const dir = import.meta.dirname;
const readmePath = path.join(dir, "README.md");
const { values } = parseArgs({ args: Bun.argv.slice(2), options: { filtered: { type: "string" } }, strict: true });
const readme = await readFile(readmePath, "utf8");

if (values.filtered) {
  const filtered = JSON.parse(await readFile(path.resolve(values.filtered), "utf8")) as BenchResults;
  const open = "<!-- filtered:start -->";
  const close = "<!-- filtered:end -->";
  const a = readme.indexOf(open);
  const b = readme.indexOf(close);
  if (a < 0 || b < a) throw new Error(`bench/README.md lacks the ${open} ... ${close} markers`);
  const filteredTargets = Object.entries(filtered.targets)
    .filter(([target]) => target.startsWith("filtered:"))
    .map(([target, met]) => `- ${target}: ${met === null ? "not measured" : met ? "met" : "**missed**"}`)
    .join("\n");
  const body = `${open}
Made by \`${filtered.command}\` on ${filtered.date} (${filtered.mode} run, ${filtered.duration_s ?? "?"} s, load
average at start ${filtered.machine.load_average_at_start.join(" / ")}; ${filtered.versions.commit ?? ""}):
${renderFilteredTable(filtered)}
${filteredTargets}
${close}`;
  await Bun.write(readmePath, readme.slice(0, a) + body + readme.slice(b + close.length));
  console.log(`bench/README.md: filtered table updated from ${values.filtered}`);
  process.exit(0);
}
const results = JSON.parse(await readFile(path.join(dir, "results/latest.json"), "utf8")) as BenchResults;
const start = "<!-- latest:start -->";
const end = "<!-- latest:end -->";
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`bench/README.md lacks the ${start} ... ${end} markers`);

const targets = Object.entries(results.targets)
  .map(([target, met]) => `- ${target}: ${met === null ? "not measured" : met ? "met" : "**missed**"}`)
  .join("\n");
const errors = results.errors.length
  ? `\nParts that failed in this run:\n\n${results.errors.map((e) => `- ${e.part}: ${e.message}`).join("\n")}\n`
  : "";
const section = `${start}
Made by \`${results.command}\` on ${results.date} (${results.mode} run, ${results.duration_s ?? "?"} s, load average
at start ${results.machine.load_average_at_start.join(" / ")}):

${renderTable(results)}
Targets:

${targets}
${errors}
${end}`;
await Bun.write(readmePath, readme.slice(0, from) + section + readme.slice(to + end.length));
console.log("bench/README.md updated from bench/results/latest.json");
