/**
 * `bun run admin -- dead-letters list|replay|drop`: what operators do with the entries the worker gave up on (after
 * MAX_DELIVERIES deliveries, see server/pipeline/worker/process-entries.ts).
 *
 * - list [--limit N]  oldest first: id, deliveries, project, reason, the first bytes of the body. Never an API key:
 *   ingest keeps keys out of the stream, and every printed field is scrubbed again (any string that decodes to
 *   something holding `proj_`, whatever its escapes), and control characters are escaped so a tracked value cannot
 *   drive the operator's terminal.
 * - replay <id|--all> puts the entry back on the ingest stream as a new entry and deletes the dead letter; the worker
 *   stores it, and insert ids keep each event once even if part of it was stored before. An entry that is still
 *   poison comes back here after MAX_DELIVERIES deliveries.
 * - drop <id|--all>   deletes them.
 * `--all` acts on the dead letters there when it starts (counted first), not on ones added while it runs.
 */
import type { DeadLetter, EventStream } from "../pipeline/stream/event-stream.ts";

export const USAGE = `Usage: bun run admin -- dead-letters <command>
  list [--limit N]       show the oldest N dead letters (default 20, at most 1000)
  replay <id|--all>      move dead letters back to the ingest stream (the worker stores them once)
  drop <id|--all>        delete dead letters`;

const PAGE = 100;
const BODY_PREVIEW_CHARS = 120;
const REASON_PREVIEW_CHARS = 300;
const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one dead-letters command; returns the process exit code (0 done, 1 nothing matched, 2 usage). */
export async function runDeadLetters(stream: EventStream, args: readonly string[], io: Output): Promise<number> {
  const [command, ...rest] = args;
  if (command === "list") {
    const limit = parseLimit(rest);
    if (limit === null) return usage(io, "--limit takes a whole number from 1 to 1000");
    return list(stream, limit, io);
  }
  if (command === "replay" || command === "drop") {
    const target = rest[0];
    if (rest.length !== 1 || !target || (target !== "--all" && !ENTRY_ID.test(target))) {
      return usage(io, `${command} takes one dead-letter id (as listed, e.g. 1764633600000-0) or --all`);
    }
    const act =
      command === "replay" ? (id: string) => stream.replayDeadLetter(id) : (id: string) => stream.dropDeadLetter(id);
    const verb = command === "replay" ? "replayed" : "dropped";
    if (target !== "--all") {
      if (!(await act(target))) {
        io.err(`No dead letter ${target}.`);
        return 1;
      }
      io.out(`${verb} ${target}`);
    } else {
      const count = await forEachDeadLetter(stream, async (letter) => {
        if (await act(letter.id)) io.out(`${verb} ${letter.id}`);
      });
      io.out(`${verb} ${count} dead letter(s)`);
    }
    if (command === "replay") io.out("The worker stores replayed entries; insert ids keep every event stored once.");
    return 0;
  }
  return usage(io, command ? `unknown command "${command}"` : "no command given");
}

function usage(io: Output, problem: string): number {
  io.err(`${problem}\n${USAGE}`);
  return 2;
}

function parseLimit(args: readonly string[]): number | null {
  if (args.length === 0) return 20;
  if (args.length !== 2 || args[0] !== "--limit" || !/^\d{1,4}$/.test(args[1]!)) return null;
  const limit = Number(args[1]);
  return limit >= 1 && limit <= 1000 ? limit : null;
}

async function list(stream: EventStream, limit: number, io: Output): Promise<number> {
  const [total, letters] = await Promise.all([stream.deadLetterCount(), stream.readDeadLetters(limit)]);
  if (total === 0) {
    io.out("No dead letters.");
    return 0;
  }
  io.out(["ID", "DELIVERIES", "PROJECT", "REASON", "BODY"].join("\t"));
  for (const letter of letters) {
    const { project, body } = describePayload(letter.payload);
    io.out(
      [letter.id, String(letter.deliveries), project, preview(letter.reason, REASON_PREVIEW_CHARS), body].join("\t"),
    );
  }
  io.out(`${letters.length} of ${total} dead letter(s) shown.`);
  return 0;
}

/** Calls `act` on each dead letter present now, oldest first; returns how many were visited. */
async function forEachDeadLetter(stream: EventStream, act: (letter: DeadLetter) => Promise<void>): Promise<number> {
  let remaining = await stream.deadLetterCount();
  let after: string | undefined;
  let visited = 0;
  while (remaining > 0) {
    const page = await stream.readDeadLetters(Math.min(PAGE, remaining), after);
    if (page.length === 0) break;
    for (const letter of page) await act(letter);
    visited += page.length;
    remaining -= page.length;
    after = page[page.length - 1]!.id;
  }
  return visited;
}

/** The project id and a scrubbed preview of the events of a stream entry (see server/pipeline/entry/event-batch.ts). */
export function describePayload(payload: string): { project: string; body: string } {
  let project = "?";
  let body = payload;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (parsed && typeof parsed === "object") {
      const entry = parsed as { p?: unknown; q?: unknown; e?: unknown };
      if (typeof entry.p === "string") project = entry.p;
      // Re-serialised, escapes such as "proj\u005f" come out as the characters they stand for, then get scrubbed.
      const events = entry.q ?? entry.e;
      if (events !== undefined) body = JSON.stringify(events);
    }
  } catch {
    // An entry that is not JSON (why it became a dead letter, often): the project as far as it can be read.
    project = /"p"\s*:\s*"([0-9a-zA-Z-]{1,64})"/.exec(payload)?.[1] ?? "?";
  }
  return { project: preview(project, 64), body: preview(body, BODY_PREVIEW_CHARS) };
}

/** Scrubbed, single-line, at most `max` characters. */
function preview(text: string, max: number): string {
  const scrubbed = escapeControls(redactApiKeys(text));
  return scrubbed.length > max ? `${scrubbed.slice(0, max)}…` : scrubbed;
}

const STRING_LITERAL = /"(?:[^"\\]|\\.)*"?/g;

/** Replaces API keys in JSON text, however their characters are escaped, and bare ones outside strings. */
export function redactApiKeys(text: string): string {
  const literals = text.replace(STRING_LITERAL, (literal) =>
    /proj_/i.test(decodeEscapes(literal)) ? '"[redacted]"' : literal,
  );
  return literals.replace(/proj_[A-Za-z0-9_-]*/gi, "proj_[redacted]");
}

function decodeEscapes(literal: string): string {
  return literal
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\(.)/g, "$1");
}

function escapeControls(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point (they are escaped for the terminal).
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
