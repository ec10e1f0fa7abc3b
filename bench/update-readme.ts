/**
 * Copies the table of bench/results/latest.json, with the command that made it, into bench/README.md between the
 * `latest:start` and `latest:end` markers: `bun bench/update-readme.ts` after a run.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { type BenchResults, renderTable } from "./lib/report.ts";

const dir = import.meta.dirname;
const readmePath = path.join(dir, "README.md");
const results = JSON.parse(await readFile(path.join(dir, "results/latest.json"), "utf8")) as BenchResults;
const readme = await readFile(readmePath, "utf8");
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
